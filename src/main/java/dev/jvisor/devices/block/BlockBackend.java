package dev.jvisor.devices.block;

import java.io.IOException;

/**
 * Host storage behind a guest disk (virtio-blk, IDE). Byte-addressed; callers (the disk models)
 * bounds-check guest requests against {@link #sizeBytes()} first and turn every
 * {@link IOException} into the guest-visible error of their protocol (virtio IOERR, ATA ABRT),
 * so a failing host disk never escapes as an exception out of a device.
 *
 * <p>Implementations are safe for use from several threads (positional I/O).
 */
public interface BlockBackend extends AutoCloseable {
    /** Usable size in bytes (a multiple of 512). */
    long sizeBytes();

    /** True if writes are refused (the device advertises read-only and fails writes). */
    boolean readOnly();

    /** Reads exactly {@code len} bytes at {@code offset} into {@code dst[off..]}. */
    void read(long offset, byte[] dst, int off, int len) throws IOException;

    /** Writes exactly {@code len} bytes at {@code offset}; fails on a read-only backend. */
    void write(long offset, byte[] src, int off, int len) throws IOException;

    /** Makes every completed write durable (the guest's cache flush). */
    void flush() throws IOException;

    /** A short identification string (the virtio-blk GET_ID serial, the ATA serial). */
    String id();

    @Override
    void close() throws IOException;
}
