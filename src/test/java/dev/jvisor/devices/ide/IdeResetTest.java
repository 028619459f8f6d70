package dev.jvisor.devices.ide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe sequence of ata_sff_softreset / ata_sff_dev_classify, step by step. */
class IdeResetTest {
    @TempDir
    Path dir;

    @Test
    void softResetGivesAtaSignatureAndAbsentSlaveReadsStatusZero() throws Exception {
        IdeRig rig = new IdeRig();
        rig.ide.attach(0, RawIdeDisk.open(IdeRig.image(dir, "d.img", 64, 1), false));
        // devchk: the master echoes; with the slave selected the master answers too (9.16.1)
        assertTrue(rig.devchk(0));
        assertTrue(rig.devchk(1));
        rig.select(0);
        rig.control(IdeRig.DEVCTL_OBS);
        rig.control(IdeRig.DEVCTL_OBS | Ata.SRST);
        assertEquals(Ata.BSY, rig.altStatus() & Ata.BSY, "BSY while SRST is set");
        rig.outb(2, 0x77); // ignored while busy
        rig.control(IdeRig.DEVCTL_OBS);
        assertEquals(0, rig.irq14.takeEdges(), "no interrupt after SRST");
        // ata_sff_wait_after_reset: master ready, then slave nsect/lbal == 1/1 and not busy
        assertEquals(0x50, rig.altStatus());
        rig.select(1);
        assertEquals(1, rig.inb(2));
        assertEquals(1, rig.inb(3));
        assertEquals(0x00, rig.status(), "absent slave: status 00h");
        // classify master: error 01h, LBA mid/high 00h, status non-zero -> ATA
        rig.select(0);
        assertEquals(0x01, rig.inb(1));
        assertEquals(0x00, rig.inb(4));
        assertEquals(0x00, rig.inb(5));
        assertEquals(0x50, rig.status());
        // classify slave: error 01h (not 81h), ATA signature, but status 0 -> ATA_DEV_NONE
        rig.select(1);
        assertEquals(0x01, rig.inb(1));
        assertEquals(0x00, rig.inb(4));
        assertEquals(0x00, rig.inb(5));
        assertEquals(0x00, rig.status());
        assertEquals(0x00, rig.altStatus());
        // commands to the absent slave are not executed
        rig.outb(7, AtaCommand.IDENTIFY_DEVICE);
        assertEquals(0x00, rig.status());
        assertEquals(0, rig.irq14.takeEdges());
    }

    @Test
    void emptyChannelFloatsAt7F() {
        IdeRig rig = new IdeRig().secondary();
        assertFalse(rig.devchk(0));
        assertFalse(rig.devchk(1));
        rig.softReset();
        assertEquals(0x7F, rig.status());
        assertEquals(0x7F, rig.inb(1));
        rig.select(1);
        assertEquals(0x7F, rig.altStatus());
        rig.outb(7, AtaCommand.IDENTIFY_DEVICE);
        assertEquals(0, rig.irq15.takeEdges());
    }

    @Test
    void masterAndSlaveBothClassifyAsAta() throws Exception {
        IdeRig rig = new IdeRig().secondary();
        rig.ide.attach(2, RawIdeDisk.open(IdeRig.image(dir, "m.img", 64, 1), false));
        rig.ide.attach(3, RawIdeDisk.open(IdeRig.image(dir, "s.img", 32, 2), false));
        rig.softReset();
        for (int dev = 0; dev < 2; dev++) {
            rig.select(dev);
            assertEquals(0x01, rig.inb(1));
            assertEquals(0x50, rig.status());
        }
        rig.command28(1, AtaCommand.IDENTIFY_DEVICE, 0, 0, 0);
        assertEquals(1, rig.irq15.takeEdges());
        assertTrue(rig.ide.irqAsserted(1));
        byte[] id = rig.readBlock(512);
        assertEquals(32, (id[120] & 0xFF) | (id[121] & 0xFF) << 8, "slave's own capacity");
        assertEquals(0x50, rig.status());
    }

    @Test
    void diagnosticAndDeviceResetRestoreTheSignature() throws Exception {
        IdeRig rig = new IdeRig();
        rig.ide.attach(0, RawIdeDisk.open(IdeRig.image(dir, "d.img", 64, 1), false));
        rig.outb(7, 0x00); // NOP is not implemented -> abort
        assertEquals(0x51, rig.status());
        assertEquals(Ata.ABRT, rig.inb(1));
        rig.outb(4, 0x12);
        rig.outb(7, AtaCommand.EXECUTE_DEVICE_DIAGNOSTIC);
        assertTrue(rig.ide.irqAsserted(0));
        assertEquals(0x01, rig.inb(1));
        assertEquals(1, rig.inb(2));
        assertEquals(0, rig.inb(4));
        assertEquals(0x50, rig.status());
        assertFalse(rig.ide.irqAsserted(0));
        rig.outb(4, 0x34);
        rig.outb(7, AtaCommand.DEVICE_RESET);
        assertEquals(0, rig.inb(4));
        assertEquals(0x50, rig.status());
    }
}
