package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.boot.DefaultGuest;
import dev.jvisor.cpu.ExitReason;
import dev.jvisor.vmm.Vm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Para-virtualization on Debian's stock kernel (--pv, --icount): the guest detects KVM, runs on
 * kvm-clock, ticks with the local APIC's TSC-deadline timer and acknowledges it with PV EOI, talks to its console through virtio-console (console=hvc0), and writes 32 MiB of
 * known data to an IDE disk and to a virtio-blk disk; the host then checks the image bytes. A
 * read-only virtio drive refuses the guest's write.
 */
class ParavirtLinuxTest {
    static final int MIB = 1 << 20;
    static final String IDE_LINE = "jvisor-ide-pattern";
    static final String VIRTIO_LINE = "jvisor-virtio-blk-pattern";
    static final String INIT = DefaultGuest.INIT_PROLOGUE + """
            echo "=== clocksource"
            cat /sys/devices/system/clocksource/clocksource0/current_clocksource
            echo "=== hypervisor"
            dmesg | grep -c "Hypervisor detected: KVM"
            echo "=== clockevent"
            grep -A1 "^Per CPU device: 0" /proc/timer_list | grep "Clock Event Device"
            echo "=== local timer"
            grep "LOC:" /proc/interrupts
            echo "=== console"
            echo $JVISOR_CONSOLE
            echo "=== devices"
            for d in /dev/sda /dev/vda /dev/vdb /dev/hvc0; do [ -e $d ] && echo "$d"; done
            echo "=== ide"
            yes %1$s | head -c 33554432 | dd of=/dev/sda bs=65536 2>/dev/null && sync && echo written
            dd if=/dev/sda bs=65536 count=512 2>/dev/null | md5sum
            echo "=== virtio"
            yes %2$s | head -c 33554432 | dd of=/dev/vda bs=65536 2>/dev/null && sync && echo written
            dd if=/dev/vda bs=65536 count=512 2>/dev/null | md5sum
            echo "=== readonly"
            if echo overwrite | dd of=/dev/vdb conv=fsync 2>/dev/null; then echo "ro write accepted"; else echo "ro write refused"; fi
            echo "=== done"
            poweroff -f
            """.formatted(IDE_LINE, VIRTIO_LINE);

    static Path dir;
    static Path ideImage, virtioImage, roImage;
    static byte[] roOriginal;
    static String output;
    static Vm vm;
    static dev.jvisor.devices.apic.LocalApic apic;

    @BeforeAll
    static void boot() throws Exception {
        dir = Files.createTempDirectory("jvisor-pv");
        ideImage = dir.resolve("ide.img");
        virtioImage = dir.resolve("virtio.img");
        roImage = dir.resolve("ro.img");
        Files.write(ideImage, new byte[40 * MIB]);
        Files.write(virtioImage, new byte[40 * MIB]);
        roOriginal = new byte[MIB];
        Arrays.fill(roOriginal, (byte) 0x5a);
        Files.write(roImage, roOriginal);

        DefaultGuest guest = DefaultGuest.open();
        Path initrd = dir.resolve("initrd.cpio.gz");
        Files.write(initrd, guest.initramfs(INIT, Map.of()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<DriveSpec> drives = List.of(
                DriveSpec.parse("file=" + ideImage + ",if=ide"),
                DriveSpec.parse("file=" + virtioImage + ",if=virtio"),
                DriveSpec.parse("file=" + roImage + ",if=virtio,readonly=on"));
        MachineConfig cfg = new MachineConfig(guest.kernel(), initrd.toString(),
                DefaultGuest.DEFAULT_CMDLINE + " quiet console=hvc0", 128L << 20, true, "stdio", true, drives);
        PcMachine m = new PcMachine(cfg, out, msg -> { });
        vm = m.vm();
        apic = m.apic();
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
    void guestRunsOnKvmClockAndDetectsKvm() {
        assertEquals("kvm-clock", section("clocksource"));
        assertEquals("1", section("hypervisor"));
    }

    @Test
    void localApicTscDeadlineTimerIsTheTickDevice() {
        assertEquals("Clock Event Device: lapic-deadline", section("clockevent"));
        Matcher loc = Pattern.compile("LOC:\\s+(\\d+)").matcher(section("local timer"));
        assertTrue(loc.find() && Long.parseLong(loc.group(1)) > 100, "local timer interrupts: " + section("local timer"));
    }

    @Test
    void guestAcknowledgesThroughPvEoi() {
        assertTrue(apic.pvEoiEnabled(), "MSR_KVM_PV_EOI_EN");
        // every local timer interrupt (the only APIC vector here) ends with a skipped EOI, none with an MMIO write
        assertTrue(apic.pvEoisSkipped() > 100, "PV EOIs: " + apic.pvEoisSkipped());
        assertTrue(apic.eoiWrites() < apic.pvEoisSkipped() / 10, "EOI register writes: " + apic.eoiWrites());
    }

    @Test
    void consoleIsTheVirtioConsole() {
        assertEquals("/dev/hvc0", section("console"));
    }

    @Test
    void disksAppear() {
        assertEquals("/dev/sda\n/dev/vda\n/dev/vdb\n/dev/hvc0", section("devices"));
    }

    @Test
    void ideWritesReachTheImage() throws Exception {
        byte[] expected = pattern(IDE_LINE);
        assertTrue(section("ide").startsWith("written\n" + md5(expected)), section("ide"));
        byte[] img = Files.readAllBytes(ideImage);
        assertArrayEquals(expected, Arrays.copyOf(img, 32 * MIB));
    }

    @Test
    void virtioBlkWritesReachTheImage() throws Exception {
        byte[] expected = pattern(VIRTIO_LINE);
        assertTrue(section("virtio").startsWith("written\n" + md5(expected)), section("virtio"));
        byte[] img = Files.readAllBytes(virtioImage);
        assertArrayEquals(expected, Arrays.copyOf(img, 32 * MIB));
    }

    @Test
    void readOnlyDriveRefusesWrites() throws Exception {
        assertEquals("ro write refused", section("readonly"));
        assertArrayEquals(roOriginal, Files.readAllBytes(roImage));
    }

    @Test
    void paravirtualClockAvoidsPortIoDelays() {
        // NOP_IO_DELAY: Linux stops writing port 0x80 for I/O delays once it sees the KVM feature
        assertTrue(vm.stats().portCount(0x80) < 100, "port 0x80 exits: " + vm.stats().portCount(0x80));
        assertTrue(vm.stats().count(ExitReason.EPT_VIOLATION) > 0, "virtio MMIO exits");
    }

    /** What `yes LINE | head -c 32M` produces. */
    static byte[] pattern(String line) {
        byte[] unit = (line + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[32 * MIB];
        for (int i = 0; i < b.length; i++) {
            b[i] = unit[i % unit.length];
        }
        return b;
    }

    static String md5(byte[] data) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(data)) + "  -";
    }
}
