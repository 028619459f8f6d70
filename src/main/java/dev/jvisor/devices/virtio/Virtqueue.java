package dev.jvisor.devices.virtio;

import dev.jvisor.bus.GuestMemory;
import java.lang.invoke.VarHandle;

/**
 * A split virtqueue (virtio 1.1 section 2.6): the descriptor table, the driver ("available") ring
 * and the device ("used") ring in guest RAM, plus the device's private indices.
 *
 * <p>Everything the guest wrote is validated before it is trusted: queue size a power of two not
 * above the device maximum, ring addresses aligned and inside RAM (checked when the queue is
 * enabled), the available index not more than a queue size ahead, descriptor indices below the
 * table size, chains not longer than the queue's maximum size (which is also the loop
 * detector: a loop would make the chain endless), indirect tables (2.6.5.3) only when
 * negotiated, not nested, a whole number of descriptors, and every buffer inside RAM. A violation
 * throws {@link VirtioError}, which the transport turns into DEVICE_NEEDS_RESET.
 *
 * <p>Memory ordering (2.6.13): the device reads {@code avail->idx} before the ring entries and
 * descriptors it covers (acquire fence), writes a used element before publishing
 * {@code used->idx} (release fence), and publishes {@code used->idx} before it reads the
 * driver's interrupt suppression (full fence). On one vCPU thread the JVM already guarantees
 * this; the fences make it hold when the RAM is shared with other vCPU threads.
 *
 * <p>Not thread-safe: the owning transport serialises all access under its lock.
 */
public final class Virtqueue {
    static final int DESC_F_NEXT = 1;
    static final int DESC_F_WRITE = 2;
    static final int DESC_F_INDIRECT = 4;
    static final int AVAIL_F_NO_INTERRUPT = 1;

    private final GuestMemory memory;
    private final int index;
    private final int maxSize;

    private int size;
    private boolean enabled;
    private long desc;
    private long driver;
    private long device;
    private boolean indirect;
    private boolean eventIdx;
    private int lastAvail;
    private int usedIdx;
    private int signalledUsed;
    private long completed;

    Virtqueue(GuestMemory memory, int index, int maxSize) {
        this.memory = memory;
        this.index = index;
        this.maxSize = maxSize;
        reset();
    }

    /** Back to the power-on state (device reset, 2.1.2 / 4.1.4.3.1). */
    void reset() {
        size = maxSize;
        enabled = false;
        desc = 0;
        driver = 0;
        device = 0;
        indirect = false;
        eventIdx = false;
        lastAvail = 0;
        usedIdx = 0;
        signalledUsed = 0;
    }

    /** Chains returned to the driver since the device was created (statistics). */
    public long completed() {
        return completed;
    }

    public int index() {
        return index;
    }

    public int maxSize() {
        return maxSize;
    }

    int size() {
        return size;
    }

    void setSize(int value) {
        size = value & 0xffff;
    }

    boolean enabled() {
        return enabled;
    }

    long descAddress() {
        return desc;
    }

    long driverAddress() {
        return driver;
    }

    long deviceAddress() {
        return device;
    }

    void setDescAddress(long a) {
        desc = a;
    }

    void setDriverAddress(long a) {
        driver = a;
    }

    void setDeviceAddress(long a) {
        device = a;
    }

    /**
     * The driver writes 1 to queue_enable (4.1.4.3). Returns null if the queue is now live, or the
     * reason it cannot be (bad size, misaligned or non-RAM ring).
     */
    String enable(boolean indirectDesc, boolean eventIndex) {
        if (size == 0 || (size & (size - 1)) != 0 || size > maxSize) {
            return "queue " + index + ": bad size " + size;
        }
        // Alignment and sizes of the three areas: 2.6 table "Virtqueue Part Alignment Size".
        long availBytes = 6 + 2L * size;
        long usedBytes = 6 + 8L * size;
        if ((desc & 15) != 0 || (driver & 1) != 0 || (device & 3) != 0) {
            return "queue " + index + ": misaligned ring";
        }
        if (!memory.isRam(desc, 16L * size) || !memory.isRam(driver, availBytes) || !memory.isRam(device, usedBytes)) {
            return "queue " + index + ": ring outside RAM";
        }
        indirect = indirectDesc;
        eventIdx = eventIndex;
        lastAvail = 0;
        usedIdx = 0;
        signalledUsed = 0;
        enabled = true;
        return null;
    }

    private int availIdx() {
        int idx = memory.read16(driver + 2);
        VarHandle.acquireFence();
        return idx;
    }

    /** True if the driver has made a buffer available that the device has not taken yet. */
    public boolean hasAvailable() {
        return enabled && availIdx() != lastAvail;
    }

    /** Takes the next available chain, or null if none; throws VirtioError if the driver broke the rules. */
    public DescriptorChain next() {
        if (!enabled) {
            return null;
        }
        int avail = availIdx();
        int pending = (avail - lastAvail) & 0xffff;
        if (pending == 0) {
            return null;
        }
        if (pending > size) {
            throw new VirtioError("queue " + index + ": avail idx " + avail + " is " + pending + " ahead of " + size + " entries");
        }
        int head = memory.read16(driver + 4 + 2L * (lastAvail & (size - 1)));
        lastAvail = (lastAvail + 1) & 0xffff;
        return walk(head);
    }

    /** Follows a chain from {@code head} (2.6.5), collecting and validating its segments. */
    private DescriptorChain walk(int head) {
        if (head >= size) {
            throw new VirtioError("queue " + index + ": head index " + head + " >= size " + size);
        }
        long table = desc;
        int tableSize = size;
        boolean inIndirect = false;
        int limit = maxSize;
        long[] addr = new long[Math.min(limit, 8)];
        int[] len = new int[addr.length];
        int n = 0;
        int firstWritable = -1;
        int i = head;
        int steps = 0;
        while (true) {
            if (++steps > 2 * limit + 1) {
                throw new VirtioError("queue " + index + ": descriptor chain loops");
            }
            long d = table + 16L * i;
            long a = memory.read64(d);
            int l = memory.read32(d + 8);
            int flags = memory.read16(d + 12);
            int next = memory.read16(d + 14);
            long length = l & 0xffff_ffffL;
            if ((flags & DESC_F_INDIRECT) != 0) {
                if (!indirect) {
                    throw new VirtioError("queue " + index + ": indirect descriptor not negotiated");
                }
                if (inIndirect) {
                    throw new VirtioError("queue " + index + ": nested indirect table");
                }
                if ((flags & DESC_F_NEXT) != 0) {
                    throw new VirtioError("queue " + index + ": indirect descriptor with NEXT");
                }
                if (length == 0 || (length & 15) != 0 || length / 16 > limit) {
                    throw new VirtioError("queue " + index + ": bad indirect table length " + length);
                }
                if (!memory.isRam(a, length)) {
                    throw new VirtioError("queue " + index + ": indirect table outside RAM");
                }
                table = a;
                tableSize = (int) (length / 16);
                inIndirect = true;
                i = 0;
                continue;
            }
            if (n >= limit) {
                throw new VirtioError("queue " + index + ": chain longer than " + limit + " descriptors (loop?)");
            }
            boolean write = (flags & DESC_F_WRITE) != 0;
            if (write && firstWritable < 0) {
                firstWritable = n;
            } else if (!write && firstWritable >= 0) {
                throw new VirtioError("queue " + index + ": readable descriptor after a writable one");
            }
            if (length > 0 && !memory.isRam(a, length)) {
                throw new VirtioError("queue " + index + ": buffer 0x" + Long.toHexString(a) + "+" + length + " outside RAM");
            }
            if (n == addr.length) {
                int grown = Math.min(limit, addr.length * 2);
                addr = java.util.Arrays.copyOf(addr, grown);
                len = java.util.Arrays.copyOf(len, grown);
            }
            addr[n] = a;
            len[n] = l;
            n++;
            if ((flags & DESC_F_NEXT) == 0) {
                break;
            }
            if (next >= tableSize) {
                throw new VirtioError("queue " + index + ": next index " + next + " >= " + tableSize);
            }
            i = next;
        }
        return new DescriptorChain(memory, head, addr, len, n, firstWritable < 0 ? n : firstWritable);
    }

    /** Returns a chain to the driver with {@code written} bytes written into it (2.6.8). */
    public void complete(DescriptorChain chain, long written) {
        int slot = usedIdx & (size - 1);
        long e = device + 4 + 8L * slot;
        int len = (int) Math.max(0, Math.min(written, chain.writableLength()));
        if (!memory.write32(e, chain.head()) || !memory.write32(e + 4, len)) {
            throw new VirtioError("queue " + index + ": used ring not writable");
        }
        VarHandle.releaseFence();
        usedIdx = (usedIdx + 1) & 0xffff;
        completed++;
        memory.write16(device + 2, usedIdx);
    }

    /**
     * With EVENT_IDX, tells the driver to notify again as soon as it adds anything (writes
     * avail_event = the next index the device will read, 2.6.7.2).
     */
    void publishAvailEvent() {
        if (enabled && eventIdx) {
            memory.write16(device + 4 + 8L * size, lastAvail);
            VarHandle.fullFence();
        }
    }

    /**
     * Whether the driver wants an interrupt for the used buffers added since the last call
     * (2.6.7.2 / 2.6.10): the NO_INTERRUPT flag, or with EVENT_IDX the used_event index.
     */
    boolean takeInterruptNeeded() {
        int old = signalledUsed;
        int now = usedIdx;
        signalledUsed = now;
        if (!enabled || old == now) {
            return false;
        }
        VarHandle.fullFence();
        if (eventIdx) {
            int usedEvent = memory.read16(driver + 4 + 2L * size);
            return ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
        }
        return (memory.read16(driver) & AVAIL_F_NO_INTERRUPT) == 0;
    }
}
