package dev.jvisor.devices.ide;

import java.io.Closeable;
import java.io.IOException;

/**
 * The storage behind one IDE drive: a linear array of 512-byte sectors. Called on the vCPU thread
 * while a command executes. Callers only pass ranges inside [0, sectors()); implementations still
 * check and throw {@link IOException} rather than touch anything outside. The controller turns
 * every exception into an ATA error status for the guest.
 */
public interface IdeDisk extends Closeable {
    int SECTOR_SIZE = 512;

    /** Capacity in whole sectors. */
    long sectors();

    boolean readOnly();

    /** Reads {@code count} sectors starting at {@code lba} into {@code buf[off..]}. */
    void read(long lba, byte[] buf, int off, int count) throws IOException;

    /** Writes {@code count} sectors starting at {@code lba} from {@code buf[off..]}. */
    void write(long lba, byte[] buf, int off, int count) throws IOException;

    /** Makes every completed write durable (FLUSH CACHE). */
    void flush() throws IOException;

    @Override
    default void close() throws IOException { }
}
