package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.vmm.Vm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The bare-metal test kernels (src/test/baremetal, assembled here with GNU as/ld) booted through
 * multiboot on the full machine. Each kernel checks itself and reports through isa-debug-exit:
 * status 1 means every check passed. The same kernels pass on qemu-system-i386
 * (tools/run-baremetal-qemu.sh), which is how their expectations are confirmed.
 */
class BareMetalTest {
    private static final Path OUT = Path.of("target/baremetal");

    @BeforeAll
    static void build() throws Exception {
        Process p = new ProcessBuilder("bash", "tools/build-baremetal.sh", OUT.toString()).inheritIO().start();
        assertEquals(0, p.waitFor(), "tools/build-baremetal.sh failed (needs binutils: as, ld)");
    }

    @TestFactory
    Stream<DynamicTest> kernelsPassOnJvisor() throws Exception {
        List<Path> kernels;
        try (Stream<Path> s = Files.list(OUT)) {
            kernels = s.filter(p -> p.toString().endsWith(".elf")).sorted().toList();
        }
        assertTrue(kernels.size() >= 8, "expected the bare-metal kernels in " + OUT);
        return kernels.stream().flatMap(k -> Stream.of(
                DynamicTest.dynamicTest(k.getFileName() + " (icount)", () -> runKernel(k, true, "interp")),
                DynamicTest.dynamicTest(k.getFileName() + " (host time)", () -> runKernel(k, false, "interp")),
                DynamicTest.dynamicTest(k.getFileName() + " (icount, --accel bt)", () -> runKernel(k, true, "bt"))));
    }

    static void runKernel(Path kernel, boolean icount, String accel) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MachineConfig cfg = new MachineConfig(kernel, null, null, 64L << 20, icount, "stdio", false);
        PcMachine m = new PcMachine(cfg, out, msg -> { }).setAccel(accel);
        m.vm().vcpu().setBtThreshold(2);
        m.vm().setDeadline(System.nanoTime() + 120_000_000_000L);
        Vm.StopReason why = m.vm().run();
        m.console().flush();
        String text = out.toString(StandardCharsets.ISO_8859_1);
        assertEquals(Vm.StopReason.DEBUG_EXIT, why, kernel + " did not exit through isa-debug-exit:\n" + text);
        assertEquals(1, m.vm().exitStatus(), kernel + " reported failures:\n" + text);
        assertTrue(text.contains("RESULT: PASS"), text);
    }
}
