package dev.jvisor.boot;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs host tools (GNU as/ld, QEMU) from tests; tests are skipped when a tool is missing. */
final class Toolchain {
    private Toolchain() {}

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        return Arrays.stream(path.split(File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    static void require(String tool) {
        assumeTrue(onPath(tool), tool + " is not installed; skipping");
    }

    /** Runs a command in dir; returns its combined output; fails the test on a non-zero exit. */
    static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }

    /** Assembles 32-bit source and links it with the given ld arguments; returns the output path. */
    static Path assemble(Path dir, String name, String source, String... ldArgs) throws Exception {
        require("as");
        require("ld");
        Files.writeString(dir.resolve(name + ".s"), source);
        run(dir, "as", "--32", "-o", name + ".o", name + ".s");
        List<String> cmd = new ArrayList<>(List.of("ld", "-m", "elf_i386"));
        cmd.addAll(List.of(ldArgs));
        cmd.addAll(List.of("-o", name, name + ".o"));
        run(dir, cmd.toArray(String[]::new));
        return dir.resolve(name);
    }
}
