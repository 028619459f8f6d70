package dev.jvisor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Enforces the dependency rule of DESIGN.md section 1 on the sources: the CPU knows nothing of
 * ours, devices see only the bus API, the vmm wires cpu and devices, only machine and cli see all.
 */
class ArchitectureTest {
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "cpu", Set.of("cpu"),
            "bus", Set.of("bus"),
            "devices", Set.of("devices", "bus"),
            "boot", Set.of("boot", "bus"),
            "vmm", Set.of("vmm", "cpu", "bus", "devices"),
            "machine", Set.of("machine", "vmm", "cpu", "bus", "devices", "boot"),
            "cli", Set.of("cli", "machine", "vmm", "boot", "cpu"));

    private static final Pattern REF = Pattern.compile("\\bdev\\.jvisor\\.([a-z]+)\\b");

    @Test
    void packagesDependOnlyOnWhatTheDesignAllows() throws IOException {
        Path root = Path.of("src/main/java/dev/jvisor");
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String top = root.relativize(f).getName(0).toString();
                Set<String> allowed = ALLOWED.get(top);
                if (allowed == null) {
                    violations.add(f + ": package '" + top + "' is not in the architecture map");
                    continue;
                }
                Matcher m = REF.matcher(Files.readString(f));
                while (m.find()) {
                    if (!allowed.contains(m.group(1))) {
                        violations.add(f + " uses dev.jvisor." + m.group(1));
                    }
                }
            }
        }
        assertTrue(violations.isEmpty(), String.join("\n", violations));
    }
}
