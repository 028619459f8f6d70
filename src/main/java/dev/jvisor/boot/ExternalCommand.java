package dev.jvisor.boot;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host tool to completion with a timeout and captures its combined output. */
final class ExternalCommand {
    private ExternalCommand() {}

    record Result(int exitCode, String output) {
        /** apt's last error line ("E: ..."), else the last non-blank line, else "no output". */
        String lastError() {
            String last = null;
            String lastE = null;
            for (String line : output.split("\n")) {
                if (!line.isBlank()) {
                    last = line.strip();
                    if (line.startsWith("E: ")) {
                        lastE = line.strip();
                    }
                }
            }
            return lastE != null ? lastE : last != null ? last : "no output (exit code " + exitCode + ")";
        }
    }

    /** True if {@code tool} is an executable on PATH (or an executable path). */
    static boolean available(String tool) {
        if (tool.contains(File.separator)) {
            return Files.isExecutable(Path.of(tool));
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    static Result run(Path dir, long timeoutSeconds, List<String> cmd) throws BootException {
        String tool = cmd.get(0);
        Path log = null;
        try {
            log = Files.createTempFile("jvisor-cmd", ".log");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().put("LC_ALL", "C");
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new BootException(tool + ": timed out after " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new BootException(tool + ": cannot run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BootException(tool + ": interrupted");
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a stray temp file is harmless
                }
            }
        }
    }
}
