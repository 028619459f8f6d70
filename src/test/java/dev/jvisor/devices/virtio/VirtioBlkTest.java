package dev.jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.devices.block.DiskImage;
import dev.jvisor.devices.pci.PciFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VirtioBlkTest {
    static final int RAM = 1 << 20;
    static final long QUEUE = 0x10000;
    static final long HDR = 0x40000;
    static final long DATA = 0x50000;
    static final long STATUS = 0x48000;
    static final int DISK = 1 << 20;
    static final long ALL = VirtioPciTransport.F_VERSION_1 | VirtioPciTransport.F_INDIRECT_DESC
            | VirtioBlk.F_SEG_MAX | VirtioBlk.F_BLK_SIZE | VirtioBlk.F_FLUSH | VirtioBlk.F_RO;

    @TempDir
    Path tmp;

    GuardedRam ram = new GuardedRam(RAM);
    DiskImage image;
    VirtioBlk blk;
    TestDriver d;
    Ring q;
    final AtomicBoolean intx = new AtomicBoolean();
    final StringBuilder log = new StringBuilder();

    Path imageFile(byte[] content) throws IOException {
        Path p = tmp.resolve("disk.img");
        Files.write(p, content);
        return p;
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + (i >>> 9));
        }
        return b;
    }

    void boot(boolean readOnly, long features) throws IOException {
        image = DiskImage.open(imageFile(pattern(DISK)), readOnly);
        blk = new VirtioBlk(ram, image);
        blk.setLog(s -> log.append(s).append('\n'));
        blk.connectIntx(intx::set);
        d = new TestDriver(blk, ram);
        assertTrue((d.negotiate(features) & VirtioPciTransport.FEATURES_OK) != 0);
        q = d.setupQueue(0, 16, QUEUE);
        d.driverOk();
    }

    @AfterEach
    void close() throws IOException {
        if (image != null) {
            image.close();
        }
        assertTrue(ram.guardIntact());
    }

    void header(int type, long sector) {
        ram.write32(HDR, type);
        ram.write32(HDR + 4, 0);
        ram.write64(HDR + 8, sector);
        ram.write8(STATUS, 0xee);
    }

    int[] request(int type, long sector, int len, boolean deviceWrites) {
        header(type, sector);
        if (len > 0) {
            q.add(new Ring.Buf(HDR, 16, false), new Ring.Buf(DATA, len, deviceWrites), new Ring.Buf(STATUS, 1, true));
        } else {
            q.add(new Ring.Buf(HDR, 16, false), new Ring.Buf(STATUS, 1, true));
        }
        q.kick();
        int[] used = q.takeUsed();
        assertNotNull(used, "request completed synchronously");
        return used;
    }

    @Test
    void probeShowsIdentityFeaturesAndConfig() throws IOException {
        boot(false, ALL);
        assertEquals(0x1042, blk.configRead(PciFunction.DEVICE_ID, 2));
        assertEquals(1, blk.configRead(PciFunction.REVISION, 1));
        assertEquals(1, blk.configRead(PciFunction.INTERRUPT_PIN, 1));
        assertEquals(2, blk.configRead(PciFunction.SUBSYSTEM_ID, 2));
        assertEquals(0, blk.configRead(PciFunction.BAR0, 4) & 0xf, "32-bit non-prefetchable memory BAR");
        assertEquals(5, d.caps.size(), "common, notify, isr, device, pci cfg");
        long f = d.deviceFeatures();
        assertTrue((f & VirtioPciTransport.F_VERSION_1) != 0);
        assertEquals(0, f & VirtioBlk.F_RO);
        assertEquals(0, f & (1L << 12), "no multiqueue");
        assertEquals(DISK / 512, d.deviceConfig(0, 4) | d.deviceConfig(4, 4) << 32);
        assertEquals(254, d.deviceConfig(12, 4));
        assertEquals(512, d.deviceConfig(20, 4));
        assertEquals(1, d.common(VirtioPciTransport.NUM_QUEUES, 2));
        assertEquals(0xffff, d.common(VirtioPciTransport.MSIX_CONFIG, 2));
        assertEquals(VirtioPciTransport.ACKNOWLEDGE | VirtioPciTransport.DRIVER | VirtioPciTransport.FEATURES_OK
                | VirtioPciTransport.DRIVER_OK, d.status());
        assertEquals(1, d.common(VirtioPciTransport.QUEUE_ENABLE, 2));
        d.common(VirtioPciTransport.QUEUE_SELECT, 2, 1);
        assertEquals(0, d.common(VirtioPciTransport.QUEUE_SIZE, 2), "absent queue reads size 0");
    }

    @Test
    void negotiationWithoutVersion1Fails() throws IOException {
        image = DiskImage.open(imageFile(pattern(DISK)), false);
        blk = new VirtioBlk(ram, image);
        d = new TestDriver(blk, ram);
        assertEquals(0, d.negotiate(VirtioBlk.F_FLUSH) & VirtioPciTransport.FEATURES_OK);
        // Accepting a feature that was not offered fails too.
        assertEquals(0, d.negotiateExactly(VirtioPciTransport.F_VERSION_1 | (1L << 12), 0) & VirtioPciTransport.FEATURES_OK);
        assertTrue((d.negotiate(VirtioPciTransport.F_VERSION_1) & VirtioPciTransport.FEATURES_OK) != 0);
    }

    @Test
    void readsSectorsAndInterrupts() throws IOException {
        boot(false, ALL);
        int[] used = request(VirtioBlk.T_IN, 3, 1024, true);
        assertEquals(0, used[0]);
        assertEquals(1025, used[1]);
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
        byte[] got = new byte[1024];
        ram.read(DATA, got, 0, 1024);
        assertArrayEquals(Arrays.copyOfRange(pattern(DISK), 3 * 512, 5 * 512), got);
        assertTrue(intx.get());
        assertTrue((blk.config16(PciFunction.STATUS) & PciFunction.STATUS_INTERRUPT) != 0);
        assertEquals(1, d.isr());
        assertFalse(intx.get(), "ISR read clears and deasserts");
        assertEquals(0, d.isr());
    }

    @Test
    void writesReachTheFileAndFlush() throws IOException {
        boot(false, ALL);
        byte[] data = new byte[2048];
        Arrays.fill(data, (byte) 0x5c);
        ram.write(DATA, data, 0, data.length);
        int[] used = request(VirtioBlk.T_OUT, 10, 2048, false);
        assertEquals(1, used[1]);
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
        request(VirtioBlk.T_FLUSH, 0, 0, false);
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
        byte[] file = Files.readAllBytes(image.path());
        assertArrayEquals(data, Arrays.copyOfRange(file, 10 * 512, 14 * 512));
        assertArrayEquals(Arrays.copyOfRange(pattern(DISK), 0, 10 * 512), Arrays.copyOfRange(file, 0, 10 * 512));
        assertArrayEquals(Arrays.copyOfRange(pattern(DISK), 14 * 512, DISK), Arrays.copyOfRange(file, 14 * 512, DISK));
    }

    @Test
    void largeRequestThroughManySegmentsAndBounceBuffer() throws IOException {
        boot(false, ALL);
        // 160 KiB read, split over 5 descriptors: crosses the 64 KiB bounce buffer and segment edges.
        header(VirtioBlk.T_IN, 100);
        q.add(new Ring.Buf(HDR, 16, false), new Ring.Buf(DATA, 4096, true), new Ring.Buf(DATA + 4096, 100 * 1024, true),
                new Ring.Buf(DATA + 4096 + 100 * 1024, 60 * 1024 - 4096, true), new Ring.Buf(STATUS, 1, true));
        q.kick();
        assertEquals(160 * 1024 + 1, q.takeUsed()[1]);
        byte[] got = new byte[160 * 1024];
        ram.read(DATA, got, 0, got.length);
        assertArrayEquals(Arrays.copyOfRange(pattern(DISK), 100 * 512, 100 * 512 + got.length), got);
    }

    @Test
    void indirectDescriptors() throws IOException {
        boot(false, ALL);
        header(VirtioBlk.T_IN, 0);
        q.addIndirect(0x30000, new Ring.Buf(HDR, 16, false), new Ring.Buf(DATA, 512, true), new Ring.Buf(STATUS, 1, true));
        q.kick();
        assertEquals(513, q.takeUsed()[1]);
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
        assertEquals(pattern(DISK)[5], (byte) ram.read8(DATA + 5));
    }

    @Test
    void badRequestsAnswerIoErrOrUnsupp() throws IOException {
        boot(false, ALL);
        request(VirtioBlk.T_IN, DISK / 512 - 1, 1024, true);
        assertEquals(VirtioBlk.S_IOERR, ram.read8(STATUS), "beyond capacity");
        request(VirtioBlk.T_OUT, DISK / 512, 512, false);
        assertEquals(VirtioBlk.S_IOERR, ram.read8(STATUS), "write at capacity");
        request(VirtioBlk.T_IN, -1L, 512, true);
        assertEquals(VirtioBlk.S_IOERR, ram.read8(STATUS), "sector 2^64-1");
        request(VirtioBlk.T_IN, 0, 100, true);
        assertEquals(VirtioBlk.S_IOERR, ram.read8(STATUS), "partial sector");
        request(11, 0, 0, false);
        assertEquals(VirtioBlk.S_UNSUPP, ram.read8(STATUS), "DISCARD not offered");
        // A header shorter than 16 bytes.
        q.add(new Ring.Buf(HDR, 8, false), new Ring.Buf(STATUS, 1, true));
        q.kick();
        q.takeUsed();
        assertEquals(VirtioBlk.S_IOERR, ram.read8(STATUS));
        assertEquals(0, d.status() & VirtioPciTransport.DEVICE_NEEDS_RESET, "request errors do not break the device");
        request(VirtioBlk.T_IN, 0, 512, true);
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
    }

    @Test
    void getId() throws IOException {
        boot(false, ALL);
        int[] used = request(VirtioBlk.T_GET_ID, 0, 20, true);
        assertEquals(21, used[1]);
        byte[] id = new byte[8];
        ram.read(DATA, id, 0, 8);
        assertEquals("disk.img", new String(id, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(0, ram.read8(DATA + 8));
    }

    @Test
    void readOnlyDriveRefusesWrites() throws IOException {
        boot(true, ALL);
        assertTrue((d.deviceFeatures() & VirtioBlk.F_RO) != 0);
        ram.write(DATA, new byte[512], 0, 512);
        request(VirtioBlk.T_OUT, 0, 512, false);
        assertEquals(VirtioBlk.S_IOERR, ram.read8(STATUS));
        assertArrayEquals(pattern(DISK), Files.readAllBytes(image.path()));
        request(VirtioBlk.T_FLUSH, 0, 0, false);
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
        request(VirtioBlk.T_IN, 1, 512, true);
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
    }

    @Test
    void writableImageIsLockedAgainstASecondWriter() throws IOException {
        Path p = imageFile(pattern(4096));
        try (DiskImage first = DiskImage.open(p, false)) {
            IOException e = assertThrows(IOException.class, () -> DiskImage.open(p, false));
            assertEquals(p + ": is locked by another process", e.getMessage());
            try (DiskImage ro = DiskImage.open(p, true)) {
                assertTrue(ro.readOnly());
            }
            assertEquals(4096, first.sizeBytes());
        }
        try (DiskImage again = DiskImage.open(p, false)) {
            assertFalse(again.readOnly());
        }
        IOException missing = assertThrows(IOException.class, () -> DiskImage.open(tmp.resolve("nope"), false));
        assertFalse(missing.getMessage().contains("\n"));
    }

    @Test
    void noInterruptFlagSuppressesTheInterrupt() throws IOException {
        boot(false, ALL);
        ram.write16(q.avail, 1); // VIRTQ_AVAIL_F_NO_INTERRUPT
        request(VirtioBlk.T_IN, 0, 512, true);
        assertFalse(intx.get());
        assertEquals(0, d.isr());
    }

    @Test
    void eventIdxUsedEventSuppressesUntilReached() throws IOException {
        boot(false, ALL | VirtioPciTransport.F_EVENT_IDX);
        long usedEvent = q.avail + 4 + 2L * q.size;
        long availEvent = q.used + 4 + 8L * q.size;
        ram.write16(usedEvent, 1); // interrupt only when used idx passes 1, i.e. on the second completion
        request(VirtioBlk.T_IN, 0, 512, true);
        assertFalse(intx.get());
        assertEquals(1, ram.read16(availEvent), "device asks to be notified of the next buffer");
        request(VirtioBlk.T_IN, 0, 512, true);
        assertTrue(intx.get());
    }

    @Test
    void buffersQueuedBeforeDriverOkWaitForIt() throws IOException {
        image = DiskImage.open(imageFile(pattern(DISK)), false);
        blk = new VirtioBlk(ram, image);
        d = new TestDriver(blk, ram);
        d.negotiate(ALL);
        q = d.setupQueue(0, 16, QUEUE);
        header(VirtioBlk.T_IN, 0);
        q.add(new Ring.Buf(HDR, 16, false), new Ring.Buf(DATA, 512, true), new Ring.Buf(STATUS, 1, true));
        q.kick();
        assertNull(q.takeUsed(), "no buffer used before DRIVER_OK (3.1.1)");
        d.driverOk();
        assertNotNull(q.takeUsed());
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
    }

    @Test
    void resetClearsEverything() throws IOException {
        boot(false, ALL);
        request(VirtioBlk.T_IN, 0, 512, true);
        d.setStatus(0);
        assertEquals(0, d.status());
        assertFalse(intx.get());
        assertEquals(0, d.common(VirtioPciTransport.QUEUE_ENABLE, 2));
        assertEquals(256, d.common(VirtioPciTransport.QUEUE_SIZE, 2));
        // And it comes back.
        d.negotiate(ALL);
        q = d.setupQueue(0, 8, QUEUE);
        d.driverOk();
        request(VirtioBlk.T_IN, 0, 512, true);
        assertEquals(VirtioBlk.S_OK, ram.read8(STATUS));
    }

    @Test
    void pciCfgCapabilityReachesTheBar() throws IOException {
        boot(false, ALL);
        int cap = 0;
        for (int pos = blk.configRead(PciFunction.CAPABILITIES_POINTER, 1); pos != 0; pos = blk.configRead(pos + 1, 1)) {
            if (blk.configRead(pos, 1) == 9 && blk.configRead(pos + 3, 1) == 5) {
                cap = pos;
            }
        }
        assertTrue(cap > 0);
        blk.configWrite(cap + 4, 1, 0);
        blk.configWrite(cap + 8, 4, VirtioPciTransport.COMMON_OFFSET + VirtioPciTransport.DEVICE_STATUS);
        blk.configWrite(cap + 12, 4, 1);
        assertEquals(d.status(), blk.configRead(cap + 16, 4) & 0xff);
        blk.configWrite(cap + 8, 4, VirtioPciTransport.DEVICE_CFG_OFFSET + 20);
        blk.configWrite(cap + 12, 4, 4);
        assertEquals(512, blk.configRead(cap + 16, 4));
    }
}
