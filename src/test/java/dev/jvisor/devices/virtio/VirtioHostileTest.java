package dev.jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.devices.block.DiskImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guest that breaks every rule: each broken ring ends in DEVICE_NEEDS_RESET with a config
 * interrupt and one log line, never an exception, never a byte outside RAM, never a hang.
 */
@Timeout(60)
class VirtioHostileTest {
    static final int RAM = 1 << 20;
    static final long ALL = -1L;
    static final int NEXT = 1;
    static final int WRITE = 2;
    static final int INDIRECT = 4;

    @TempDir
    Path tmp;

    GuardedRam ram = new GuardedRam(RAM);
    DiskImage image;
    VirtioBlk blk;
    TestDriver d;
    Ring q;
    final List<String> log = new ArrayList<>();
    final AtomicBoolean intx = new AtomicBoolean();

    @BeforeEach
    void probe() throws IOException {
        Path p = tmp.resolve("hostile.img");
        Files.write(p, new byte[64 * 1024]);
        image = DiskImage.open(p, false);
        blk = new VirtioBlk(ram, image);
        blk.setLog(log::add);
        blk.connectIntx(intx::set);
        d = new TestDriver(blk, ram);
        d.negotiate(ALL);
        q = d.setupQueue(0, 16, 0x10000);
        d.driverOk();
    }

    @AfterEach
    void close() throws IOException {
        image.close();
        assertTrue(ram.guardIntact(), "a device wrote outside guest RAM");
    }

    /** Puts raw descriptor {@code i} in the queue's table. */
    void desc(int i, long addr, int len, int flags, int next) {
        q.writeDesc(q.desc, i, addr, len, flags, next);
    }

    void submit(int head) {
        q.publish(head);
        q.kick();
    }

    void assertDeviceError() {
        assertTrue((d.status() & VirtioPciTransport.DEVICE_NEEDS_RESET) != 0, "NEEDS_RESET");
        assertTrue(intx.get(), "config interrupt");
        assertEquals(2, d.isr() & 2, "ISR config bit");
        assertEquals(1, log.size(), "one log line: " + log);
        assertNull(q.takeUsed(), "no used buffer for a broken chain");
        // Further kicks are ignored until reset.
        q.kick();
        assertEquals(1, log.size());
        // A reset brings the device back.
        d.negotiate(ALL);
        q = d.setupQueue(0, 16, 0x10000);
        d.driverOk();
        assertEquals(0, d.status() & VirtioPciTransport.DEVICE_NEEDS_RESET);
    }

    void header(long at) {
        ram.write32(at, VirtioBlk.T_IN);
        ram.write64(at + 8, 0);
    }

    @Test
    void descriptorLoop() {
        header(0x40000);
        desc(0, 0x40000, 16, NEXT, 1);
        desc(1, 0x41000, 512, NEXT | WRITE, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void selfLoop() {
        desc(3, 0x40000, 16, NEXT, 3);
        submit(3);
        assertDeviceError();
    }

    @Test
    void loopInsideIndirectTable() {
        long t = 0x30000;
        q.writeDesc(t, 0, 0x40000, 16, NEXT, 1);
        q.writeDesc(t, 1, 0x41000, 16, NEXT | WRITE, 2);
        q.writeDesc(t, 2, 0x42000, 16, NEXT | WRITE, 1);
        desc(0, t, 48, INDIRECT, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void bufferOutsideRam() {
        desc(0, RAM - 8, 16, 0, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void addressThatWrapsAround() {
        desc(0, 0xffff_ffff_ffff_fff0L, 0x20, WRITE, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void hugeLength() {
        desc(0, 0x40000, 16, NEXT, 1);
        desc(1, 0x41000, 0xffff_ffff, WRITE, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void headIndexBeyondQueue() {
        submit(16);
        assertDeviceError();
    }

    @Test
    void nextIndexBeyondQueue() {
        desc(0, 0x40000, 16, NEXT, 0xffff);
        submit(0);
        assertDeviceError();
    }

    @Test
    void availIndexRunsAhead() {
        ram.write16(q.avail + 2, 100);
        q.kick();
        assertDeviceError();
    }

    @Test
    void readableAfterWritable() {
        desc(0, 0x40000, 16, NEXT | WRITE, 1);
        desc(1, 0x41000, 16, 0, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void nestedIndirect() {
        q.writeDesc(0x30000, 0, 0x31000, 16, INDIRECT, 0);
        desc(0, 0x30000, 16, INDIRECT, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void indirectTableOfBadLength() {
        desc(0, 0x30000, 24, INDIRECT, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void indirectTableOutsideRam() {
        desc(0, RAM - 16, 32, INDIRECT, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void indirectTableTooLong() {
        desc(0, 0x30000, 16 * 4096, INDIRECT, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void indirectWithNext() {
        desc(0, 0x30000, 16, INDIRECT | NEXT, 1);
        submit(0);
        assertDeviceError();
    }

    @Test
    void indirectNotNegotiated() {
        d.negotiate(VirtioPciTransport.F_VERSION_1);
        q = d.setupQueue(0, 16, 0x10000);
        d.driverOk();
        q.writeDesc(0x30000, 0, 0x40000, 16, 0, 0);
        desc(0, 0x30000, 16, INDIRECT, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void requestWithoutStatusByte() {
        header(0x40000);
        desc(0, 0x40000, 16, 0, 0);
        submit(0);
        assertDeviceError();
    }

    @Test
    void usedRingOutsideRamRefusedAtEnable() {
        d.negotiate(ALL);
        d.common(VirtioPciTransport.QUEUE_SELECT, 2, 0);
        d.common(VirtioPciTransport.QUEUE_SIZE, 2, 16);
        d.common(VirtioPciTransport.QUEUE_DESC, 4, 0x10000);
        d.common(VirtioPciTransport.QUEUE_DRIVER, 4, 0x11000);
        d.common(VirtioPciTransport.QUEUE_DEVICE, 4, RAM - 64);
        d.common(VirtioPciTransport.QUEUE_ENABLE, 2, 1);
        assertEquals(0, d.common(VirtioPciTransport.QUEUE_ENABLE, 2));
        assertTrue((d.status() & VirtioPciTransport.DEVICE_NEEDS_RESET) != 0);
        assertEquals(1, log.size());
    }

    @Test
    void badQueueSizesAndAlignment() {
        int[][] cases = {{0, 0x10000}, {12, 0x10000}, {512, 0x10000}, {16, 0x10008}};
        for (int[] c : cases) {
            d.negotiate(ALL);
            d.common(VirtioPciTransport.QUEUE_SIZE, 2, c[0]);
            d.common(VirtioPciTransport.QUEUE_DESC, 4, c[1]);
            d.common(VirtioPciTransport.QUEUE_DRIVER, 4, 0x11000);
            d.common(VirtioPciTransport.QUEUE_DEVICE, 4, 0x12000);
            d.common(VirtioPciTransport.QUEUE_ENABLE, 2, 1);
            assertEquals(0, d.common(VirtioPciTransport.QUEUE_ENABLE, 2), "size " + c[0] + " desc " + c[1]);
            assertTrue((d.status() & VirtioPciTransport.DEVICE_NEEDS_RESET) != 0);
        }
    }

    @Test
    void driverOkWithoutFeaturesOk() {
        d.setStatus(0);
        d.setStatus(VirtioPciTransport.ACKNOWLEDGE | VirtioPciTransport.DRIVER | VirtioPciTransport.DRIVER_OK);
        assertEquals(0, d.status() & VirtioPciTransport.DRIVER_OK);
        assertTrue((d.status() & VirtioPciTransport.DEVICE_NEEDS_RESET) != 0);
    }

    @Test
    void driverCannotClearStatusBitsOrFeaturesAfterFeaturesOk() {
        int before = d.status();
        d.setStatus(VirtioPciTransport.ACKNOWLEDGE);
        assertEquals(before, d.status());
        d.common(VirtioPciTransport.DRIVER_FEATURE_SELECT, 4, 1);
        d.common(VirtioPciTransport.DRIVER_FEATURE, 4, 0);
        assertEquals(1, d.common(VirtioPciTransport.DRIVER_FEATURE, 4), "VERSION_1 still accepted");
    }

    // ---- random traffic ----

    /**
     * Registers, rings and RAM driven by a seeded random guest: mostly plausible driver traffic
     * (valid set-ups, chains of random but nearly-right descriptors and requests) mixed with
     * random register writes, config-space writes, status values and RAM scribbles. The device
     * must survive each run, complete real requests along the way, and log only one-line
     * guest errors (never an internal exception).
     */
    void fuzz(VirtioPciTransport dev, long seed, int ops) {
        List<String> lines = new ArrayList<>();
        dev.setLog(lines::add);
        Random r = new Random(seed);
        TestDriver fd = new TestDriver(dev, ram);
        int queues = (int) fd.common(VirtioPciTransport.NUM_QUEUES, 2);
        long[] base = new long[queues];
        int[] qsize = new int[queues];
        int[] availIdx = new int[queues];
        int[] sizes = {1, 2, 4, 8, 16, 64, 256, 3, 0, 1024};
        for (int i = 0; i < ops; i++) {
            int op = r.nextInt(100);
            int size = new int[] {1, 2, 4, 8}[r.nextInt(4)];
            if (op < 8) {
                int field = r.nextInt(VirtioPciTransport.COMMON_LENGTH + 8);
                if (r.nextBoolean()) {
                    field &= ~(size - 1);
                }
                dev.mmioBarWrite(VirtioPciTransport.BAR, field, size, r.nextLong());
            } else if (op < 14) {
                dev.mmioBarRead(VirtioPciTransport.BAR, r.nextInt(VirtioPciTransport.BAR_SIZE + 16) - 8, size);
            } else if (op < 20) {
                dev.mmioBarWrite(VirtioPciTransport.BAR, VirtioPciTransport.NOTIFY_OFFSET + r.nextInt(16), size,
                        r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(queues + 1));
            } else if (op < 26) {
                long at = 0x10000 + r.nextInt(0x40000);
                ram.writeLE(at, size, r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(64));
            } else if (op < 32 || (fd.status() & VirtioPciTransport.DEVICE_NEEDS_RESET) != 0 && op < 60) {
                // A set-up, usually valid, sometimes with hostile sizes, features or addresses.
                boolean valid = r.nextInt(4) != 0;
                fd.negotiate(valid || r.nextBoolean() ? ALL : r.nextLong());
                for (int qi = 0; qi < queues; qi++) {
                    fd.common(VirtioPciTransport.QUEUE_SELECT, 2, qi);
                    qsize[qi] = valid ? 1 << r.nextInt(5) : sizes[r.nextInt(sizes.length)];
                    base[qi] = valid ? 0x10000 + 0x4000L * (qi * 4 + r.nextInt(4)) : RAM - r.nextInt(4096);
                    availIdx[qi] = 0;
                    ram.write(base[qi], new byte[0x4000], 0, (int) Math.min(0x4000, Math.max(0, RAM - base[qi])));
                    fd.common(VirtioPciTransport.QUEUE_SIZE, 2, qsize[qi]);
                    fd.common(VirtioPciTransport.QUEUE_DESC, 4, base[qi]);
                    fd.common(VirtioPciTransport.QUEUE_DRIVER, 4, base[qi] + 0x1000);
                    fd.common(VirtioPciTransport.QUEUE_DEVICE, 4, base[qi] + 0x2000);
                    fd.common(VirtioPciTransport.QUEUE_ENABLE, 2, 1);
                }
                fd.driverOk();
            } else if (op < 80) {
                // A plausible chain: request header, data, status; random flags and lengths now and then.
                int qi = r.nextInt(queues);
                int n = Math.max(1, qsize[qi]);
                if (qsize[qi] == 0 || base[qi] + 0x3000 > RAM) {
                    continue;
                }
                int head = r.nextInt(n);
                int len = 1 + r.nextInt(3);
                long buf = 0x50000 + r.nextInt(0x10000);
                ram.write32(buf, new int[] {0, 1, 4, 8, 99}[r.nextInt(5)]);
                ram.write64(buf + 8, r.nextInt(140));
                for (int k = 0; k < len; k++) {
                    int slot = (head + k) % n;
                    boolean last = k == len - 1;
                    int flags = (last ? 0 : 1) | (k > 0 ? 2 : 0);
                    if (r.nextInt(20) == 0) {
                        flags = r.nextInt(8);
                    }
                    int dlen = k == 0 ? 16 : last ? 1 : 512 * r.nextInt(4);
                    if (r.nextInt(20) == 0) {
                        dlen = r.nextInt();
                    }
                    q.writeDesc(base[qi], slot, buf + 0x100L * k, dlen, flags, (slot + 1) % n);
                }
                ram.write16(base[qi] + 0x1000 + 4 + 2L * (availIdx[qi] % n), head);
                availIdx[qi] = (availIdx[qi] + 1) & 0xffff;
                ram.write16(base[qi] + 0x1000 + 2, availIdx[qi]);
                dev.mmioBarWrite(VirtioPciTransport.BAR, VirtioPciTransport.NOTIFY_OFFSET + 4L * qi, 2, qi);
                fd.isr();
            } else if (op < 88) {
                dev.configWrite(r.nextInt(256), size == 8 ? 4 : size, r.nextInt());
            } else if (op < 93) {
                dev.configRead(r.nextInt(260), size == 8 ? 4 : size);
            } else if (op < 95) {
                fd.setStatus(r.nextInt(256));
            } else if (dev instanceof VirtioConsole con) {
                byte[] in = new byte[r.nextInt(300)];
                r.nextBytes(in);
                con.receive(in);
            } else {
                ram.writeLE(0x10000 + r.nextInt(0x40000), 8, r.nextLong());
            }
        }
        assertTrue(dev.completedBuffers() > 20, dev.name() + " seed " + seed + " completed only " + dev.completedBuffers());
        for (String line : lines) {
            assertTrue(!line.contains("\n") && line.length() < 200, line);
            assertTrue(!line.contains("internal"), "no unexpected exception: " + line);
        }
    }

    @Test
    void randomTrafficBlk() {
        for (long seed = 1; seed <= 6; seed++) {
            fuzz(blk, seed, 5000);
        }
    }

    @Test
    void randomTrafficConsole() {
        Consumer<String> ignore = s -> { };
        VirtioConsole con = new VirtioConsole(ram, b -> { }, () -> { });
        con.setLog(ignore);
        for (long seed = 10; seed <= 15; seed++) {
            fuzz(con, seed, 5000);
        }
    }

    @Test
    void randomTrafficRng() {
        VirtioRng rng = new VirtioRng(ram, new Random(3));
        for (long seed = 20; seed <= 25; seed++) {
            fuzz(rng, seed, 5000);
        }
    }

    /** Random whole descriptor tables behind a correctly set-up queue: the densest ring fuzz. */
    @Test
    void randomDescriptorTables() {
        Random r = new Random(99);
        for (int round = 0; round < 3000; round++) {
            if ((d.status() & VirtioPciTransport.DEVICE_NEEDS_RESET) != 0 || r.nextInt(10) == 0) {
                log.clear();
                d.negotiate(ALL);
                q = d.setupQueue(0, 16, 0x10000);
                d.driverOk();
            }
            for (int i = 0; i < 16; i++) {
                long addr = r.nextInt(4) == 0 ? r.nextLong() : 0x40000 + r.nextInt(0x20000);
                int len = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(4096);
                desc(i, addr, len, r.nextInt(8), r.nextInt(4) == 0 ? r.nextInt(0x10000) : r.nextInt(17));
            }
            for (int i = 0; i < 4; i++) {
                q.writeDesc(0x30000, i, 0x40000 + r.nextInt(0x20000), r.nextInt(1024), r.nextInt(8), r.nextInt(5));
            }
            ram.write32(0x40000, r.nextInt(10));
            ram.write64(0x40008, r.nextInt(200));
            submit(r.nextInt(18));
        }
        assertTrue(log.size() <= 1);
    }
}
