package dev.jvisor.devices.ide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.bus.MmioBus;
import dev.jvisor.bus.PortBus;
import dev.jvisor.devices.DualPic;
import dev.jvisor.devices.pci.BusBarMapper;
import dev.jvisor.devices.pci.I440fxPmc;
import dev.jvisor.devices.pci.PciBarAllocator;
import dev.jvisor.devices.pci.PciHostBridge;
import dev.jvisor.devices.pci.Piix3IsaBridge;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdePciTest {
    @TempDir
    Path dir;

    @Test
    void configSpaceIsPiix3IdeInCompatibilityMode() {
        IdeRig rig = new IdeRig();
        assertEquals(0x7010_8086, rig.cfgRead(0x00, 4));
        assertEquals(0x0101_8000, rig.cfgRead(0x08, 4) & 0xFFFF_FF00, "class 01/01, prog-if 80 (bus master, both channels legacy)");
        assertEquals(0x00, rig.cfgRead(0x0E, 1), "header type 0, single function view");
        assertEquals(0, rig.cfgRead(0x3D, 1), "no INTx pin: IRQ 14/15 in compatibility mode");
        for (int bar = 0; bar < 4; bar++) {
            assertEquals(0, rig.cfgRead(0x10 + 4 * bar, 4), "BAR" + bar + " unimplemented in legacy mode");
        }
        int bar4 = rig.cfgRead(0x20, 4);
        assertEquals(1, bar4 & 1, "BAR4 is I/O");
        assertTrue((bar4 & ~3) >= PciBarAllocator.IO_BASE);
        assertEquals(0x8000, rig.cfgRead(0x40, 2), "IDETIM primary: decode enabled as firmware leaves it");
        assertEquals(0x8000, rig.cfgRead(0x42, 2));
        assertTrue((rig.cfgRead(0x04, 2) & 0x5) == 0x5, "I/O and bus master enabled");
    }

    @Test
    void wiredAsThePackageDocSaysTheInterruptReachesPicIrq14() throws Exception {
        PortBus ports = new PortBus();
        PciHostBridge pci = new PciHostBridge(new BusBarMapper(ports, new MmioBus()));
        ports.register(PciHostBridge.BASE, PciHostBridge.PORT_COUNT, pci);
        DualPic pic = new DualPic(null);
        ports.register(DualPic.MASTER_BASE, DualPic.PORT_COUNT, pic);
        ports.register(DualPic.SLAVE_BASE, DualPic.PORT_COUNT, pic);
        ports.register(DualPic.ELCR_BASE, DualPic.ELCR_PORT_COUNT, pic);
        Piix3IsaBridge piix3 = new Piix3IsaBridge(pic::irq);
        FakeGuestMemory ram = new FakeGuestMemory(1 << 16);
        Piix3Ide ide = new Piix3Ide(ram, pic.irq(Piix3Ide.PRIMARY_IRQ), pic.irq(Piix3Ide.SECONDARY_IRQ));
        ide.registerLegacyPorts(ports);
        ide.attach(0, new IdeDriveOption(IdeRig.image(dir, "w.img", 16, 1), true, IdeDriveOption.NEXT_FREE).open());
        pci.attach(0, 0, new I440fxPmc());
        pci.attach(1, 0, piix3);
        pci.attach(Piix3Ide.PCI_SLOT, Piix3Ide.PCI_FUNCTION, ide);
        PciBarAllocator.assign(pci, piix3, pic);
        assertEquals(0, pic.elcr() & 0xC000, "IRQ 14/15 stay edge-triggered ISA lines");
        ports.write(0x1F7, 1, AtaCommand.IDENTIFY_DEVICE);
        assertEquals(1 << 14, pic.irr() & 0xC000);
        ports.read(0x1F7, 1);
        ide.closeDisks();
    }

    @Test
    void bar4SizesAndMoves() {
        IdeRig rig = new IdeRig();
        rig.cfgWrite(0x20, 4, 0xFFFF_FFFF);
        assertEquals(0xFFFF_FFF1, rig.cfgRead(0x20, 4), "16-byte I/O BAR");
        rig.cfgWrite(0x20, 4, 0xD001);
        assertEquals(0xD001, rig.cfgRead(0x20, 4));
        rig.bmBase = 0xD000;
        rig.ports.write(0xD004, 4, 0x1234_5677);
        assertEquals(0x1234_5674, rig.ports.read(0xD004, 4), "PRD pointer dword aligned");
        assertEquals(0, rig.ports.read(0xD001, 1));
        rig.ports.write(0xD002, 1, 0x60);
        assertEquals(0x60, rig.ports.read(0xD002, 1), "DMA capable bits are storage");
    }

    @Test
    void timingRegistersAreStorageAndDecodeEnableGatesTheLegacyPorts() throws Exception {
        IdeRig rig = new IdeRig();
        rig.ide.attach(0, RawIdeDisk.open(IdeRig.image(dir, "d.img", 64, 1), false));
        rig.cfgWrite(0x40, 2, 0xA307);
        rig.cfgWrite(0x44, 1, 0x5A);
        assertEquals(0xA307, rig.cfgRead(0x40, 2));
        assertEquals(0x5A, rig.cfgRead(0x44, 1));
        assertEquals(0x50, rig.status());
        rig.cfgWrite(0x40, 2, 0x2307);
        assertEquals(0xFF, rig.status(), "IDE decode disabled: nobody answers");
        rig.cfgWrite(0x40, 2, 0x8000);
        assertEquals(0x50, rig.status());
        int cmd = rig.cfgRead(0x04, 2);
        rig.cfgWrite(0x04, 2, cmd & ~1);
        assertEquals(0xFF, rig.status(), "PCI I/O space disabled");
        assertNotEquals(0, cmd);
    }
}
