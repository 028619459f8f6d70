package dev.jvisor.devices.ide;

import dev.jvisor.bus.IrqLine;
import dev.jvisor.bus.MmioBus;
import dev.jvisor.bus.PortBus;
import dev.jvisor.devices.pci.BusBarMapper;
import dev.jvisor.devices.pci.I440fxPmc;
import dev.jvisor.devices.pci.PciBarAllocator;
import dev.jvisor.devices.pci.PciHostBridge;
import dev.jvisor.devices.pci.Piix3IsaBridge;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A machine slice for IDE tests: port bus, PCI host bridge with the i440FX, the PIIX3 ISA bridge
 * and the IDE function wired as the machine builder does, fake RAM, and helpers that touch the
 * controller only through I/O ports in the order libata (libata-sff.c) does.
 */
final class IdeRig {
    static final int CMD = Piix3Ide.PRIMARY_COMMAND_BASE;
    static final int CTL = Piix3Ide.PRIMARY_CONTROL;
    /** ap->ctl in libata: obsolete bit 3 set, nIEN clear. */
    static final int DEVCTL_OBS = 0x08;

    final PortBus ports = new PortBus();
    final MmioBus mmio = new MmioBus();
    final PciHostBridge pci = new PciHostBridge(new BusBarMapper(ports, mmio));
    final FakeGuestMemory ram;
    final TestIrq irq14 = new TestIrq();
    final TestIrq irq15 = new TestIrq();
    final Piix3Ide ide;
    int bmBase;
    int cmdBase = CMD;
    int ctlPort = CTL;

    IdeRig(int ramSize) {
        ram = new FakeGuestMemory(ramSize);
        ports.register(PciHostBridge.BASE, PciHostBridge.PORT_COUNT, pci);
        ide = new Piix3Ide(ram, irq14, irq15);
        ide.registerLegacyPorts(ports);
        Piix3IsaBridge isa = new Piix3IsaBridge(n -> IrqLine.NONE);
        pci.attach(0, 0, new I440fxPmc());
        pci.attach(1, 0, isa);
        pci.attach(Piix3Ide.PCI_SLOT, Piix3Ide.PCI_FUNCTION, ide);
        PciBarAllocator.assign(pci, isa, null);
        bmBase = cfgRead(0x20, 4) & ~3;
    }

    IdeRig() {
        this(1 << 20);
    }

    /** Uses the secondary channel for the ATA helpers. */
    IdeRig secondary() {
        cmdBase = Piix3Ide.SECONDARY_COMMAND_BASE;
        ctlPort = Piix3Ide.SECONDARY_CONTROL;
        return this;
    }

    static Path image(Path dir, String name, int sectors, long seed) throws IOException {
        byte[] data = new byte[sectors * 512];
        new Random(seed).nextBytes(data);
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    // ---- PCI configuration mechanism #1 at 00:01.1 ----

    int cfgRead(int offset, int size) {
        ports.write(0xCF8, 4, 0x8000_0000 | Piix3Ide.PCI_SLOT << 11 | Piix3Ide.PCI_FUNCTION << 8 | (offset & 0xFC));
        return ports.read(0xCFC + (offset & 3), size);
    }

    void cfgWrite(int offset, int size, int value) {
        ports.write(0xCF8, 4, 0x8000_0000 | Piix3Ide.PCI_SLOT << 11 | Piix3Ide.PCI_FUNCTION << 8 | (offset & 0xFC));
        ports.write(0xCFC + (offset & 3), size, value);
    }

    // ---- task file ----

    int inb(int reg) {
        return ports.read(cmdBase + reg, 1);
    }

    void outb(int reg, int value) {
        ports.write(cmdBase + reg, 1, value);
    }

    int status() {
        return inb(7);
    }

    int altStatus() {
        return ports.read(ctlPort, 1);
    }

    void control(int value) {
        ports.write(ctlPort, 1, value);
    }

    /** ata_sff_dev_select: Device register with the obsolete bits, then a pause (Alternate Status read). */
    void select(int dev) {
        outb(6, 0xA0 | (dev & 1) << 4);
        altStatus();
    }

    /** ata_devchk: pattern through Sector Count / LBA Low, true if echoed. */
    boolean devchk(int dev) {
        select(dev);
        outb(2, 0x55);
        outb(3, 0xAA);
        outb(2, 0xAA);
        outb(3, 0x55);
        outb(2, 0x55);
        outb(3, 0xAA);
        return inb(2) == 0x55 && inb(3) == 0xAA;
    }

    /** ata_bus_softreset. */
    void softReset() {
        control(DEVCTL_OBS);
        control(DEVCTL_OBS | Ata.SRST);
        control(DEVCTL_OBS);
    }

    /** A 28-bit LBA command as ata_sff_tf_load + exec_command write it. */
    void command28(int dev, int command, long lba, int count, int features) {
        outb(1, features);
        outb(2, count);
        outb(3, (int) lba);
        outb(4, (int) (lba >>> 8));
        outb(5, (int) (lba >>> 16));
        outb(6, 0xE0 | (dev & 1) << 4 | (int) (lba >>> 24) & 0x0F);
        outb(7, command);
    }

    /** A 48-bit command: HOB bytes first, then the low bytes (ata_sff_tf_load with LBA48). */
    void command48(int dev, int command, long lba, int count) {
        outb(1, 0);
        outb(2, count >>> 8);
        outb(3, (int) (lba >>> 24));
        outb(4, (int) (lba >>> 32));
        outb(5, (int) (lba >>> 40));
        outb(1, 0);
        outb(2, count);
        outb(3, (int) lba);
        outb(4, (int) (lba >>> 8));
        outb(5, (int) (lba >>> 16));
        outb(6, 0x40 | (dev & 1) << 4);
        outb(7, command);
    }

    /** Reads one DRQ block of {@code bytes} through the data port, 32 bits at a time as ata_piix does. */
    byte[] readBlock(int bytes) {
        byte[] out = new byte[bytes];
        for (int i = 0; i < bytes; i += 4) {
            int v = ports.read(cmdBase, 4);
            for (int j = 0; j < 4; j++) {
                out[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return out;
    }

    void writeBlock(byte[] data, int off, int bytes) {
        for (int i = 0; i < bytes; i += 2) {
            ports.write(cmdBase, 2, (data[off + i] & 0xFF) | (data[off + i + 1] & 0xFF) << 8);
        }
    }

    // ---- bus master (channel 0 unless the rig is on the secondary) ----

    int bm() {
        return bmBase + (cmdBase == CMD ? 0 : 8);
    }

    /** ata_bmdma_setup without the command: PRD pointer, direction, start clear. */
    void bmSetup(long prdTable, boolean toMemory) {
        ports.write(bm() + 4, 4, (int) prdTable);
        int cmd = ports.read(bm(), 1) & ~(BusMasterChannel.CMD_WRITE_TO_MEMORY | BusMasterChannel.CMD_START);
        ports.write(bm(), 1, cmd | (toMemory ? BusMasterChannel.CMD_WRITE_TO_MEMORY : 0));
    }

    void bmStart() {
        ports.write(bm(), 1, ports.read(bm(), 1) | BusMasterChannel.CMD_START);
    }

    void bmStop() {
        ports.write(bm(), 1, ports.read(bm(), 1) & ~BusMasterChannel.CMD_START);
    }

    int bmStatus() {
        return ports.read(bm() + 2, 1);
    }

    /** ata_bmdma_irq_clear: write the status back to clear Interrupt and Error. */
    void bmClear() {
        ports.write(bm() + 2, 1, bmStatus());
    }
}
