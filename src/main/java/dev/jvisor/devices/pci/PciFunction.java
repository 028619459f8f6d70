package dev.jvisor.devices.pci;

import dev.jvisor.bus.IrqLine;

/**
 * One PCI function's 256-byte configuration space (PCI Local Bus Specification 3.0, chapter 6)
 * and its resources, as the base of every PCI device model.
 *
 * <p>Every byte has a writable mask and a write-1-to-clear mask; a guest write changes only the
 * writable bits, so any value ends in a defined state. The type 0 header is laid out by the
 * constructor; BARs (6.2.5.1) are declared with {@link #defineIoBar} / {@link #defineMemoryBar}
 * and size themselves (write all ones, read back the size mask). Capabilities (6.7) are chained
 * from 0x34 by {@link #addCapability}. When the decoded address of a BAR changes (the guest moved
 * it, or toggled I/O or memory decoding in the command register), the {@link BarListener} hears
 * it, so the machine can move the device on its buses.
 *
 * <p>Subclasses implement their BAR registers by overriding {@link #ioBarRead} and friends, and
 * may watch configuration writes in {@link #configWritten}. Config accesses happen on the vCPU
 * thread; {@link #setIntx} may be called from any thread. Configuration access, the listener and
 * {@link #configWritten} run under this function's lock; the lock order is function, then
 * {@link Piix3IsaBridge}, then the PIC.
 */
public abstract class PciFunction {
    public static final int VENDOR_ID = 0x00;
    public static final int DEVICE_ID = 0x02;
    public static final int COMMAND = 0x04;
    public static final int STATUS = 0x06;
    public static final int REVISION = 0x08;
    public static final int CLASS_PROG = 0x09;
    public static final int CACHE_LINE_SIZE = 0x0C;
    public static final int LATENCY_TIMER = 0x0D;
    public static final int HEADER_TYPE = 0x0E;
    public static final int BAR0 = 0x10;
    public static final int SUBSYSTEM_VENDOR_ID = 0x2C;
    public static final int SUBSYSTEM_ID = 0x2E;
    public static final int CAPABILITIES_POINTER = 0x34;
    public static final int INTERRUPT_LINE = 0x3C;
    public static final int INTERRUPT_PIN = 0x3D;

    public static final int COMMAND_IO = 0x0001;
    public static final int COMMAND_MEMORY = 0x0002;
    public static final int COMMAND_MASTER = 0x0004;
    public static final int COMMAND_INTX_DISABLE = 0x0400;
    public static final int STATUS_INTERRUPT = 0x0008;
    public static final int STATUS_CAPABILITIES = 0x0010;

    /** Base address meaning "not decoded". */
    public static final long UNMAPPED = -1;

    private final byte[] config = new byte[256];
    private final byte[] writable = new byte[256];
    private final byte[] writeOneToClear = new byte[256];
    private final Bar[] bars = new Bar[6];
    private final long[] mappedBase = {UNMAPPED, UNMAPPED, UNMAPPED, UNMAPPED, UNMAPPED, UNMAPPED};
    private int nextCapability = 0x40;
    private int lastCapability;
    private BarListener barListener = BarListener.NONE;
    private IrqLine intx = IrqLine.NONE;
    private boolean intxRequest;
    private boolean intxLevel;

    /** A declared BAR: I/O or memory, its size (a power of two), 64-bit and prefetchable flags. */
    public record Bar(boolean io, long size, boolean is64, boolean prefetchable) { }

    protected PciFunction(int vendorId, int deviceId, int classCode, int revision, int headerType) {
        setConfig16(VENDOR_ID, vendorId);
        setConfig16(DEVICE_ID, deviceId);
        setConfig8(REVISION, revision);
        setConfig8(CLASS_PROG, classCode);
        setConfig16(CLASS_PROG + 1, classCode >>> 8);
        setConfig8(HEADER_TYPE, headerType);
        setWritable(COMMAND, 2, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | 0x0040 | 0x0100 | COMMAND_INTX_DISABLE);
        setWriteOneToClear(STATUS, 2, 0xf900); // error bits 15-11 and 8 (6.2.3)
        setWritable(CACHE_LINE_SIZE, 1, 0xff);
        setWritable(LATENCY_TIMER, 1, 0xff);
        setWritable(INTERRUPT_LINE, 1, 0xff);
    }

    // ---- declaration helpers for subclasses ----

    protected final void setConfig8(int offset, int value) {
        config[offset & 0xff] = (byte) value;
    }

    protected final void setConfig16(int offset, int value) {
        setConfig8(offset, value);
        setConfig8(offset + 1, value >>> 8);
    }

    protected final void setConfig32(int offset, int value) {
        setConfig16(offset, value);
        setConfig16(offset + 2, value >>> 16);
    }

    public final int config8(int offset) {
        return config[offset & 0xff] & 0xff;
    }

    public final int config16(int offset) {
        return config8(offset) | config8(offset + 1) << 8;
    }

    public final int config32(int offset) {
        return config16(offset) | config16(offset + 2) << 16;
    }

    /** Marks bits of {@code length} bytes from {@code offset} guest-writable (mask little-endian). */
    protected final void setWritable(int offset, int length, long mask) {
        for (int i = 0; i < length && offset + i < 256; i++) {
            writable[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    protected final void setWriteOneToClear(int offset, int length, long mask) {
        for (int i = 0; i < length && offset + i < 256; i++) {
            writeOneToClear[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    protected final void setInterruptPin(int pin) {
        setConfig8(INTERRUPT_PIN, pin);
    }

    protected final void setSubsystem(int vendorId, int subsystemId) {
        setConfig16(SUBSYSTEM_VENDOR_ID, vendorId);
        setConfig16(SUBSYSTEM_ID, subsystemId);
    }

    /** Declares an I/O BAR of {@code size} bytes (rounded up to a power of two, at least 4). */
    protected final void defineIoBar(int index, int size) {
        long s = Math.max(4, Long.highestOneBit(Math.max(1, size - 1)) << 1);
        bars[index] = new Bar(true, s, false, false);
        setConfig32(BAR0 + 4 * index, 0x1);
        setWritable(BAR0 + 4 * index, 4, ~(s - 1) & 0xffff_fffcL);
    }

    /** Declares a memory BAR (at least 16 bytes); a 64-bit BAR also takes slot {@code index + 1}. */
    protected final void defineMemoryBar(int index, long size, boolean is64, boolean prefetchable) {
        long s = Math.max(16, Long.highestOneBit(Math.max(1, size - 1)) << 1);
        bars[index] = new Bar(false, s, is64, prefetchable);
        int low = (is64 ? 0x4 : 0) | (prefetchable ? 0x8 : 0);
        setConfig32(BAR0 + 4 * index, low);
        setWritable(BAR0 + 4 * index, 4, ~(s - 1) & 0xffff_fff0L);
        if (is64 && index < 5) {
            setWritable(BAR0 + 4 * (index + 1), 4, (~(s - 1)) >>> 32);
        }
    }

    /**
     * Appends a capability of {@code length} bytes (including the ID and next bytes) to the list
     * and returns its offset, or -1 if config space is full. The body starts zeroed and
     * read-only; set it with setConfig and setWritable.
     */
    protected final int addCapability(int id, int length) {
        int at = (nextCapability + 3) & ~3;
        if (length < 2 || at + length > 256) {
            return -1;
        }
        setConfig8(at, id);
        setConfig8(at + 1, 0);
        if (lastCapability == 0) {
            setConfig8(CAPABILITIES_POINTER, at);
        } else {
            setConfig8(lastCapability + 1, at);
        }
        setConfig16(STATUS, config16(STATUS) | STATUS_CAPABILITIES);
        lastCapability = at;
        nextCapability = at + length;
        return at;
    }

    // ---- BAR access, overridden by devices ----

    public int ioBarRead(int bar, int offset, int size) {
        return size == 4 ? -1 : (1 << (8 * size)) - 1;
    }

    public void ioBarWrite(int bar, int offset, int size, int value) { }

    public long mmioBarRead(int bar, long offset, int size) {
        return size >= 8 ? -1L : (1L << (8 * size)) - 1;
    }

    public void mmioBarWrite(int bar, long offset, int size, long value) { }

    /** Called after a guest configuration write has been applied. */
    protected void configWritten(int offset, int size, int value) { }

    // ---- BAR queries ----

    public final Bar bar(int index) {
        return index >= 0 && index < 6 ? bars[index] : null;
    }

    /** Address the BAR register currently holds (type bits stripped), decoded or not. */
    public final long barAddress(int index) {
        Bar b = bar(index);
        if (b == null) {
            return 0;
        }
        long low = config32(BAR0 + 4 * index) & 0xffff_ffffL;
        if (b.io()) {
            return low & ~0x3L;
        }
        long address = low & ~0xfL;
        if (b.is64() && index < 5) {
            address |= (config32(BAR0 + 4 * (index + 1)) & 0xffff_ffffL) << 32;
        }
        return address;
    }

    /** Where the BAR is decoded now, or {@link #UNMAPPED}. */
    public final synchronized long mappedBase(int index) {
        return index >= 0 && index < 6 ? mappedBase[index] : UNMAPPED;
    }

    /** Firmware-style BAR programming (no listener call until decoding is enabled). */
    public final synchronized void setBarAddress(int index, long address) {
        Bar b = bar(index);
        if (b == null) {
            return;
        }
        int at = BAR0 + 4 * index;
        int lowBits = config32(at) & (b.io() ? 0x3 : 0xf);
        setConfig32(at, (int) (address & (b.io() ? ~0x3L : ~0xfL)) | lowBits);
        if (b.is64() && index < 5) {
            setConfig32(at + 4, (int) (address >>> 32));
        }
        refreshMappings();
    }

    /** Firmware-style write of the command register. */
    public final synchronized void setCommand(int command) {
        setConfig16(COMMAND, command);
        refreshMappings();
        driveIntx();
    }

    public final synchronized void setInterruptLine(int line) {
        setConfig8(INTERRUPT_LINE, line);
    }

    public final int interruptPin() {
        return config8(INTERRUPT_PIN);
    }

    public final synchronized void setBarListener(BarListener listener) {
        barListener = listener == null ? BarListener.NONE : listener;
        refreshMappings();
    }

    // ---- INTx ----

    /** Connects the function's INTx pin (done by the firmware set-up through the PIIX3 router). */
    public final synchronized void connectIntx(IrqLine line) {
        if (intxLevel) {
            intx.setLevel(false);
            intxLevel = false;
        }
        intx = line == null ? IrqLine.NONE : line;
        driveIntx();
    }

    /** The device asserts or deasserts its interrupt request; status bit 3 follows, command bit 10 masks. */
    public final synchronized void setIntx(boolean asserted) {
        intxRequest = asserted;
        driveIntx();
    }

    private synchronized void driveIntx() {
        int status = config16(STATUS);
        setConfig16(STATUS, intxRequest ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
        boolean level = intxRequest && (config16(COMMAND) & COMMAND_INTX_DISABLE) == 0;
        if (level != intxLevel) {
            intxLevel = level;
            intx.setLevel(level);
        }
    }

    // ---- guest configuration access ----

    /** Reads {@code size} bytes (1, 2, 4) at {@code offset}; bytes past 0xFF read as 0xFF. */
    public synchronized int configRead(int offset, int size) {
        int value = 0;
        for (int i = 0; i < size; i++) {
            int at = offset + i;
            value |= (at >= 0 && at < 256 ? config[at] & 0xff : 0xff) << (8 * i);
        }
        return value;
    }

    /** Guest write: only writable bits change, write-one-to-clear bits clear. */
    public synchronized void configWrite(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            int at = offset + i;
            if (at < 0 || at >= 256) {
                continue;
            }
            int v = (value >>> (8 * i)) & 0xff;
            int old = config[at] & 0xff;
            int mask = writable[at] & 0xff;
            int w1c = writeOneToClear[at] & 0xff;
            int next = (old & ~mask) | (v & mask);
            next &= ~(v & w1c);
            config[at] = (byte) next;
        }
        if (offset < COMMAND + 2 && offset + size > COMMAND) {
            driveIntx();
        }
        refreshMappings();
        configWritten(offset, size, value);
    }

    /** Re-derives which BARs decode where and tells the listener about every change. */
    private void refreshMappings() {
        int command = config16(COMMAND);
        for (int i = 0; i < 6; i++) {
            Bar b = bars[i];
            long base = UNMAPPED;
            if (b != null) {
                long address = barAddress(i);
                boolean enabled = (command & (b.io() ? COMMAND_IO : COMMAND_MEMORY)) != 0;
                long limit = b.io() ? 0x1_0000L : (b.is64() ? Long.MAX_VALUE : 0x1_0000_0000L);
                if (enabled && address != 0 && address + b.size() <= limit && address + b.size() > address) {
                    base = address;
                }
            }
            long old;
            synchronized (this) {
                old = mappedBase[i];
                mappedBase[i] = base;
            }
            if (old != base) {
                barListener.barRemapped(this, i, old, base);
            }
        }
    }
}
