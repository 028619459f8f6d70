package dev.jvisor.bus;

import java.util.ArrayList;
import java.util.List;

/**
 * Guest-physical MMIO ranges (the holes in the memory map). Few ranges, so a short sorted list.
 * Unclaimed addresses read as all ones and ignore writes.
 */
public final class MmioBus {
    private record Range(long base, long size, MmioDevice device) { }

    private final List<Range> ranges = new ArrayList<>();

    public void register(long base, long size, MmioDevice device) {
        for (Range r : ranges) {
            if (base < r.base + r.size && r.base < base + size) {
                throw new IllegalStateException("MMIO range 0x" + Long.toHexString(base) + " overlaps 0x" + Long.toHexString(r.base));
            }
        }
        ranges.add(new Range(base, size, device));
        ranges.sort((a, b) -> Long.compare(a.base, b.base));
    }

    /** Removes a range (a PCI BAR being moved by the guest). */
    public void unregister(long base, MmioDevice device) {
        ranges.removeIf(r -> r.base == base && r.device == device);
    }

    public long read(long gpa, int size) {
        for (Range r : ranges) {
            if (gpa >= r.base && gpa < r.base + r.size) {
                return r.device.mmioRead(gpa - r.base, size);
            }
        }
        return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }

    public void write(long gpa, int size, long value) {
        for (Range r : ranges) {
            if (gpa >= r.base && gpa < r.base + r.size) {
                r.device.mmioWrite(gpa - r.base, size, value);
                return;
            }
        }
    }
}
