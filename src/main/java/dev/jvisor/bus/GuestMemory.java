package dev.jvisor.bus;

/**
 * Guest-physical RAM as devices and boot loaders see it (DMA). Every access is bounds-checked
 * against RAM: an access that is not entirely inside RAM returns {@code false} (reads leave the
 * destination untouched) and never touches host memory outside the guest. Little-endian.
 * Writes through this interface mark translated code on the written pages stale.
 */
public interface GuestMemory {
    /** RAM size in bytes. RAM is guest-physical [0, size) minus any holes the machine maps as MMIO. */
    long size();

    /** True if [gpa, gpa+len) lies entirely in RAM. */
    boolean isRam(long gpa, long len);

    boolean read(long gpa, byte[] dst, int off, int len);

    boolean write(long gpa, byte[] src, int off, int len);

    /** Reads one little-endian value of 1, 2, 4 or 8 bytes; returns 0 if outside RAM. */
    long readLE(long gpa, int size);

    /** Writes one little-endian value of 1, 2, 4 or 8 bytes; returns false (nothing written) if outside RAM. */
    boolean writeLE(long gpa, int size, long value);

    default int read8(long gpa) { return (int) readLE(gpa, 1); }
    default int read16(long gpa) { return (int) readLE(gpa, 2); }
    default int read32(long gpa) { return (int) readLE(gpa, 4); }
    default long read64(long gpa) { return readLE(gpa, 8); }
    default boolean write8(long gpa, int v) { return writeLE(gpa, 1, v); }
    default boolean write16(long gpa, int v) { return writeLE(gpa, 2, v); }
    default boolean write32(long gpa, int v) { return writeLE(gpa, 4, v); }
    default boolean write64(long gpa, long v) { return writeLE(gpa, 8, v); }
}
