package dev.jvisor.devices.virtio;

import dev.jvisor.bus.GuestMemory;
import dev.jvisor.devices.pci.PciFunction;
import java.util.function.Consumer;

/**
 * The virtio over PCI modern transport (virtio 1.1 section 4.1), as the base class of every
 * virtio device model: PCI vendor 0x1AF4, device 0x1040 + virtio device id, revision 1, INTA.
 *
 * <p>One 32-bit memory BAR ({@link #BAR}, {@link #BAR_SIZE} bytes) holds the four structures the
 * vendor-specific capabilities (4.1.4) point at, each in its own 4 KiB page:
 * <pre>
 *   0x0000 common configuration (4.1.4.3)       cfg_type 1
 *   0x1000 ISR status, read-to-clear (4.1.4.5)  cfg_type 3
 *   0x2000 device-specific configuration        cfg_type 4
 *   0x3000 notifications (4.1.4.4), queue q at 0x3000 + q * NOTIFY_MULTIPLIER   cfg_type 2
 * </pre>
 * plus a PCI configuration access capability (cfg_type 5, 4.1.4.7) that reaches the same BAR
 * through configuration space. No MSI-X: interrupts are INTx (4.1.5.3 / 4.1.5.4), ISR bit 0 for
 * used buffers, bit 1 for configuration changes; reading the ISR clears it and lowers INTA.
 *
 * <p>Feature negotiation (2.2, 3.1.1): the device offers VIRTIO_F_VERSION_1, INDIRECT_DESC,
 * EVENT_IDX and its own bits; FEATURES_OK sticks only if the driver accepted VERSION_1 and
 * nothing that was not offered. The device touches no queue before DRIVER_OK (3.1.1); on
 * DRIVER_OK it processes whatever the driver already queued. Writing 0 to device_status resets.
 *
 * <p><b>The guest cannot crash the host.</b> Register values are masked to their width; writes of
 * the wrong size are ignored; every ring and buffer is validated by {@link Virtqueue}. A broken
 * queue or request puts the device in DEVICE_NEEDS_RESET (0x40, 2.1.1) with a configuration
 * interrupt and one log line; the device then ignores its queues until the driver resets it.
 * (The configuration interrupt is raised only once DRIVER_OK is set: before that the driver may
 * not have its handler installed, and an unclaimed level-triggered INTx would storm. A driver
 * still setting up sees the bit when it re-reads the status.)
 * As a last line of defence every entry point catches RuntimeException into the same state.
 *
 * <p>Threads: register accesses come from the vCPU thread; a queue notify is processed
 * synchronously there. All state is guarded by this object's monitor (the PciFunction lock), so
 * devices with host input (console) can call in from their own threads.
 */
public abstract class VirtioPciTransport extends PciFunction {
    public static final int VENDOR = 0x1AF4;
    public static final int DEVICE_BASE = 0x1040;
    public static final int BAR = 0;
    public static final int BAR_SIZE = 0x4000;
    public static final int COMMON_OFFSET = 0x0000;
    public static final int COMMON_LENGTH = 0x40;
    public static final int ISR_OFFSET = 0x1000;
    public static final int DEVICE_CFG_OFFSET = 0x2000;
    public static final int NOTIFY_OFFSET = 0x3000;
    public static final int NOTIFY_MULTIPLIER = 4;

    // Device status bits (2.1).
    public static final int ACKNOWLEDGE = 1;
    public static final int DRIVER = 2;
    public static final int DRIVER_OK = 4;
    public static final int FEATURES_OK = 8;
    public static final int DEVICE_NEEDS_RESET = 0x40;
    public static final int FAILED = 0x80;

    // Reserved feature bits (6).
    public static final long F_INDIRECT_DESC = 1L << 28;
    public static final long F_EVENT_IDX = 1L << 29;
    public static final long F_VERSION_1 = 1L << 32;

    // Vendor capability cfg_type values (4.1.4).
    static final int CAP_COMMON = 1;
    static final int CAP_NOTIFY = 2;
    static final int CAP_ISR = 3;
    static final int CAP_DEVICE = 4;
    static final int CAP_PCI_CFG = 5;

    // Common configuration field offsets (4.1.4.3).
    static final int DEVICE_FEATURE_SELECT = 0x00;
    static final int DEVICE_FEATURE = 0x04;
    static final int DRIVER_FEATURE_SELECT = 0x08;
    static final int DRIVER_FEATURE = 0x0C;
    static final int MSIX_CONFIG = 0x10;
    static final int NUM_QUEUES = 0x12;
    static final int DEVICE_STATUS = 0x14;
    static final int CONFIG_GENERATION = 0x15;
    static final int QUEUE_SELECT = 0x16;
    static final int QUEUE_SIZE = 0x18;
    static final int QUEUE_MSIX_VECTOR = 0x1A;
    static final int QUEUE_ENABLE = 0x1C;
    static final int QUEUE_NOTIFY_OFF = 0x1E;
    static final int QUEUE_DESC = 0x20;
    static final int QUEUE_DRIVER = 0x28;
    static final int QUEUE_DEVICE = 0x30;

    private static final int NO_VECTOR = 0xFFFF;

    private final GuestMemory memory;
    private final String name;
    private final long offeredFeatures;
    private final Virtqueue[] queues;
    private final int deviceConfigLength;
    private final int pciCfgCap;
    private Consumer<String> log = System.err::println;

    private int deviceFeatureSelect;
    private int driverFeatureSelect;
    private long driverFeatures;
    private int status;
    private int queueSelect;
    private int isr;

    /**
     * @param deviceId virtio device id (5: 2 block, 3 console, 4 entropy)
     * @param classCode PCI class code (base, sub, prog-if)
     * @param deviceFeatures the device-type feature bits offered (transport bits are added)
     * @param queueSizes maximum size of each virtqueue (powers of two)
     * @param deviceConfigLength bytes of device-specific configuration (at most 4096)
     */
    protected VirtioPciTransport(String name, GuestMemory memory, int deviceId, int classCode,
            long deviceFeatures, int[] queueSizes, int deviceConfigLength) {
        super(VENDOR, DEVICE_BASE + deviceId, classCode, 0x01, 0x00);
        this.name = name;
        this.memory = memory;
        this.offeredFeatures = deviceFeatures | F_VERSION_1 | F_INDIRECT_DESC | F_EVENT_IDX;
        this.queues = new Virtqueue[queueSizes.length];
        for (int i = 0; i < queueSizes.length; i++) {
            queues[i] = new Virtqueue(memory, i, queueSizes[i]);
        }
        this.deviceConfigLength = Math.min(deviceConfigLength, 0x1000);
        setSubsystem(VENDOR, deviceId);
        setInterruptPin(1);
        defineMemoryBar(BAR, BAR_SIZE, false, false);
        addVirtioCap(CAP_COMMON, COMMON_OFFSET, COMMON_LENGTH, 16);
        int notify = addVirtioCap(CAP_NOTIFY, NOTIFY_OFFSET, Math.max(2, queues.length * NOTIFY_MULTIPLIER), 20);
        setConfig32(notify + 16, NOTIFY_MULTIPLIER);
        addVirtioCap(CAP_ISR, ISR_OFFSET, 1, 16);
        if (this.deviceConfigLength > 0) {
            addVirtioCap(CAP_DEVICE, DEVICE_CFG_OFFSET, this.deviceConfigLength, 16);
        }
        pciCfgCap = addVirtioCap(CAP_PCI_CFG, 0, 0, 20);
        setWritable(pciCfgCap + 4, 1, 0xff);          // bar
        setWritable(pciCfgCap + 8, 4, 0xffff_ffffL);  // offset
        setWritable(pciCfgCap + 12, 4, 0xffff_ffffL); // length
        setWritable(pciCfgCap + 16, 4, 0xffff_ffffL); // pci_cfg_data
    }

    /** struct virtio_pci_cap (4.1.4): vndr, next, len, cfg_type, bar, id, pad[2], offset, length. */
    private int addVirtioCap(int type, int offset, int length, int capLength) {
        int at = addCapability(0x09, capLength);
        setConfig8(at + 2, capLength);
        setConfig8(at + 3, type);
        setConfig8(at + 4, BAR);
        setConfig32(at + 8, offset);
        setConfig32(at + 12, length);
        return at;
    }

    // ---- what a device type provides ----

    /** The driver notified queue {@code q}, or buffers may be waiting after DRIVER_OK. Under the lock. */
    protected abstract void processQueue(Virtqueue q);

    /** One byte of device-specific configuration ({@code offset} < the declared length). */
    protected abstract int deviceConfigByte(int offset);

    /** The driver wrote one byte of device-specific configuration; read-only by default. */
    protected void deviceConfigWritten(int offset, int value) { }

    /** Device reset (status written 0, 4.1.4.3.1): forget device-type state tied to the driver. */
    protected void deviceReset() { }

    // ---- services for device types ----

    public final GuestMemory memory() {
        return memory;
    }

    public final String name() {
        return name;
    }

    /** Where the one-line device error reports go (System.err by default). */
    public final synchronized void setLog(Consumer<String> sink) {
        log = sink == null ? s -> { } : sink;
    }

    protected final Virtqueue queue(int index) {
        return queues[index];
    }

    /** True when the driver is done setting up and the device is healthy: queues may be used. */
    protected final synchronized boolean live() {
        return (status & (DRIVER_OK | DEVICE_NEEDS_RESET | FAILED)) == DRIVER_OK;
    }

    protected final synchronized boolean negotiated(long feature) {
        return (status & FEATURES_OK) != 0 && (driverFeatures & feature) == feature;
    }

    /** The device found the driver broke the protocol: DEVICE_NEEDS_RESET and a config interrupt (2.1.1). */
    protected final synchronized void deviceError(String message) {
        if ((status & DEVICE_NEEDS_RESET) != 0) {
            return;
        }
        log.accept(name + ": device error, needs reset: " + message);
        status |= DEVICE_NEEDS_RESET;
        if ((status & DRIVER_OK) != 0) {
            raise(2);
        }
    }

    /** Ends a batch of completions: interrupts the driver if it asked for it, re-arms EVENT_IDX. */
    protected final synchronized void finishBatch(Virtqueue q) {
        q.publishAvailEvent();
        if (q.takeInterruptNeeded()) {
            raise(1);
        }
    }

    private void raise(int bits) {
        isr |= bits;
        setIntx(true);
    }

    /** Processes a queue with every guest error turned into DEVICE_NEEDS_RESET. */
    protected final synchronized void runQueue(Virtqueue q) {
        if (!live() || !q.enabled()) {
            return;
        }
        try {
            processQueue(q);
            finishBatch(q);
        } catch (VirtioError e) {
            deviceError(e.getMessage());
        } catch (RuntimeException e) {
            deviceError("internal: " + e);
        }
    }

    // ---- the BAR ----

    @Override
    public synchronized long mmioBarRead(int bar, long offset, int size) {
        if (bar != BAR || offset < 0 || offset >= BAR_SIZE || (size != 1 && size != 2 && size != 4 && size != 8)) {
            return super.mmioBarRead(bar, offset, size);
        }
        if (size == 8) {
            return (barRead((int) offset, 4) & 0xffff_ffffL) | (barRead((int) offset + 4, 4) & 0xffff_ffffL) << 32;
        }
        return barRead((int) offset, size) & ((1L << (8 * size)) - 1);
    }

    @Override
    public synchronized void mmioBarWrite(int bar, long offset, int size, long value) {
        if (bar != BAR || offset < 0 || offset >= BAR_SIZE) {
            return;
        }
        try {
            if (size == 8) {
                barWrite((int) offset, 4, (int) value);
                barWrite((int) offset + 4, 4, (int) (value >>> 32));
            } else if (size == 1 || size == 2 || size == 4) {
                barWrite((int) offset, size, (int) value);
            }
        } catch (VirtioError e) {
            deviceError(e.getMessage());
        } catch (RuntimeException e) {
            deviceError("internal: " + e);
        }
    }

    private int barRead(int offset, int size) {
        try {
            if (offset < COMMON_OFFSET + COMMON_LENGTH) {
                int v = 0;
                for (int i = 0; i < size; i++) {
                    v |= commonByte(offset + i) << (8 * i);
                }
                return v;
            }
            if (offset >= ISR_OFFSET && offset < ISR_OFFSET + 4) {
                // 4.1.4.5: reading the ISR returns and clears it, deasserting INTx.
                int v = offset == ISR_OFFSET ? isr : 0;
                if (offset == ISR_OFFSET) {
                    isr = 0;
                    setIntx(false);
                }
                return v;
            }
            if (offset >= DEVICE_CFG_OFFSET && offset < DEVICE_CFG_OFFSET + deviceConfigLength) {
                int v = 0;
                for (int i = 0; i < size; i++) {
                    int o = offset - DEVICE_CFG_OFFSET + i;
                    v |= (o < deviceConfigLength ? deviceConfigByte(o) & 0xff : 0) << (8 * i);
                }
                return v;
            }
            return 0;
        } catch (RuntimeException e) {
            deviceError("internal: " + e);
            return 0;
        }
    }

    /** One byte of the common configuration structure, whatever the access width. */
    private int commonByte(int offset) {
        int field;
        int shift;
        if (offset >= QUEUE_DESC) {
            field = offset & ~3;
            shift = offset & 3;
        } else if (offset >= QUEUE_SELECT || offset == MSIX_CONFIG || offset == MSIX_CONFIG + 1
                || offset == NUM_QUEUES || offset == NUM_QUEUES + 1) {
            field = offset & ~1;
            shift = offset & 1;
        } else if (offset == DEVICE_STATUS || offset == CONFIG_GENERATION) {
            field = offset;
            shift = 0;
        } else {
            field = offset & ~3;
            shift = offset & 3;
        }
        return (int) (commonField(field) >>> (8 * shift)) & 0xff;
    }

    private long commonField(int field) {
        Virtqueue q = queueSelect < queues.length ? queues[queueSelect] : null;
        return switch (field) {
            case DEVICE_FEATURE_SELECT -> deviceFeatureSelect;
            case DEVICE_FEATURE -> deviceFeatureSelect < 2 ? (offeredFeatures >>> (32 * deviceFeatureSelect)) & 0xffff_ffffL : 0;
            case DRIVER_FEATURE_SELECT -> driverFeatureSelect;
            case DRIVER_FEATURE -> driverFeatureSelect < 2 ? (driverFeatures >>> (32 * driverFeatureSelect)) & 0xffff_ffffL : 0;
            case MSIX_CONFIG -> NO_VECTOR;
            case NUM_QUEUES -> queues.length;
            case DEVICE_STATUS -> status;
            case CONFIG_GENERATION -> 0; // device configuration never changes under the driver
            case QUEUE_SELECT -> queueSelect;
            case QUEUE_SIZE -> q == null ? 0 : q.size();
            case QUEUE_MSIX_VECTOR -> NO_VECTOR;
            case QUEUE_ENABLE -> q != null && q.enabled() ? 1 : 0;
            case QUEUE_NOTIFY_OFF -> q == null ? 0 : q.index();
            case QUEUE_DESC -> q == null ? 0 : q.descAddress() & 0xffff_ffffL;
            case QUEUE_DESC + 4 -> q == null ? 0 : q.descAddress() >>> 32;
            case QUEUE_DRIVER -> q == null ? 0 : q.driverAddress() & 0xffff_ffffL;
            case QUEUE_DRIVER + 4 -> q == null ? 0 : q.driverAddress() >>> 32;
            case QUEUE_DEVICE -> q == null ? 0 : q.deviceAddress() & 0xffff_ffffL;
            case QUEUE_DEVICE + 4 -> q == null ? 0 : q.deviceAddress() >>> 32;
            default -> 0; // queue_notify_data, queue_reset (features not offered), padding
        };
    }

    private void barWrite(int offset, int size, int value) {
        if (offset < COMMON_OFFSET + COMMON_LENGTH) {
            commonWrite(offset, size, value);
        } else if (offset >= DEVICE_CFG_OFFSET && offset < DEVICE_CFG_OFFSET + deviceConfigLength) {
            for (int i = 0; i < size && offset - DEVICE_CFG_OFFSET + i < deviceConfigLength; i++) {
                deviceConfigWritten(offset - DEVICE_CFG_OFFSET + i, (value >>> (8 * i)) & 0xff);
            }
        } else if (offset >= NOTIFY_OFFSET && offset < NOTIFY_OFFSET + queues.length * NOTIFY_MULTIPLIER && size >= 2) {
            // 4.1.5.2: the driver writes the 16-bit queue index to the queue's notify address.
            int q = value & 0xffff;
            if (q < queues.length) {
                runQueue(queues[q]);
            }
        }
        // ISR is read-only; everything else in the BAR is reserved and ignores writes.
    }

    /** Writes to the common configuration; each field only at its own width (4.1.3.1). */
    private void commonWrite(int offset, int size, int value) {
        Virtqueue q = queueSelect < queues.length ? queues[queueSelect] : null;
        boolean queueWritable = q != null && !q.enabled() && (status & DRIVER_OK) == 0;
        switch (offset) {
            case DEVICE_FEATURE_SELECT -> {
                if (size == 4) {
                    deviceFeatureSelect = value;
                }
            }
            case DRIVER_FEATURE_SELECT -> {
                if (size == 4) {
                    driverFeatureSelect = value;
                }
            }
            case DRIVER_FEATURE -> {
                // Accepted only while negotiating: after FEATURES_OK the set is frozen (3.1.1).
                if (size == 4 && driverFeatureSelect < 2 && (status & FEATURES_OK) == 0) {
                    int shift = 32 * driverFeatureSelect;
                    driverFeatures = (driverFeatures & ~(0xffff_ffffL << shift)) | ((value & 0xffff_ffffL) << shift);
                }
            }
            case DEVICE_STATUS -> {
                if (size == 1) {
                    writeStatus(value & 0xff);
                }
            }
            case QUEUE_SELECT -> {
                if (size == 2) {
                    queueSelect = value & 0xffff;
                }
            }
            case QUEUE_SIZE -> {
                if (size == 2 && queueWritable) {
                    q.setSize(value);
                }
            }
            case QUEUE_ENABLE -> {
                // 4.1.4.3.2: the driver only ever writes 1; writing 0 is ignored.
                if (size == 2 && q != null && (value & 0xffff) == 1 && !q.enabled()) {
                    String bad = q.enable(negotiated(F_INDIRECT_DESC), negotiated(F_EVENT_IDX));
                    if (bad != null) {
                        deviceError(bad);
                    }
                }
            }
            case QUEUE_DESC, QUEUE_DESC + 4, QUEUE_DRIVER, QUEUE_DRIVER + 4, QUEUE_DEVICE, QUEUE_DEVICE + 4 -> {
                if (size == 4 && queueWritable) {
                    setAddressHalf(q, offset, value);
                }
            }
            default -> { } // read-only fields (features, num_queues, generation, notify_off), MSI-X vectors
        }
    }

    private static void setAddressHalf(Virtqueue q, int offset, int value) {
        int base = offset & ~7;
        boolean high = (offset & 4) != 0;
        long old = base == QUEUE_DESC ? q.descAddress() : base == QUEUE_DRIVER ? q.driverAddress() : q.deviceAddress();
        long v = value & 0xffff_ffffL;
        long updated = high ? (old & 0xffff_ffffL) | v << 32 : (old & ~0xffff_ffffL) | v;
        switch (base) {
            case QUEUE_DESC -> q.setDescAddress(updated);
            case QUEUE_DRIVER -> q.setDriverAddress(updated);
            default -> q.setDeviceAddress(updated);
        }
    }

    /** The device status state machine (2.1, 3.1.1). */
    private void writeStatus(int value) {
        if (value == 0) {
            reset();
            return;
        }
        value &= ~DEVICE_NEEDS_RESET; // device-owned bit
        int keep = status & DEVICE_NEEDS_RESET;
        if ((status & ~DEVICE_NEEDS_RESET & ~value) != 0) {
            return; // 2.1.2: the driver must not clear bits; ignore such a write
        }
        int added = value & ~status;
        if ((added & FEATURES_OK) != 0) {
            boolean ok = (driverFeatures & ~offeredFeatures) == 0 && (driverFeatures & F_VERSION_1) != 0;
            if (!ok) {
                value &= ~FEATURES_OK; // the driver re-reads and sees negotiation failed (3.1.1 step 6)
                added &= ~FEATURES_OK;
            }
        }
        if ((added & DRIVER_OK) != 0 && (value & FEATURES_OK) == 0) {
            status = value & ~DRIVER_OK | keep;
            deviceError("DRIVER_OK without FEATURES_OK");
            return;
        }
        status = value | keep;
        if ((added & DRIVER_OK) != 0) {
            for (Virtqueue q : queues) {
                runQueue(q); // buffers queued before DRIVER_OK (3.1.1)
            }
        }
    }

    private void reset() {
        status = 0;
        deviceFeatureSelect = 0;
        driverFeatureSelect = 0;
        driverFeatures = 0;
        queueSelect = 0;
        for (Virtqueue q : queues) {
            q.reset();
        }
        isr = 0;
        setIntx(false);
        deviceReset();
    }

    /** Buffers returned to the driver on all queues since creation (statistics, tests). */
    public final synchronized long completedBuffers() {
        long n = 0;
        for (Virtqueue q : queues) {
            n += q.completed();
        }
        return n;
    }

    /** Device status as the driver would read it (tests, diagnostics). */
    public final synchronized int status() {
        return status;
    }

    // ---- VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.7) ----

    @Override
    public synchronized int configRead(int offset, int size) {
        int data = pciCfgCap + 16;
        if (pciCfgCap > 0 && offset < data + 4 && offset + size > data) {
            cfgWindowRead();
        }
        return super.configRead(offset, size);
    }

    @Override
    protected void configWritten(int offset, int size, int value) {
        int data = pciCfgCap + 16;
        if (pciCfgCap > 0 && offset < data + 4 && offset + size > data) {
            int length = config32(pciCfgCap + 12);
            int off = config32(pciCfgCap + 8);
            if (config8(pciCfgCap + 4) == BAR && (length == 1 || length == 2 || length == 4)
                    && off >= 0 && off <= BAR_SIZE - length && (off & (length - 1)) == 0) {
                mmioBarWrite(BAR, off, length, config32(data) & 0xffff_ffffL);
            }
        }
    }

    private void cfgWindowRead() {
        int length = config32(pciCfgCap + 12);
        int off = config32(pciCfgCap + 8);
        if (config8(pciCfgCap + 4) == BAR && (length == 1 || length == 2 || length == 4)
                && off >= 0 && off <= BAR_SIZE - length && (off & (length - 1)) == 0) {
            setConfig32(pciCfgCap + 16, (int) mmioBarRead(BAR, off, length));
        }
    }
}
