package dev.jvisor.devices;

import dev.jvisor.bus.IrqLine;
import dev.jvisor.bus.PortIoDevice;
import dev.jvisor.devices.apic.ExtIntSource;

/**
 * The PC/AT pair of 8259A PICs: master at 0x20-0x21 (IRQ0-7), slave at 0xA0-0xA1 (IRQ8-15)
 * cascaded on the master's IR2, plus the PIIX3 edge/level control registers ELCR1/ELCR2 at
 * 0x4D0/0x4D1. Register the same instance for the three port ranges.
 *
 * <p>Thread-safe: every entry point is synchronized, so devices may drive {@link #irq(int)} from
 * any thread. The {@code intr} output is set with this lock held, and only when it changes; its
 * implementation must just record the level (and wake the vCPU), never call back into the PIC
 * from another thread while holding a lock the vCPU needs.
 */
public final class DualPic implements PortIoDevice, ExtIntSource {
    public static final int MASTER_BASE = 0x20;
    public static final int SLAVE_BASE = 0xA0;
    public static final int PORT_COUNT = 2;
    public static final int ELCR_BASE = 0x4D0;
    public static final int ELCR_PORT_COUNT = 2;
    /** The master input the slave's INT output is wired to. */
    public static final int CASCADE_IRQ = 2;

    private final Pic8259 master = new Pic8259(true, 0xf8);
    private final Pic8259 slave = new Pic8259(false, 0xde);
    private final IrqLine intr;
    private final IrqLine[] inputs = new IrqLine[16];
    private boolean intrLevel;

    public DualPic(IrqLine intr) {
        this.intr = intr == null ? IrqLine.NONE : intr;
        // The cascade wire carries the slave's INT level; sensing it as a level keeps a second
        // slave request that arrives while the first is being acknowledged from being lost.
        master.setForcedLevel(1 << CASCADE_IRQ);
        for (int n = 0; n < 16; n++) {
            int irq = n;
            inputs[n] = high -> setIrq(irq, high);
        }
    }

    /** The wire for ISA IRQ {@code n} (0-15); values outside are taken modulo 16. */
    public IrqLine irq(int n) {
        return inputs[n & 15];
    }

    public synchronized void setIrq(int n, boolean high) {
        int irq = n & 15;
        if (irq == CASCADE_IRQ) {
            return; // IR2 of the master is the cascade wire, not an ISA line (IRQ2 is redirected to 9)
        }
        (irq < 8 ? master : slave).setInput(irq & 7, high);
        update();
    }

    /** True while the INTR pin is high. */
    public synchronized boolean hasInterrupt() {
        return master.output();
    }

    /**
     * The CPU's INTA cycle: returns the interrupt vector and moves the request to in-service.
     * With nothing pending (the request went away) it returns the spurious IR7 vector of the
     * chip that was asked, as real hardware does: vector of IRQ7 for the master, of IRQ15 (with
     * the master's IR2 left in service) for the slave.
     */
    public synchronized int acknowledge() {
        int irq = master.acknowledgeIrq();
        int vector;
        if (irq < 0) {
            vector = master.vector(7);
        } else if ((master.cascadeInputs() & (1 << irq)) != 0 && irq == CASCADE_IRQ) {
            int slaveIrq = slave.acknowledgeIrq();
            vector = slave.vector(slaveIrq < 0 ? 7 : slaveIrq);
        } else {
            vector = master.vector(irq);
        }
        update();
        return vector;
    }

    /** Firmware set-up of ELCR: makes ISA IRQ {@code n} level- or edge-sensitive (PCI INTx lines are level). */
    public synchronized void setLevelTriggered(int n, boolean level) {
        Pic8259 chip = (n & 15) < 8 ? master : slave;
        int bit = 1 << (n & 7);
        chip.setElcr(level ? chip.elcr() | bit : chip.elcr() & ~bit);
        update();
    }

    /** ELCR as a 16-bit mask, bit n = IRQ n level-sensitive. */
    public synchronized int elcr() {
        return master.elcr() | slave.elcr() << 8;
    }

    @Override
    public synchronized int ioRead(int port, int size) {
        int value = ByteLanes.read(this::readByte, port, size);
        update(); // a poll-mode read is an acknowledge
        return value;
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        ByteLanes.write(this::writeByte, port, size, value);
        update();
    }

    private int readByte(int port) {
        return switch (port) {
            case MASTER_BASE -> master.readCommand();
            case MASTER_BASE + 1 -> master.readData();
            case SLAVE_BASE -> slave.readCommand();
            case SLAVE_BASE + 1 -> slave.readData();
            case ELCR_BASE -> master.elcr();
            case ELCR_BASE + 1 -> slave.elcr();
            default -> 0xff;
        };
    }

    private void writeByte(int port, int value) {
        switch (port) {
            case MASTER_BASE -> master.writeCommand(value);
            case MASTER_BASE + 1 -> master.writeData(value);
            case SLAVE_BASE -> slave.writeCommand(value);
            case SLAVE_BASE + 1 -> slave.writeData(value);
            case ELCR_BASE -> master.setElcr(value);
            case ELCR_BASE + 1 -> slave.setElcr(value);
            default -> { }
        }
        master.setInput(CASCADE_IRQ, slave.output());
    }

    private void update() {
        master.setInput(CASCADE_IRQ, slave.output());
        boolean level = master.output();
        if (level != intrLevel) {
            intrLevel = level;
            intr.setLevel(level);
        }
    }

    // ---- inspection for tests and the monitor ----

    public synchronized int irr() {
        return master.irr() | slave.irr() << 8;
    }

    public synchronized int isr() {
        return master.isr() | slave.isr() << 8;
    }

    public synchronized int imr() {
        return master.imr() | slave.imr() << 8;
    }
}
