package dev.jvisor.devices.ide;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdePioTest {
    static final int SECTORS = 2048;

    @TempDir
    Path dir;
    Path image;
    IdeRig rig;

    @BeforeEach
    void setUp() throws IOException {
        image = IdeRig.image(dir, "disk.img", SECTORS, 42);
        rig = new IdeRig();
        rig.ide.attach(0, RawIdeDisk.open(image, false));
        rig.softReset();
    }

    static int word(byte[] id, int w) {
        return (id[2 * w] & 0xFF) | (id[2 * w + 1] & 0xFF) << 8;
    }

    static String string(byte[] id, int word, int words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            int w = word(id, word + i);
            sb.append((char) (w >>> 8)).append((char) (w & 0xFF));
        }
        return sb.toString().trim();
    }

    byte[] identify() {
        rig.irq14.takeEdges();
        rig.command28(0, AtaCommand.IDENTIFY_DEVICE, 0, 0, 0);
        assertEquals(1, rig.irq14.takeEdges(), "interrupt when the data block is ready");
        assertEquals(0x58, rig.altStatus(), "DRDY DSC DRQ");
        assertTrue(rig.ide.irqAsserted(0));
        assertEquals(0x58, rig.status());
        assertFalse(rig.ide.irqAsserted(0), "reading Status clears INTRQ");
        byte[] id = rig.readBlock(512);
        assertEquals(0x50, rig.altStatus(), "DRQ clears after the last word");
        assertEquals(0, rig.irq14.takeEdges(), "no interrupt at the end of a PIO data-in command");
        return id;
    }

    @Test
    void identifyDevice() {
        byte[] id = identify();
        int sum = 0;
        for (byte b : id) {
            sum += b & 0xFF;
        }
        assertEquals(0, sum & 0xFF, "checksum");
        assertEquals(0xA5, id[510] & 0xFF);
        assertEquals(0, word(id, 0) & 0x8000, "ATA device");
        assertEquals("JVISOR HARDDISK", string(id, 27, 20));
        assertEquals("JVISOR-HD0", string(id, 10, 10));
        assertEquals("1.0", string(id, 23, 4));
        assertEquals(0x0300, word(id, 49) & 0x0300, "LBA and DMA");
        assertEquals(SECTORS, word(id, 60) | word(id, 61) << 16);
        assertEquals(0x4000, word(id, 83) & 0xC000);
        assertTrue((word(id, 83) & 1 << 10) != 0 && (word(id, 86) & 1 << 10) != 0, "LBA48 supported and enabled");
        assertTrue((word(id, 83) & 1 << 12) != 0, "FLUSH CACHE");
        assertEquals(SECTORS, word(id, 100) | word(id, 101) << 16);
        assertEquals(0, word(id, 102) | word(id, 103));
        assertEquals(0x0407, word(id, 63), "MWDMA 0-2, mode 2 selected");
        assertEquals(0x003F, word(id, 88), "UDMA 0-5 supported, none selected");
        assertEquals(0x0003, word(id, 64));
        assertEquals(0x0007, word(id, 53));
        assertEquals(0x8010, word(id, 47));
        assertEquals(0x0110, word(id, 59), "multiple mode 16 valid");
        assertTrue((word(id, 80) & 1 << 6) != 0, "ATA-6");
        assertEquals(1 << 5, word(id, 85) & 1 << 5, "write cache enabled");
    }

    @Test
    void setFeaturesTransferModeAndWriteCacheShowInIdentify() {
        rig.command28(0, AtaCommand.SET_FEATURES, 0, 0x40 | 2, AtaCommand.FEATURE_TRANSFER_MODE);
        assertEquals(0x50, rig.status());
        byte[] id = identify();
        assertEquals(0x0007, word(id, 63));
        assertEquals(0x043F, word(id, 88), "UDMA2 selected");
        rig.command28(0, AtaCommand.SET_FEATURES, 0, 0x20 | 1, AtaCommand.FEATURE_TRANSFER_MODE);
        rig.command28(0, AtaCommand.SET_FEATURES, 0, 0, AtaCommand.FEATURE_WRITE_CACHE_OFF);
        assertEquals(0x50, rig.status());
        id = identify();
        assertEquals(0x0207, word(id, 63));
        assertEquals(0x003F, word(id, 88));
        assertEquals(0, word(id, 85) & 1 << 5);
        rig.command28(0, AtaCommand.SET_FEATURES, 0, 0x20 | 3, AtaCommand.FEATURE_TRANSFER_MODE);
        assertEquals(0x51, rig.status(), "MWDMA3 does not exist");
        assertEquals(Ata.ABRT, rig.inb(1));
        rig.command28(0, AtaCommand.SET_FEATURES, 0, 0, 0x99);
        assertEquals(0x51, rig.status());
    }

    @Test
    void readSectorsInterruptsPerBlock() throws IOException {
        byte[] file = Files.readAllBytes(image);
        rig.command28(0, AtaCommand.READ_SECTORS, 100, 3, 0);
        for (int s = 0; s < 3; s++) {
            assertEquals(1, rig.irq14.takeEdges(), "interrupt for block " + s);
            assertEquals(0x58, rig.status());
            assertArrayEquals(Arrays.copyOfRange(file, (100 + s) * 512, (101 + s) * 512), rig.readBlock(512));
        }
        assertEquals(0, rig.irq14.takeEdges());
        assertEquals(0x50, rig.status());
    }

    @Test
    void writeSectorsStoresInTheImageFile() throws IOException {
        byte[] data = new byte[3 * 512];
        new Random(7).nextBytes(data);
        rig.command28(0, AtaCommand.WRITE_SECTORS, 2000, 3, 0);
        assertEquals(0, rig.irq14.takeEdges(), "no interrupt before the first block");
        for (int s = 0; s < 3; s++) {
            assertEquals(0x58, rig.altStatus());
            rig.writeBlock(data, s * 512, 512);
            assertEquals(1, rig.irq14.takeEdges(), "interrupt after block " + s);
            rig.status();
        }
        assertEquals(0x50, rig.status());
        byte[] file = Files.readAllBytes(image);
        assertArrayEquals(data, Arrays.copyOfRange(file, 2000 * 512, 2003 * 512));
        rig.command28(0, AtaCommand.FLUSH_CACHE, 0, 0, 0);
        assertEquals(1, rig.irq14.takeEdges());
        assertEquals(0x50, rig.status());
    }

    @Test
    void multipleModeTransfersBlocksOfNSectors() throws IOException {
        rig.command28(0, AtaCommand.SET_MULTIPLE_MODE, 0, 4, 0);
        assertEquals(0x50, rig.status());
        byte[] data = new byte[10 * 512];
        new Random(9).nextBytes(data);
        rig.irq14.takeEdges();
        rig.command28(0, AtaCommand.WRITE_MULTIPLE, 500, 10, 0);
        int interrupts = 0;
        for (int block = 0; block < 3; block++) {
            int n = Math.min(4, 10 - 4 * block);
            rig.writeBlock(data, block * 4 * 512, n * 512);
            interrupts += rig.irq14.takeEdges();
            rig.status();
        }
        assertEquals(3, interrupts, "one interrupt per block of 4, 4, 2 sectors");
        assertArrayEquals(data, Arrays.copyOfRange(Files.readAllBytes(image), 500 * 512, 510 * 512));
        rig.command28(0, AtaCommand.READ_MULTIPLE, 500, 10, 0);
        byte[] back = new byte[10 * 512];
        for (int block = 0; block < 3; block++) {
            assertEquals(1, rig.irq14.takeEdges());
            assertEquals(0x58, rig.status());
            int n = Math.min(4, 10 - 4 * block);
            System.arraycopy(rig.readBlock(n * 512), 0, back, block * 2048, n * 512);
        }
        assertArrayEquals(data, back);
        assertEquals(0x50, rig.status());
        rig.command28(0, AtaCommand.SET_MULTIPLE_MODE, 0, 3, 0);
        assertEquals(0x51, rig.status(), "not a power of two");
        rig.command28(0, AtaCommand.SET_MULTIPLE_MODE, 0, 0, 0);
        rig.command28(0, AtaCommand.READ_MULTIPLE, 0, 1, 0);
        assertEquals(0x51, rig.status(), "multiple mode disabled");
        assertEquals(Ata.ABRT, rig.inb(1));
    }

    @Test
    void lba48ReadAndWriteWithHob() throws IOException {
        byte[] data = new byte[2 * 512];
        new Random(11).nextBytes(data);
        rig.command48(0, AtaCommand.WRITE_SECTORS_EXT, 2046, 2);
        rig.writeBlock(data, 0, 512);
        rig.status();
        rig.writeBlock(data, 512, 512);
        assertEquals(0x50, rig.status());
        assertArrayEquals(data, Arrays.copyOfRange(Files.readAllBytes(image), 2046 * 512, 2048 * 512));
        rig.command48(0, AtaCommand.READ_SECTORS_EXT, 2046, 2);
        assertArrayEquals(Arrays.copyOf(data, 512), rig.readBlock(512));
        // ata_sff_tf_read with LBA48: HOB set returns the previous bytes
        rig.control(IdeRig.DEVCTL_OBS | Ata.HOB);
        assertEquals(0, rig.inb(2));
        rig.control(IdeRig.DEVCTL_OBS);
        assertEquals(2, rig.inb(2));
        rig.command48(0, AtaCommand.READ_SECTORS_EXT, 1L << 40, 1);
        assertEquals(0x51, rig.status());
        assertEquals(Ata.IDNF, rig.inb(1));
        rig.command48(0, AtaCommand.FLUSH_CACHE_EXT, 0, 0);
        assertEquals(0x50, rig.status());
    }

    @Test
    void errorsEndInErrWithACode() {
        rig.command28(0, AtaCommand.READ_SECTORS, SECTORS - 1, 2, 0);
        assertEquals(1, rig.irq14.takeEdges());
        assertEquals(0x51, rig.status());
        assertEquals(Ata.IDNF, rig.inb(1), "past the end of the disk");
        rig.command28(0, 0xB0, 0, 0, 0);
        assertEquals(0x51, rig.status());
        assertEquals(Ata.ABRT, rig.inb(1), "SMART not implemented");
        rig.command28(0, AtaCommand.READ_VERIFY, SECTORS - 4, 4, 0);
        assertEquals(0x50, rig.status());
        rig.command28(0, AtaCommand.READ_VERIFY_EXT, SECTORS, 1, 0);
        assertEquals(0x51, rig.status());
        rig.command28(0, AtaCommand.CHECK_POWER_MODE, 0, 0, 0);
        assertEquals(0x50, rig.status());
        assertEquals(0xFF, rig.inb(2));
        for (int cmd = AtaCommand.STANDBY_IMMEDIATE; cmd <= AtaCommand.IDLE; cmd++) {
            rig.command28(0, cmd, 0, 0, 0);
            assertEquals(0x50, rig.status());
        }
    }

    @Test
    void nienMasksTheInterruptAndAltStatusDoesNotClearIt() {
        rig.control(IdeRig.DEVCTL_OBS | Ata.NIEN);
        rig.command28(0, AtaCommand.FLUSH_CACHE, 0, 0, 0);
        assertEquals(0, rig.irq14.takeEdges());
        assertFalse(rig.irq14.level());
        rig.control(IdeRig.DEVCTL_OBS);
        assertEquals(1, rig.irq14.takeEdges(), "the pending request shows once nIEN clears");
        rig.altStatus();
        assertTrue(rig.irq14.level());
        rig.status();
        assertFalse(rig.irq14.level());
    }

    @Test
    void chsAddressingUsesTheCurrentTranslation() throws IOException {
        byte[] file = Files.readAllBytes(image);
        // cylinder 1, head 2, sector 3 with 16 heads and 63 sectors per track
        long lba = (1L * 16 + 2) * 63 + 2;
        rig.outb(2, 1);
        rig.outb(3, 3);
        rig.outb(4, 1);
        rig.outb(5, 0);
        rig.outb(6, 0xA0 | 2);
        rig.outb(7, AtaCommand.READ_SECTORS);
        assertEquals(0x58, rig.status());
        assertArrayEquals(Arrays.copyOfRange(file, (int) lba * 512, (int) lba * 512 + 512), rig.readBlock(512));
        rig.outb(2, 32); // 32 sectors per track, 4 heads
        rig.outb(6, 0xA0 | 3);
        rig.outb(7, AtaCommand.INITIALIZE_DEVICE_PARAMETERS);
        assertEquals(0x50, rig.status());
        rig.outb(2, 1);
        rig.outb(3, 0); // sector 0 does not exist
        rig.outb(6, 0xA0);
        rig.outb(7, AtaCommand.READ_SECTORS);
        assertEquals(0x51, rig.status());
        assertEquals(Ata.IDNF, rig.inb(1));
    }

    @Test
    void readOnlyImageRefusesWrites() throws IOException {
        Path ro = IdeRig.image(dir, "ro.img", 16, 3);
        byte[] before = Files.readAllBytes(ro);
        IdeRig r = new IdeRig();
        r.ide.attach(0, RawIdeDisk.open(ro, true));
        r.command28(0, AtaCommand.WRITE_SECTORS, 0, 1, 0);
        assertEquals(0x51, r.status());
        assertEquals(Ata.ABRT, r.inb(1));
        r.writeBlock(new byte[512], 0, 512); // ignored: no DRQ
        r.command28(0, AtaCommand.WRITE_DMA, 0, 1, 0);
        assertEquals(0x51, r.status());
        r.command28(0, AtaCommand.READ_SECTORS, 0, 1, 0);
        assertArrayEquals(Arrays.copyOf(before, 512), r.readBlock(512));
        assertArrayEquals(before, Files.readAllBytes(ro));
    }

    @Test
    void wordAndByteAccessesToTheTaskFile() {
        rig.ports.write(IdeRig.CMD + 2, 2, 0x0307); // sector count 07, LBA low 03
        assertEquals(0x07, rig.inb(2));
        assertEquals(0x03, rig.inb(3));
        assertEquals(0x0307, rig.ports.read(IdeRig.CMD + 2, 2));
        assertEquals(0xFFFF, rig.ports.read(IdeRig.CMD, 2), "data port outside DRQ");
    }
}
