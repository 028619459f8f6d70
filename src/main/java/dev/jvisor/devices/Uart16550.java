package dev.jvisor.devices;

import dev.jvisor.bus.IrqLine;
import dev.jvisor.bus.PortIoDevice;
import java.util.function.IntConsumer;

/**
 * National Semiconductor PC16550D UART (datasheet sections 8.4-8.10): eight byte registers at a
 * base port, 16-byte receive FIFO, divisor latch behind LCR.DLAB, interrupt priorities of IIR
 * table 4, MCR.OUT2 gating the ISA interrupt line as on a PC serial card, and loopback mode.
 *
 * <p>Transmission is instantaneous: a byte written to THR goes to the output sink at once, so the
 * transmitter is always idle again when the guest looks (THRE and TEMT set, TX FIFO empty), and
 * the THRE interrupt re-arms immediately. In loopback mode the byte goes into the receive FIFO.
 *
 * <p>Thread-safe: the console thread calls {@link #receive(int)} while the vCPU thread does port
 * I/O. The receive path is bounded: {@link #rxSpace()} tells how many bytes fit; {@link
 * #receive(int)} refuses a byte when the FIFO is full (back-pressure, the byte is not lost),
 * {@link #receiveOrOverrun(int)} behaves like a line and sets LSR.OE instead. The IRQ line and
 * the sink are called with this UART's lock held.
 */
public final class Uart16550 implements PortIoDevice {
    public static final int COM1 = 0x3F8;
    public static final int COM2 = 0x2F8;
    public static final int COM3 = 0x3E8;
    public static final int COM4 = 0x2E8;
    public static final int COM1_IRQ = 4;
    public static final int COM2_IRQ = 3;
    public static final int COM3_IRQ = 4;
    public static final int COM4_IRQ = 3;
    public static final int PORT_COUNT = 8;
    public static final int FIFO_SIZE = 16;

    // LSR bits
    private static final int LSR_DR = 0x01;
    private static final int LSR_OE = 0x02;
    private static final int LSR_PE = 0x04;
    private static final int LSR_FE = 0x08;
    private static final int LSR_BI = 0x10;
    private static final int LSR_THRE = 0x20;
    private static final int LSR_TEMT = 0x40;
    private static final int LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;
    // IER bits
    private static final int IER_RDA = 0x01;
    private static final int IER_THRE = 0x02;
    private static final int IER_RLS = 0x04;
    private static final int IER_MS = 0x08;
    // MCR bits
    private static final int MCR_DTR = 0x01;
    private static final int MCR_RTS = 0x02;
    private static final int MCR_OUT1 = 0x04;
    private static final int MCR_OUT2 = 0x08;
    private static final int MCR_LOOP = 0x10;
    // IIR interrupt identifications
    private static final int IIR_NONE = 0x01;
    private static final int IIR_RLS = 0x06;
    private static final int IIR_RDA = 0x04;
    private static final int IIR_TIMEOUT = 0x0C;
    private static final int IIR_THRE = 0x02;
    private static final int IIR_MS = 0x00;

    /** MSR bits 4-7: CTS, DSR, RI, DCD. */
    public static final int MSR_CTS = 0x10;
    public static final int MSR_DSR = 0x20;
    public static final int MSR_RI = 0x40;
    public static final int MSR_DCD = 0x80;

    private final int base;
    private final IrqLine irq;
    private final IntConsumer sink;

    private final int[] rxFifo = new int[FIFO_SIZE];
    private int rxHead;
    private int rxCount;
    private int lastRx;

    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int dll = 0x0C; // 9600 baud, a typical firmware setting
    private int dlm;
    private boolean fifoEnabled;
    private int rxTrigger = 1;
    private int lsrErrors;
    private boolean thrEmptyPending;
    private int modemLines;
    private int msrDelta;
    private int hostModemLines = MSR_CTS | MSR_DSR | MSR_DCD;
    private boolean irqLevel;

    public Uart16550(int base, IrqLine irq, IntConsumer sink) {
        this.base = base;
        this.irq = irq == null ? IrqLine.NONE : irq;
        this.sink = sink == null ? b -> { } : sink;
        this.modemLines = hostModemLines;
    }

    public int base() {
        return base;
    }

    // ---- host side ----

    /** Free places in the receive FIFO (1 byte of holding register when FIFOs are off). */
    public synchronized int rxSpace() {
        return capacity() - rxCount;
    }

    /** Offers a received byte; returns false (nothing changes) when there is no room. */
    public synchronized boolean receive(int b) {
        if (rxCount >= capacity()) {
            return false;
        }
        push(b);
        update();
        return true;
    }

    /** Offers bytes in order until the FIFO is full; returns how many were taken. */
    public synchronized int receive(byte[] data, int off, int len) {
        if (data == null || off < 0) {
            return 0;
        }
        int n = 0;
        while (n < len && off + n < data.length && rxCount < capacity()) {
            push(data[off + n]);
            n++;
        }
        if (n > 0) {
            update();
        }
        return n;
    }

    /** A byte arriving on the line regardless of room: a full FIFO drops it and sets LSR.OE. */
    public synchronized void receiveOrOverrun(int b) {
        if (rxCount >= capacity()) {
            lsrErrors |= LSR_OE;
        } else {
            push(b);
        }
        update();
    }

    /** Sets the modem status inputs seen when not in loopback (MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD). */
    public synchronized void setModemInputs(int msrBits) {
        hostModemLines = msrBits & 0xf0;
        refreshModemLines();
        update();
    }

    // ---- guest side ----

    @Override
    public synchronized int ioRead(int port, int size) {
        int value = ByteLanes.read(this::readRegister, port, size);
        update();
        return value;
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        ByteLanes.write(this::writeRegister, port, size, value);
        update();
    }

    private boolean dlab() {
        return (lcr & 0x80) != 0;
    }

    private int readRegister(int port) {
        int offset = port - base;
        return switch (offset) {
            case 0 -> dlab() ? dll : readRbr();
            case 1 -> dlab() ? dlm : ier;
            case 2 -> readIir();
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> readLsr();
            case 6 -> readMsr();
            case 7 -> scr;
            default -> 0xff;
        };
    }

    private void writeRegister(int port, int value) {
        int v = value & 0xff;
        int offset = port - base;
        switch (offset) {
            case 0 -> {
                if (dlab()) {
                    dll = v;
                } else {
                    transmit(v);
                }
            }
            case 1 -> {
                if (dlab()) {
                    dlm = v;
                } else {
                    writeIer(v);
                }
            }
            case 2 -> writeFcr(v);
            case 3 -> lcr = v;
            case 4 -> {
                mcr = v & 0x1f;
                refreshModemLines();
            }
            case 7 -> scr = v;
            default -> { } // LSR and MSR writes are factory test registers: ignored
        }
    }

    private int readRbr() {
        if (rxCount > 0) {
            lastRx = rxFifo[rxHead];
            rxHead = (rxHead + 1) % FIFO_SIZE;
            rxCount--;
        }
        return lastRx;
    }

    private void writeIer(int v) {
        int old = ier;
        ier = v & 0x0f; // bits 4-7 are always 0 on the 16550
        if ((old & IER_THRE) == 0 && (ier & IER_THRE) != 0) {
            thrEmptyPending = true; // enabling ETBEI with THR empty interrupts at once (section 8.6.3)
        }
    }

    private void writeFcr(int v) {
        boolean enable = (v & 0x01) != 0;
        if (enable != fifoEnabled) {
            clearRx();
        }
        fifoEnabled = enable;
        if (enable) {
            if ((v & 0x02) != 0) {
                clearRx();
            }
            rxTrigger = switch (v >>> 6) {
                case 0 -> 1;
                case 1 -> 4;
                case 2 -> 8;
                default -> 14;
            };
        }
        // bit 2 (clear TX FIFO) has nothing to clear; bit 3 (DMA mode) has no DMA to drive
    }

    private void transmit(int v) {
        if ((mcr & MCR_LOOP) != 0) {
            if (rxCount >= capacity()) {
                lsrErrors |= LSR_OE;
            } else {
                push(v);
            }
        } else {
            sink.accept(v);
        }
        // The THR write clears the THRE interrupt; the character leaves at once, so THR is empty
        // again and the "THR empty" event sets it again.
        thrEmptyPending = true;
    }

    private int readLsr() {
        int value = (rxCount > 0 ? LSR_DR : 0) | lsrErrors | LSR_THRE | LSR_TEMT;
        lsrErrors = 0;
        return value;
    }

    private int readMsr() {
        int value = modemLines | msrDelta;
        msrDelta = 0;
        return value;
    }

    private int interruptId() {
        if ((ier & IER_RLS) != 0 && lsrErrors != 0) {
            return IIR_RLS;
        }
        if ((ier & IER_RDA) != 0 && rxCount > 0) {
            // Below the trigger level the FIFO reports a character timeout; timing is not
            // modelled, so it is reported as soon as data waits (section 8.6.2, FIFO mode).
            return !fifoEnabled || rxCount >= rxTrigger ? IIR_RDA : IIR_TIMEOUT;
        }
        if ((ier & IER_THRE) != 0 && thrEmptyPending) {
            return IIR_THRE;
        }
        if ((ier & IER_MS) != 0 && msrDelta != 0) {
            return IIR_MS;
        }
        return IIR_NONE;
    }

    private int readIir() {
        int id = interruptId();
        if (id == IIR_THRE) {
            thrEmptyPending = false; // reading IIR when THRE is the source clears it
        }
        return id | (fifoEnabled ? 0xc0 : 0);
    }

    private void refreshModemLines() {
        int lines;
        if ((mcr & MCR_LOOP) != 0) {
            lines = ((mcr & MCR_RTS) != 0 ? MSR_CTS : 0)
                    | ((mcr & MCR_DTR) != 0 ? MSR_DSR : 0)
                    | ((mcr & MCR_OUT1) != 0 ? MSR_RI : 0)
                    | ((mcr & MCR_OUT2) != 0 ? MSR_DCD : 0);
        } else {
            lines = hostModemLines;
        }
        int changed = lines ^ modemLines;
        if ((changed & MSR_CTS) != 0) {
            msrDelta |= 0x01;
        }
        if ((changed & MSR_DSR) != 0) {
            msrDelta |= 0x02;
        }
        if ((changed & MSR_RI) != 0 && (lines & MSR_RI) == 0) {
            msrDelta |= 0x04; // trailing edge of RI
        }
        if ((changed & MSR_DCD) != 0) {
            msrDelta |= 0x08;
        }
        modemLines = lines;
    }

    private int capacity() {
        return fifoEnabled ? FIFO_SIZE : 1;
    }

    private void push(int b) {
        rxFifo[(rxHead + rxCount) % FIFO_SIZE] = b & 0xff;
        rxCount++;
    }

    private void clearRx() {
        rxHead = 0;
        rxCount = 0;
    }

    /** The card's IRQ driver: any pending source, enabled by OUT2, and disconnected in loopback. */
    private void update() {
        boolean level = interruptId() != IIR_NONE && (mcr & MCR_OUT2) != 0 && (mcr & MCR_LOOP) == 0;
        if (level != irqLevel) {
            irqLevel = level;
            irq.setLevel(level);
        }
    }

    /** True while the interrupt output is asserted (for tests and the monitor). */
    public synchronized boolean irqAsserted() {
        return irqLevel;
    }
}
