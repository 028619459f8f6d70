package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.cpu.ExitReason;
import dev.jvisor.devices.pci.PciHostBridge;
import dev.jvisor.devices.virtio.VirtioPciTransport;
import dev.jvisor.vmm.ExitStats;
import dev.jvisor.vmm.Vm;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Acceptance: malformed descriptor chains and random writes to virtio and IDE registers from a
 * bare-metal guest leave jvisor running and the host untouched.
 *
 * <p>The guest is src/test/baremetal/h_devices.s: a seeded storm of PCI configuration accesses
 * (BARs moved, sized and disabled, command bits toggled), random accesses across the virtio
 * BARs, virtqueues pointed at rings full of broken descriptors, and IDE register/command/DMA
 * abuse. It runs with --pv, a read-write and a read-only virtio-blk disk and an IDE disk
 * (--icount), and must end through isa-debug-exit having finished all its iterations. The host
 * side checks the disk images (read-only one unchanged, no image grew), the exit counters (the
 * storm happened), the virtio devices' error log (they saw protocol violations and reset, never
 * an internal error), the IDE model's safety net (never used), and that a second run gives the
 * same console output byte for byte.
 */
class HostileDevicesTest {
    private static final Path OUT = Path.of("target/baremetal-hostile");
    private static final int IMAGE = 4 << 20;
    private static final int ITERATIONS = 120000; // h_devices.s ITERATIONS
    private static final long DEADLINE_NS = 180_000_000_000L;
    private static final Pattern SUMMARY = Pattern.compile(
            "h_devices: iterations ([0-9A-F]{8}) accesses ([0-9A-F]{8}) checksum ([0-9A-F]{8})");
    private static final Pattern BM_PORT = Pattern.compile("bus master port ([0-9A-F]{8})");

    /** What one boot of the hostile kernel left behind. */
    record Run(Vm.StopReason why, int status, String head, String tail, String digest, long outputBytes,
            ExitStats stats, List<String> log, long completed, int ideInternalErrors, double seconds,
            byte[] virtioImage, byte[] roImage, byte[] ideImage) {
        String summary() {
            Matcher m = SUMMARY.matcher(tail);
            assertTrue(m.find(), "no summary line in the output tail:\n" + tail);
            return m.group();
        }
    }

    static Path base;
    static Run first;
    static Run second;

    @BeforeAll
    static void buildAndRun() throws Exception {
        Process p = new ProcessBuilder("bash", "tools/build-baremetal.sh", OUT.toString(), "h_devices").inheritIO().start();
        assertEquals(0, p.waitFor(), "tools/build-baremetal.sh failed (needs binutils: as, ld)");
        base = Files.createTempDirectory("jvisor-hostile-dev");
        first = boot(base.resolve("run1"));
        second = boot(base.resolve("run2"));
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (base != null) {
            try (var s = Files.walk(base)) {
                for (Path q : s.sorted(Collections.reverseOrder()).toList()) {
                    Files.deleteIfExists(q);
                }
            }
        }
    }

    /** The initial content of an image: a position-dependent pattern (bytes 0x0F-0x1F avoided, as the guest does). */
    static byte[] pattern(int multiplier, int offset) {
        byte[] b = new byte[IMAGE];
        for (int i = 0; i < b.length; i++) {
            int v = (i * multiplier + offset) & 0xff;
            b[i] = (byte) (v >= 0x0f && v <= 0x1f ? v ^ 0x40 : v);
        }
        return b;
    }

    /** Boots h_devices with fresh images in {@code dir} (same file names every time: they are the virtio-blk ids). */
    static Run boot(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path virtio = dir.resolve("virtio.img");
        Path ro = dir.resolve("ro.img");
        Path ide = dir.resolve("ide.img");
        Files.write(virtio, pattern(7, 0x41));
        Files.write(ro, pattern(3, 0x5a));
        Files.write(ide, pattern(5, 0x23));
        List<DriveSpec> drives = List.of(
                DriveSpec.parse("file=" + virtio + ",if=virtio"),
                DriveSpec.parse("file=" + ro + ",if=virtio,readonly=on"),
                DriveSpec.parse("file=" + ide + ",if=ide"));
        MachineConfig cfg = new MachineConfig(OUT.resolve("h_devices.elf"), null, null, 64L << 20, true, "stdio", true, drives);
        CapturingSink out = new CapturingSink();
        PcMachine m = new PcMachine(cfg, out, msg -> { });
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        List<VirtioPciTransport> virtioDevices = new ArrayList<>();
        for (PciHostBridge.Slot s : m.pci().slots()) {
            if (s.fn() instanceof VirtioPciTransport v) {
                v.setLog(log::add);
                virtioDevices.add(v);
            }
        }
        assertEquals(4, virtioDevices.size(), "two virtio-blk, virtio-console, virtio-rng");
        Vm vm = m.vm();
        vm.setDeadline(System.nanoTime() + DEADLINE_NS);
        long t0 = System.nanoTime();
        Vm.StopReason why = vm.run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        m.console().flush();
        long completed = 0;
        for (VirtioPciTransport v : virtioDevices) {
            completed += v.completedBuffers();
        }
        int ideErrors = m.ide().internalErrors();
        m.close();
        System.out.printf("h_devices: %s in %.1f s, %d bytes of console output, %d device errors logged, %d virtio buffers completed%n",
                why, seconds, out.count, log.size(), completed);
        return new Run(why, vm.exitStatus(), out.head(), out.tail(), out.digest(), out.count, vm.stats(), List.copyOf(log),
                completed, ideErrors, seconds, Files.readAllBytes(virtio), Files.readAllBytes(ro), Files.readAllBytes(ide));
    }

    @Test
    void guestRunsToItsDebugExit() {
        for (Run r : List.of(first, second)) {
            assertEquals(Vm.StopReason.DEBUG_EXIT, r.why(), "the guest did not finish:\n" + r.tail());
            assertEquals(1, r.status(), "guest status (0 << 1 | 1 = pass):\n" + r.tail());
            assertTrue(r.tail().contains("ok kernel code intact"), r.tail());
            assertTrue(r.tail().contains("RESULT: PASS"), r.tail());
            Matcher m = SUMMARY.matcher(r.tail());
            assertTrue(m.find(), r.tail());
            assertEquals(ITERATIONS, Integer.parseInt(m.group(1), 16), "iterations");
            assertTrue(Long.parseLong(m.group(2), 16) > 2_000_000, "device accesses: " + m.group(2));
        }
    }

    @Test
    void imagesKeepTheirSizeAndTheReadOnlyOneIsUntouched() {
        for (Run r : List.of(first, second)) {
            assertEquals(IMAGE, r.virtioImage().length, "virtio image size");
            assertEquals(IMAGE, r.ideImage().length, "IDE image size");
            assertArrayEquals(pattern(3, 0x5a), r.roImage(), "read-only image changed");
            // the writable disks did take writes: the storm reached the data paths
            assertFalse(Arrays.equals(pattern(7, 0x41), r.virtioImage()), "no virtio-blk write landed");
            assertFalse(Arrays.equals(pattern(5, 0x23), r.ideImage()), "no IDE write landed");
        }
    }

    @Test
    void theStormReallyHappened() {
        ExitStats s = first.stats();
        long cfg = 0;
        for (int p = 0xCFC; p <= 0xCFF; p++) {
            cfg += s.portCount(p);
        }
        long ide = 0;
        for (int p = 0; p < 8; p++) {
            ide += s.portCount(0x1F0 + p) + s.portCount(0x170 + p);
        }
        ide += s.portCount(0x3F6) + s.portCount(0x376);
        Matcher m = BM_PORT.matcher(first.head());
        assertTrue(m.find(), first.head());
        int bm = Integer.parseInt(m.group(1), 16);
        long busMaster = 0;
        for (int p = bm; p < bm + 16; p++) {
            busMaster += s.portCount(p);
        }
        long mmio = s.count(ExitReason.EPT_VIOLATION);
        System.out.printf("exits: config data %d, IDE %d, bus master %d, MMIO %d, total %d%n", cfg, ide, busMaster, mmio, s.total());
        assertTrue(cfg > 100_000, "config data port exits: " + cfg);
        assertTrue(s.portCount(0xCF8) > 100_000, "config address exits: " + s.portCount(0xCF8));
        assertTrue(ide > 500_000, "IDE port exits: " + ide);
        assertTrue(busMaster > 20_000, "bus-master exits: " + busMaster);
        assertTrue(mmio > 250_000, "MMIO (virtio BAR) exits: " + mmio);
    }

    @Test
    void devicesSawTheViolationsAndNeverFailedInternally() {
        List<String> log = first.log();
        assertTrue(log.size() > 1000, "device errors logged: " + log.size());
        for (String dev : List.of("virtio-blk", "virtio-console", "virtio-rng")) {
            assertTrue(log.stream().anyMatch(l -> l.startsWith(dev + ": device error, needs reset")), dev + " never needed a reset");
        }
        for (String kind : List.of("descriptor chain loops|chain longer than", "nested indirect", "outside RAM",
                "next index", "head index", "avail idx", "bad size", "misaligned ring", "DRIVER_OK without FEATURES_OK")) {
            Pattern k = Pattern.compile(kind);
            assertTrue(log.stream().anyMatch(l -> k.matcher(l).find()), "no device error of kind '" + kind + "'");
        }
        List<String> internal = log.stream().filter(l -> l.contains("internal:")).toList();
        assertTrue(internal.isEmpty(), "a RuntimeException reached a virtio safety net: " + internal);
        assertEquals(0, first.ideInternalErrors(), "a RuntimeException reached the IDE safety net");
        assertTrue(first.completed() > 100, "virtio buffers completed: " + first.completed());
    }

    @Test
    void aSecondRunIsIdentical() {
        assertEquals(first.summary(), second.summary());
        assertEquals(first.outputBytes(), second.outputBytes(), "console output length");
        assertEquals(first.digest(), second.digest(), "console output differs between two --icount runs");
        assertEquals(first.log().size(), second.log().size(), "device errors logged");
        for (int i = 0; i < first.log().size(); i++) {
            assertEquals(first.log().get(i), second.log().get(i), "device error " + i);
        }
        assertArrayEquals(first.virtioImage(), second.virtioImage(), "virtio image");
        assertArrayEquals(first.ideImage(), second.ideImage(), "IDE image");
        assertEquals(first.stats().total(), second.stats().total(), "exit count");
    }

    /**
     * The serial/hvc0 output: the virtio console transmits whatever the storm's buffers held, so
     * keep only its length, a SHA-256, the first 4 KiB and the last 64 KiB.
     */
    static final class CapturingSink extends OutputStream {
        private final MessageDigest sha;
        private final byte[] head = new byte[4096];
        private final byte[] ring = new byte[65536];
        long count;

        CapturingSink() throws Exception {
            sha = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public void write(int b) {
            sha.update((byte) b);
            if (count < head.length) {
                head[(int) count] = (byte) b;
            }
            ring[(int) (count % ring.length)] = (byte) b;
            count++;
        }

        String head() {
            return new String(head, 0, (int) Math.min(count, head.length), StandardCharsets.ISO_8859_1);
        }

        String tail() {
            int n = (int) Math.min(count, ring.length);
            byte[] t = new byte[n];
            for (int i = 0; i < n; i++) {
                t[i] = ring[(int) ((count - n + i) % ring.length)];
            }
            return new String(t, StandardCharsets.ISO_8859_1);
        }

        String digest() {
            try {
                return HexFormat.of().formatHex(((MessageDigest) sha.clone()).digest());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
