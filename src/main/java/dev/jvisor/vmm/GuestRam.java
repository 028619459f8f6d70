package dev.jvisor.vmm;

import dev.jvisor.bus.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.internal.misc.Unsafe;

/**
 * Guest-physical RAM: one region of host memory shared by the vCPUs and the devices, an anonymous
 * mapping that is resident only where the guest has touched it ({@link AnonymousMemory}). The PC's
 * legacy video window [0xA0000, 0xC0000) is a hole (MMIO), as on real hardware. Every device access
 * is bounds-checked here, so a guest-supplied DMA address can never reach host memory outside it.
 */
public final class GuestRam implements GuestMemory {
    public static final int VGA_HOLE_START = 0xa0000, VGA_HOLE_END = 0xc0000;
    /**
     * Device reads and writes of a few bytes go to the mapping's address with Unsafe, as the vCPU's do
     * (cpu.Vcpu): a segment accessor through a value layout links the JDK's layout var handles on first
     * use, 8-10 ms of a cold JVM before the guest's first instruction (the boot loader's first GDT write).
     */
    private static final Unsafe UNSAFE = Unsafe.getUnsafe();

    private final MemorySegment mem;
    /** mem's host address (always native: a mapping or, as the fallback, an arena's memory). */
    private final long address;
    /** Told about every device write, so the CPU can drop code it decoded from those bytes. */
    private volatile WriteWatcher watcher = (gpa, len) -> { };

    /** Observer of device (DMA) writes to RAM. */
    @FunctionalInterface
    public interface WriteWatcher {
        void written(long gpa, long len);
    }

    public void setWriteWatcher(WriteWatcher w) {
        this.watcher = w;
    }

    public GuestRam(int size) {
        if (size < (1 << 20)) {
            throw new IllegalArgumentException("guest RAM must be at least 1 MiB");
        }
        this.mem = AnonymousMemory.allocate(size);
        this.address = mem.address();
    }

    /** The host memory behind guest-physical [0, size): the vCPU's view of RAM. */
    public MemorySegment segment() {
        return mem;
    }

    @Override
    public long size() {
        return mem.byteSize();
    }

    @Override
    public boolean isRam(long gpa, long len) {
        if (gpa < 0 || len < 0 || gpa + len > mem.byteSize()) {
            return false;
        }
        return gpa + len <= VGA_HOLE_START || gpa >= VGA_HOLE_END;
    }

    @Override
    public boolean read(long gpa, byte[] dst, int off, int len) {
        if (!isRam(gpa, len) || off < 0 || off + len > dst.length) {
            return false;
        }
        MemorySegment.copy(mem, ValueLayout.JAVA_BYTE, gpa, dst, off, len);
        return true;
    }

    @Override
    public boolean write(long gpa, byte[] src, int off, int len) {
        if (!isRam(gpa, len) || off < 0 || off + len > src.length) {
            return false;
        }
        MemorySegment.copy(src, off, mem, ValueLayout.JAVA_BYTE, gpa, len);
        watcher.written(gpa, len);
        return true;
    }

    @Override
    public long readLE(long gpa, int size) {
        if (!isRam(gpa, size)) {
            return 0;
        }
        long a = address + gpa;
        long v = switch (size) {
            case 1 -> UNSAFE.getByte(null, a) & 0xffL;
            case 2 -> UNSAFE.getShortUnaligned(null, a, false) & 0xffffL;
            case 4 -> UNSAFE.getIntUnaligned(null, a, false) & 0xffffffffL;
            case 8 -> UNSAFE.getLongUnaligned(null, a, false);
            default -> {
                long x = 0;
                for (int i = size - 1; i >= 0; i--) {
                    x = (x << 8) | (UNSAFE.getByte(null, a + i) & 0xff);
                }
                yield x;
            }
        };
        java.lang.ref.Reference.reachabilityFence(mem); // the mapping lives while it is accessed
        return v;
    }

    @Override
    public boolean writeLE(long gpa, int size, long value) {
        if (!isRam(gpa, size)) {
            return false;
        }
        long a = address + gpa;
        switch (size) {
            case 1 -> UNSAFE.putByte(null, a, (byte) value);
            case 2 -> UNSAFE.putShortUnaligned(null, a, (short) value, false);
            case 4 -> UNSAFE.putIntUnaligned(null, a, (int) value, false);
            case 8 -> UNSAFE.putLongUnaligned(null, a, value, false);
            default -> {
                for (int i = 0; i < size; i++) {
                    UNSAFE.putByte(null, a + i, (byte) (value >>> (8 * i)));
                }
            }
        }
        java.lang.ref.Reference.reachabilityFence(mem);
        watcher.written(gpa, size);
        return true;
    }
}
