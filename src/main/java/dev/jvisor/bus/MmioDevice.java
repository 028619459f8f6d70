package dev.jvisor.bus;

/**
 * A device reached through a guest-physical address range that is not RAM (an EPT_VIOLATION exit
 * for the CPU). {@code offset} is relative to the start of the registered range; size 1, 2, 4 or 8.
 * A device must never throw.
 */
public interface MmioDevice {
    long mmioRead(long offset, int size);

    void mmioWrite(long offset, int size, long value);
}
