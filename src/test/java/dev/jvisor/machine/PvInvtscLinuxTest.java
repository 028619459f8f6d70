package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.boot.DefaultGuest;
import dev.jvisor.vmm.Vm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Debian's kernel under --pv --invtsc with only a virtio disk (--icount): the guest still detects
 * KVM and registers kvm-clock (sched_clock, TSC frequency) but takes the invariant TSC as its
 * clocksource; the machine has no IDE function, so no ATA host appears, and the virtio disk does.
 */
class PvInvtscLinuxTest {
    static final String INIT = DefaultGuest.INIT_PROLOGUE + """
            echo "=== clocksource"
            cat /sys/devices/system/clocksource/clocksource0/current_clocksource
            echo "=== available"
            cat /sys/devices/system/clocksource/clocksource0/available_clocksource
            echo "=== kvmclock"
            dmesg | grep -c "kvm-clock: Using msrs"
            echo "=== calibration"
            dmesg | grep -c -i "calibrat.*PIT\\|Fast TSC calibration"
            echo "=== constant_tsc"
            grep -c " constant_tsc" /proc/cpuinfo
            echo "=== ata"
            ls /sys/class/ata_port 2>/dev/null | wc -l
            echo "=== devices"
            for d in /dev/sda /dev/vda; do [ -e $d ] && echo "$d"; done
            echo "=== sleep"
            mkfifo /tmp/fifo; exec 3<>/tmp/fifo
            a=$(cut -d' ' -f1 /proc/uptime); read -t 0.25 -u 3 x; b=$(cut -d' ' -f1 /proc/uptime)
            echo "$a $b" | awk '{ d = $2 - $1; print (d >= 0.25 && d < 0.5) ? "ok" : "waited " d }'
            echo "=== done"
            poweroff -f
            """;

    static Path dir;
    static String output;

    @BeforeAll
    static void boot() throws Exception {
        dir = Files.createTempDirectory("jvisor-pvinv");
        Path disk = dir.resolve("virtio.img");
        Files.write(disk, new byte[1 << 20]);
        DefaultGuest guest = DefaultGuest.open();
        Path initrd = dir.resolve("initrd.cpio.gz");
        Files.write(initrd, guest.initramfs(INIT, Map.of()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MachineConfig cfg = new MachineConfig(guest.kernel(), initrd.toString(), DefaultGuest.DEFAULT_CMDLINE, 128L << 20,
                true, "stdio", true, List.of(DriveSpec.parse("file=" + disk + ",if=virtio")), false, null, true);
        PcMachine m = new PcMachine(cfg, out, msg -> { });
        Vm vm = m.vm();
        vm.setDeadline(System.nanoTime() + 15L * 60 * 1_000_000_000L);
        Vm.StopReason why = vm.run();
        m.console().flush();
        m.close();
        output = out.toString(StandardCharsets.ISO_8859_1).replace("\r", "");
        assertEquals(Vm.StopReason.HALTED_WITH_INTERRUPTS_OFF, why, "guest did not power off:\n" + output);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (dir != null) {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static String section(String name) {
        Matcher m = Pattern.compile("=== " + name + "\n(.*?)(?=\n=== |\\z)", Pattern.DOTALL).matcher(output);
        assertTrue(m.find(), "no section " + name + " in:\n" + output);
        return m.group(1).trim();
    }

    @Test
    void tscIsTheClocksourceAndKvmClockIsRegistered() {
        assertEquals("tsc", section("clocksource"));
        assertTrue(section("available").contains("kvm-clock"), section("available"));
        assertEquals("1", section("kvmclock"));
        assertEquals("1", section("constant_tsc"), "CPUID 0x80000007 EDX[8] seen as constant_tsc");
        assertEquals("0", section("calibration"), "kvm-clock gives the TSC frequency: no PIT calibration");
    }

    @Test
    void noAtaHostWithoutAnIdeDrive() {
        assertEquals("0", section("ata"));
        assertEquals("/dev/vda", section("devices"));
    }

    @Test
    void timersStillWork() {
        assertEquals("ok", section("sleep"));
    }
}
