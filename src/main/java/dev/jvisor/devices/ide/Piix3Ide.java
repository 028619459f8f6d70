package dev.jvisor.devices.ide;

import dev.jvisor.bus.GuestMemory;
import dev.jvisor.bus.IrqLine;
import dev.jvisor.bus.PortBus;
import dev.jvisor.bus.PortIoDevice;
import dev.jvisor.devices.ByteLanes;
import dev.jvisor.devices.pci.PciFunction;
import java.io.IOException;

/**
 * Intel 82371SB PIIX3 function 1, the IDE controller at 00:01.1 (datasheet 290550, section 2.3
 * and 2.7): vendor 8086, device 7010, class 01/01/80 (IDE, bus-master capable, both channels in
 * compatibility mode). The channels sit at the legacy ISA addresses: primary 1F0h-1F7h + 3F6h on
 * IRQ 14, secondary 170h-177h + 376h on IRQ 15 (INTx is not used, the interrupt pin reads 0).
 * BAR4 is the 16-byte bus-master IDE block (primary at offset 0, secondary at 8), placed by the
 * PCI allocator and moved by the guest like any I/O BAR.
 *
 * <p>Config registers 40h-FFh are plain storage (IDETIM, SIDETIM... only timing); bit 15 of IDETIM
 * at 40h / 42h is IDE Decode Enable and, with PCI Command bit 0, gates the legacy ports, as on
 * the real part. Firmware leaves both enabled; this model starts that way.
 *
 * <p>All guest-visible entry points are synchronized on this function (the same lock as its
 * configuration space), so the lock order is this controller, then the PIC.
 */
public final class Piix3Ide extends PciFunction implements PortIoDevice {
    public static final int VENDOR = 0x8086;
    public static final int DEVICE = 0x7010;
    public static final int CLASS_CODE = 0x010180;
    /** Where the machine attaches it: the PIIX3's second function, beside the ISA bridge at 01.0. */
    public static final int PCI_SLOT = 1;
    public static final int PCI_FUNCTION = 1;

    public static final int PRIMARY_COMMAND_BASE = 0x1F0;
    public static final int PRIMARY_CONTROL = 0x3F6;
    public static final int SECONDARY_COMMAND_BASE = 0x170;
    public static final int SECONDARY_CONTROL = 0x376;
    public static final int COMMAND_PORT_COUNT = 8;
    public static final int PRIMARY_IRQ = 14;
    public static final int SECONDARY_IRQ = 15;
    public static final int BUS_MASTER_BAR = 4;
    public static final int BUS_MASTER_SIZE = 16;
    /** Drives per controller: primary master, primary slave, secondary master, secondary slave. */
    public static final int MAX_DRIVES = 4;

    static final int IDETIM_PRIMARY = 0x40;
    static final int IDETIM_SECONDARY = 0x42;
    static final int IDE_DECODE_ENABLE = 0x8000;

    private final IdeChannel[] channels = new IdeChannel[2];
    private final IdeDisk[] disks = new IdeDisk[MAX_DRIVES];

    /**
     * {@code memory} is what bus-master DMA reads and writes; {@code primaryIrq} and
     * {@code secondaryIrq} are ISA IRQ 14 and 15 (normally {@code pic.irq(14)}, {@code pic.irq(15)}).
     */
    public Piix3Ide(GuestMemory memory, IrqLine primaryIrq, IrqLine secondaryIrq) {
        super(VENDOR, DEVICE, CLASS_CODE, 0x00, 0x00);
        channels[0] = new IdeChannel(primaryIrq, memory, this::busMasterEnabled);
        channels[1] = new IdeChannel(secondaryIrq, memory, this::busMasterEnabled);
        setConfig16(COMMAND, COMMAND_IO | COMMAND_MASTER);
        setConfig16(STATUS, 0x0280); // fast back-to-back capable, medium DEVSEL timing
        defineIoBar(BUS_MASTER_BAR, BUS_MASTER_SIZE);
        for (int at = 0x40; at < 0x100; at += 8) {
            setWritable(at, 8, -1L);
        }
        setConfig16(IDETIM_PRIMARY, IDE_DECODE_ENABLE);
        setConfig16(IDETIM_SECONDARY, IDE_DECODE_ENABLE);
    }

    /**
     * Connects a disk at position 0-3 (primary master, primary slave, secondary master, secondary
     * slave) before the guest runs; the channel is reset. Null removes the drive.
     */
    public synchronized void attach(int index, IdeDisk disk) {
        if (index < 0 || index >= MAX_DRIVES) {
            throw new IllegalArgumentException("IDE drive index " + index + " is not 0-3");
        }
        disks[index] = disk;
        AtaDrive drive = disk == null ? null : new AtaDrive(disk, "JVISOR-HD" + index, (index & 1) == 0);
        channels[index >> 1].attach(index & 1, drive);
    }

    public synchronized IdeDisk disk(int index) {
        return index >= 0 && index < MAX_DRIVES ? disks[index] : null;
    }

    /** Claims the legacy command and control ports of both channels on {@code ports}. */
    public void registerLegacyPorts(PortBus ports) {
        ports.register(PRIMARY_COMMAND_BASE, COMMAND_PORT_COUNT, this);
        ports.register(PRIMARY_CONTROL, 1, this);
        ports.register(SECONDARY_COMMAND_BASE, COMMAND_PORT_COUNT, this);
        ports.register(SECONDARY_CONTROL, 1, this);
    }

    /** Machine reset: both channels to their power-on state (the drives' settings too). */
    public synchronized void reset() {
        channels[0].reset();
        channels[1].reset();
    }

    /** Closes every attached disk (at machine shutdown). */
    public synchronized void closeDisks() throws IOException {
        IOException first = null;
        for (IdeDisk d : disks) {
            if (d != null) {
                try {
                    d.close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Level of a channel's interrupt request as driven onto its IRQ line (for tests and debugging). */
    public synchronized boolean irqAsserted(int channel) {
        return channels[channel & 1].irqLevel();
    }

    /** Exceptions caught by the channels' safety net: always 0 unless the model has a bug. */
    public synchronized int internalErrors() {
        return channels[0].internalErrors + channels[1].internalErrors;
    }

    private boolean busMasterEnabled() {
        return (config16(COMMAND) & COMMAND_MASTER) != 0;
    }

    /** Legacy decode for a channel: PCI I/O space enabled and IDETIM IDE Decode Enable set. */
    private boolean decodes(int channel) {
        return (config16(COMMAND) & COMMAND_IO) != 0
                && (config16(channel == 0 ? IDETIM_PRIMARY : IDETIM_SECONDARY) & IDE_DECODE_ENABLE) != 0;
    }

    // ---- legacy ports ----

    @Override
    public synchronized int ioRead(int port, int size) {
        int channel = channelOf(port);
        if (channel >= 0 && port == commandBase(channel) && decodes(channel)) {
            return channels[channel].readData(size); // the data register takes 16- and 32-bit accesses
        }
        return ByteLanes.read(this::readByte, port, size);
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        int channel = channelOf(port);
        if (channel >= 0 && port == commandBase(channel) && decodes(channel)) {
            channels[channel].writeData(size, value);
            return;
        }
        ByteLanes.write(this::writeByte, port, size, value);
    }

    private int readByte(int port) {
        int channel = channelOf(port);
        if (channel < 0 || !decodes(channel)) {
            return 0xFF;
        }
        IdeChannel c = channels[channel];
        if (port == controlPort(channel)) {
            return c.readAltStatus();
        }
        int reg = port - commandBase(channel);
        return reg == 0 ? c.readData(1) & 0xFF : c.readRegister(reg);
    }

    private void writeByte(int port, int value) {
        int channel = channelOf(port);
        if (channel < 0 || !decodes(channel)) {
            return;
        }
        IdeChannel c = channels[channel];
        if (port == controlPort(channel)) {
            c.writeControl(value & 0xFF);
            return;
        }
        int reg = port - commandBase(channel);
        if (reg == 0) {
            c.writeData(1, value);
        } else {
            c.writeRegister(reg, value);
        }
    }

    private static int channelOf(int port) {
        if (port >= PRIMARY_COMMAND_BASE && port < PRIMARY_COMMAND_BASE + COMMAND_PORT_COUNT || port == PRIMARY_CONTROL) {
            return 0;
        }
        if (port >= SECONDARY_COMMAND_BASE && port < SECONDARY_COMMAND_BASE + COMMAND_PORT_COUNT || port == SECONDARY_CONTROL) {
            return 1;
        }
        return -1;
    }

    private static int commandBase(int channel) {
        return channel == 0 ? PRIMARY_COMMAND_BASE : SECONDARY_COMMAND_BASE;
    }

    private static int controlPort(int channel) {
        return channel == 0 ? PRIMARY_CONTROL : SECONDARY_CONTROL;
    }

    // ---- BAR4: bus-master IDE registers ----

    @Override
    public synchronized int ioBarRead(int bar, int offset, int size) {
        if (bar != BUS_MASTER_BAR) {
            return super.ioBarRead(bar, offset, size);
        }
        return ByteLanes.read(this::readBusMasterByte, offset, size);
    }

    @Override
    public synchronized void ioBarWrite(int bar, int offset, int size, int value) {
        if (bar == BUS_MASTER_BAR) {
            ByteLanes.write(this::writeBusMasterByte, offset, size, value);
        }
    }

    private int readBusMasterByte(int offset) {
        if (offset < 0 || offset >= BUS_MASTER_SIZE) {
            return 0xFF;
        }
        return channels[offset >> 3].readBusMaster(offset & 7);
    }

    private void writeBusMasterByte(int offset, int value) {
        if (offset >= 0 && offset < BUS_MASTER_SIZE) {
            channels[offset >> 3].writeBusMaster(offset & 7, value);
        }
    }
}
