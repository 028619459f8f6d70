package dev.jvisor.devices.ide;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bus-master DMA in the order ata_bmdma_setup / ata_bmdma_start / ata_bmdma_port_intr use it. */
class IdeDmaTest {
    static final int SECTORS = 4096;
    static final long PRD = 0x1000;

    @TempDir
    Path dir;
    Path image;
    IdeRig rig;

    @BeforeEach
    void setUp() throws IOException {
        image = IdeRig.image(dir, "disk.img", SECTORS, 5);
        rig = new IdeRig(1 << 20);
        rig.ide.attach(0, RawIdeDisk.open(image, false));
        rig.softReset();
    }

    /** Drives one DMA command to completion as libata's interrupt handler would; returns BM status. */
    int runDma(int command, long lba, int count, boolean toMemory, boolean ext) {
        rig.irq14.takeEdges();
        rig.bmSetup(PRD, toMemory);
        if (ext) {
            rig.command48(0, command, lba, count);
        } else {
            rig.command28(0, command, lba, count, 0);
        }
        assertEquals(0, rig.irq14.takeEdges(), "nothing moves before Start");
        rig.bmStart();
        int bm = rig.bmStatus();
        rig.bmStop();
        return bm;
    }

    @Test
    void readDmaScattersOverThePrdTable() throws IOException {
        byte[] file = Files.readAllBytes(image);
        // 8 sectors into three regions: 1 KiB, 2 KiB, 1 KiB
        rig.ram.prd(PRD, 0, 0x20000, 1024, false);
        rig.ram.prd(PRD, 1, 0x30000, 2048, false);
        rig.ram.prd(PRD, 2, 0x40400, 1024, true);
        int bm = runDma(AtaCommand.READ_DMA, 10, 8, true, false);
        assertEquals(BusMasterChannel.ST_INTERRUPT, bm & 7, "Interrupt, not Active, no Error");
        assertEquals(1, rig.irq14.takeEdges());
        assertEquals(0x50, rig.status());
        rig.bmClear();
        assertEquals(0, rig.bmStatus() & 7);
        int base = 10 * 512;
        assertArrayEquals(Arrays.copyOfRange(file, base, base + 1024), rig.ram.slice(0x20000, 1024));
        assertArrayEquals(Arrays.copyOfRange(file, base + 1024, base + 3072), rig.ram.slice(0x30000, 2048));
        assertArrayEquals(Arrays.copyOfRange(file, base + 3072, base + 4096), rig.ram.slice(0x40400, 1024));
    }

    @Test
    void writeDmaGathersAndLandsInTheFile() throws IOException {
        byte[] data = new byte[4096];
        new Random(3).nextBytes(data);
        rig.ram.put(0x50000, Arrays.copyOf(data, 512));
        rig.ram.put(0x60000, Arrays.copyOfRange(data, 512, 4096));
        rig.ram.prd(PRD, 0, 0x50000, 512, false);
        rig.ram.prd(PRD, 1, 0x60000, 3584, true);
        int bm = runDma(AtaCommand.WRITE_DMA, 7, 8, false, false);
        assertEquals(BusMasterChannel.ST_INTERRUPT, bm & 7);
        assertEquals(0x50, rig.status());
        rig.command28(0, AtaCommand.FLUSH_CACHE, 0, 0, 0);
        assertEquals(0x50, rig.status());
        assertArrayEquals(data, Arrays.copyOfRange(Files.readAllBytes(image), 7 * 512, 15 * 512));
    }

    @Test
    void lba48DmaAndSixtyFourKiBRegions() throws IOException {
        byte[] file = Files.readAllBytes(image);
        // 256 sectors = 128 KiB through two entries with byte count 0 (= 64 KiB each)
        rig.ram.prd(PRD, 0, 0x80000, 0, false);
        rig.ram.prd(PRD, 1, 0x90000, 0, true);
        int bm = runDma(AtaCommand.READ_DMA_EXT, 3000, 256, true, true);
        assertEquals(BusMasterChannel.ST_INTERRUPT, bm & 7);
        assertEquals(0x50, rig.status());
        assertArrayEquals(Arrays.copyOfRange(file, 3000 * 512, 3256 * 512),
                concat(rig.ram.slice(0x80000, 0x10000), rig.ram.slice(0x90000, 0x10000)));
        bm = runDma(AtaCommand.WRITE_DMA_EXT, 100, 256, false, true);
        assertEquals(BusMasterChannel.ST_INTERRUPT, bm & 7);
        assertArrayEquals(Arrays.copyOfRange(file, 3000 * 512, 3256 * 512),
                Arrays.copyOfRange(Files.readAllBytes(image), 100 * 512, 356 * 512));
    }

    @Test
    void startBeforeCommandAlsoWorksAndALargerTableLeavesActiveSet() {
        rig.ram.prd(PRD, 0, 0x20000, 8192, true);
        rig.bmSetup(PRD, true);
        rig.bmStart();
        assertEquals(BusMasterChannel.ST_ACTIVE, rig.bmStatus() & 7);
        rig.command28(0, AtaCommand.READ_DMA, 0, 1, 0);
        assertEquals(1, rig.irq14.takeEdges());
        assertEquals(BusMasterChannel.ST_INTERRUPT | BusMasterChannel.ST_ACTIVE, rig.bmStatus() & 7,
                "PRD describes more than the drive moved (SFF-8038i: Interrupt=1 Active=1)");
        rig.bmStop();
        assertEquals(BusMasterChannel.ST_INTERRUPT, rig.bmStatus() & 7);
        assertEquals(0x50, rig.status());
    }

    @Test
    void shortTableIsABusMasterError() {
        rig.ram.prd(PRD, 0, 0x20000, 1024, true);
        int bm = runDma(AtaCommand.READ_DMA, 0, 4, true, false);
        assertEquals(BusMasterChannel.ST_INTERRUPT | BusMasterChannel.ST_ERROR, bm & 7);
        assertEquals(0x51, rig.status());
        assertEquals(Ata.ABRT, rig.inb(1));
    }

    @Test
    void regionOutsideRamIsABusMasterError() {
        rig.ram.prd(PRD, 0, rig.ram.size() - 512, 1024, true);
        int bm = runDma(AtaCommand.READ_DMA, 0, 2, true, false);
        assertEquals(BusMasterChannel.ST_INTERRUPT | BusMasterChannel.ST_ERROR, bm & 7);
        assertEquals(0x51, rig.status());
        assertTrue(rig.ram.guardsIntact());
        rig.bmClear();
        // PRD table itself outside RAM
        rig.bmSetup(0xFFFF_FFF0L, true);
        rig.command28(0, AtaCommand.READ_DMA, 0, 1, 0);
        rig.bmStart();
        assertEquals(BusMasterChannel.ST_INTERRUPT | BusMasterChannel.ST_ERROR, rig.bmStatus() & 7);
        assertEquals(0x51, rig.status());
    }

    @Test
    void tableWithoutEotIsWalkedAtMostOneFullTable() throws IOException {
        // 64 KiB of 2-byte entries with no EOT, at the top of a 64 KiB page, against a 32 MiB read
        for (int i = 0; i < PrdCursor.MAX_ENTRIES; i++) {
            rig.ram.prd(0x70000, i, 0x20000 + 2L * i, 2, false);
        }
        rig.ram.prd(0x80000, 0, 0x0, 0, true); // entry 8193 would point at [0, 64 KiB): must stay unread
        rig.ram.fill(0x100, 0x10000 - 0x100, (byte) 0xAB);
        long t0 = System.nanoTime();
        rig.irq14.takeEdges();
        rig.bmSetup(0x70000, true);
        rig.command48(0, AtaCommand.READ_DMA_EXT, 0, 4096);
        rig.bmStart();
        assertEquals(BusMasterChannel.ST_INTERRUPT | BusMasterChannel.ST_ERROR, rig.bmStatus() & 7);
        assertEquals(0x51, rig.status());
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "bounded walk");
        assertTrue(rig.ram.guardsIntact());
        byte[] untouched = new byte[0x10000 - 0x100];
        Arrays.fill(untouched, (byte) 0xAB);
        assertArrayEquals(untouched, rig.ram.slice(0x100, untouched.length), "nothing past 8192 entries was used");
        assertArrayEquals(Arrays.copyOf(Files.readAllBytes(image), 2 * PrdCursor.MAX_ENTRIES),
                rig.ram.slice(0x20000, 2 * PrdCursor.MAX_ENTRIES), "the 8192 two-byte regions were filled");
    }

    @Test
    void wrongDirectionOrBusMasteringOffFailsCleanly() throws IOException {
        byte[] before = Files.readAllBytes(image);
        rig.ram.prd(PRD, 0, 0x20000, 512, true);
        int bm = runDma(AtaCommand.WRITE_DMA, 0, 1, true, false);
        assertEquals(BusMasterChannel.ST_INTERRUPT | BusMasterChannel.ST_ERROR, bm & 7);
        assertEquals(0x51, rig.status());
        rig.bmClear();
        rig.cfgWrite(0x04, 2, rig.cfgRead(0x04, 2) & ~0x4);
        bm = runDma(AtaCommand.READ_DMA, 0, 1, true, false);
        assertEquals(BusMasterChannel.ST_ERROR, bm & BusMasterChannel.ST_ERROR);
        assertEquals(0x51, rig.status());
        assertArrayEquals(before, Files.readAllBytes(image));
    }

    @Test
    void secondaryChannelUsesItsOwnRegistersAndIrq() throws IOException {
        IdeRig r = new IdeRig().secondary();
        Path img = IdeRig.image(dir, "sec.img", 64, 8);
        r.ide.attach(2, RawIdeDisk.open(img, false));
        r.ram.prd(PRD, 0, 0x20000, 1024, true);
        r.bmSetup(PRD, true);
        r.command28(0, AtaCommand.READ_DMA, 4, 2, 0);
        r.bmStart();
        assertEquals(1, r.irq15.takeEdges());
        assertEquals(0, r.irq14.takeEdges());
        assertEquals(BusMasterChannel.ST_INTERRUPT | BusMasterChannel.ST_DRIVE0_DMA, r.bmStatus());
        assertEquals(0, r.ports.read(r.bmBase + 2, 1) & 7, "primary bus master untouched");
        assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(img), 2048, 3072), r.ram.slice(0x20000, 1024));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
