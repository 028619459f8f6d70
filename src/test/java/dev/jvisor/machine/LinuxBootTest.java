package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.boot.DefaultGuest;
import dev.jvisor.vmm.Vm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Debian's own i386 kernel and busybox, booted with --icount (deterministic time) under full
 * virtualization; an init script runs a set of commands and powers off, and every line of their
 * output is checked. The guest is fetched on first use (apt-get download, private state).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinuxBootTest {
    static final String INIT = DefaultGuest.INIT_PROLOGUE + """
            echo "=== uname"
            uname -a
            echo "=== cpuinfo"
            cat /proc/cpuinfo
            echo "=== md5"
            dd if=/dev/zero bs=1024 count=256 2>/dev/null | md5sum
            seq 1 5000 | md5sum
            echo "=== fork"
            i=0
            while [ $i -lt 200 ]; do /bin/busybox true || echo "fork $i failed"; i=$((i+1)); done
            echo "forked $i"
            echo "=== printf"
            printf "%.3f %e %g %5.1f\\n" 3.14159 12345.678 0.0001 -2.25
            awk 'BEGIN { printf "%.6f %.4f\\n", 2/7, 1/3 }'
            echo "=== tmpfs"
            mount -t tmpfs tmpfs /mnt && echo "jvisor tmpfs data" > /mnt/file && cat /mnt/file
            grep -c "^tmpfs /mnt tmpfs" /proc/mounts
            echo "=== random"
            dmesg | grep -o "random: crng init done"
            echo "=== done"
            poweroff -f
            """;

    static String output;
    static Vm vm;

    /** The execution engine the guest boots on (LinuxBootBtTest overrides it). */
    String accel() {
        return "interp";
    }

    /** Whether the bzImage's own XZ decompressor runs in the guest (LinuxBootBtTest: yes) or the host unpacks it. */
    boolean guestDecompress() {
        return false;
    }

    @BeforeAll
    void boot() throws Exception {
        bootWith(accel(), guestDecompress());
    }

    /** Boots the guest on the given execution engine; the tests then check its output. */
    static void bootWith(String accel, boolean guestDecompress) throws Exception {
        DefaultGuest guest = DefaultGuest.open();
        Path initrd = Files.createTempFile("jvisor-test-initrd", ".cpio.gz");
        Files.write(initrd, guest.initramfs(INIT, Map.of()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MachineConfig cfg = new MachineConfig(guest.kernel(), initrd.toString(), DefaultGuest.DEFAULT_CMDLINE + " quiet",
                128L << 20, true, "stdio", false, java.util.List.of(), guestDecompress, null);
        PcMachine m = new PcMachine(cfg, out, msg -> { }).setAccel(accel);
        vm = m.vm();
        vm.setDeadline(System.nanoTime() + 15L * 60 * 1_000_000_000L);
        Vm.StopReason why = vm.run();
        m.console().flush();
        Files.deleteIfExists(initrd);
        output = out.toString(StandardCharsets.ISO_8859_1).replace("\r", "");
        assertEquals(Vm.StopReason.HALTED_WITH_INTERRUPTS_OFF, why, "guest did not power off:\n" + output);
        assertEquals(0, vm.exitStatus());
    }

    private static String section(String name) {
        Matcher m = Pattern.compile("=== " + name + "\n(.*?)(?=\n=== |\\z)", Pattern.DOTALL).matcher(output);
        assertTrue(m.find(), "no section " + name + " in:\n" + output);
        return m.group(1);
    }

    @Test
    void unameReportsTheDebianKernelOnI686() {
        String s = section("uname").trim();
        assertTrue(s.matches("Linux \\(none\\) 6\\.1\\.0-\\d+-686 #1 SMP PREEMPT_DYNAMIC Debian 6\\.1\\.\\d+-\\d+ .* i686 GNU/Linux"), s);
    }

    @Test
    void cpuinfoShowsTheP6WeAdvertise() {
        String s = section("cpuinfo");
        assertTrue(s.contains("vendor_id\t: GenuineIntel"), s);
        assertTrue(s.contains("cpu family\t: 6"), s);
        assertTrue(s.contains("model\t\t: 3\n"), s);
        assertTrue(s.contains("model name\t: jvisor virtual P6 CPU"), s);
        assertTrue(s.contains("fpu\t\t: yes"), s);
        Matcher flags = Pattern.compile("flags\t\t: (.*)").matcher(s);
        assertTrue(flags.find(), s);
        assertEquals("fpu de pse tsc msr cx8 sep pge cmov fxsr cpuid", flags.group(1).trim());
    }

    @Test
    void md5sumOfGeneratedDataMatchesTheHost() throws Exception {
        String[] lines = section("md5").trim().split("\n");
        assertEquals(md5(new byte[256 * 1024]) + "  -", lines[0].trim());
        StringBuilder seq = new StringBuilder();
        for (int i = 1; i <= 5000; i++) {
            seq.append(i).append('\n');
        }
        assertEquals(md5(seq.toString().getBytes(StandardCharsets.US_ASCII)) + "  -", lines[1].trim());
    }

    @Test
    void twoHundredProcessesFork() {
        assertEquals("forked 200", section("fork").trim());
    }

    @Test
    void floatingPointPrintsCorrectly() {
        String[] lines = section("printf").trim().split("\n");
        assertEquals("3.142 1.234568e+04 0.0001  -2.2", lines[0]);
        assertEquals("0.285714 0.3333", lines[1]);
    }

    @Test
    void tmpfsFileRoundTrips() {
        String[] lines = section("tmpfs").trim().split("\n");
        assertEquals("jvisor tmpfs data", lines[0]);
        assertEquals("1", lines[1]);
    }

    @Test
    void theLoadersSeedMakesTheCrngReadyAtBoot() {
        // RngSeed: a setup_data seed of 256 bits, credited with CONFIG_RANDOM_TRUST_BOOTLOADER
        assertEquals("random: crng init done", section("random").trim());
    }

    @Test
    void trapAndEmulateExitsAreCounted() {
        var stats = vm.stats();
        for (var r : new dev.jvisor.cpu.ExitReason[] {dev.jvisor.cpu.ExitReason.IO_INSTRUCTION, dev.jvisor.cpu.ExitReason.HLT,
                dev.jvisor.cpu.ExitReason.CPUID, dev.jvisor.cpu.ExitReason.RDMSR, dev.jvisor.cpu.ExitReason.WRMSR,
                dev.jvisor.cpu.ExitReason.PREEMPTION_TIMER, dev.jvisor.cpu.ExitReason.CR_ACCESS}) {
            assertTrue(stats.count(r) > 0, r + " exits: " + stats.count(r));
        }
        assertTrue(stats.portCount(0x3f8) > 0, "serial port exits");
        // every interrupt of this guest is raised on the vCPU thread, inside an exit (a timer deadline
        // at a PREEMPTION_TIMER exit, HLT, a port write) and injected at that exit's entry: no extra
        // EXTERNAL_INTERRUPT exit follows (those are for requests from other threads: disk, console)
        assertTrue(stats.count(dev.jvisor.cpu.ExitReason.EXTERNAL_INTERRUPT) < stats.count(dev.jvisor.cpu.ExitReason.HLT),
                "EXTERNAL_INTERRUPT exits: " + stats.count(dev.jvisor.cpu.ExitReason.EXTERNAL_INTERRUPT));
    }

    private static String md5(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    }
}
