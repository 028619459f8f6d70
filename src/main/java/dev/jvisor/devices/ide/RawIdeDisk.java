package dev.jvisor.devices.ide;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * A raw disk image file: sector n is at byte offset 512 * n. A trailing partial sector is not
 * part of the disk. A writable image is locked exclusively (a read-only one shared; several
 * read-only opens in one JVM share that JVM's lock) so two VMs cannot corrupt it; every problem opening it is a one-line {@link IOException} naming the file.
 * FileChannel I/O is interruptible: if an interrupt closes the channel, it is reopened once.
 */
public final class RawIdeDisk implements IdeDisk {
    /** Images open for writing in this JVM (a read-only open in the same JVM cannot see the OS lock). */
    private static final Set<Path> WRITERS = new HashSet<>();

    private final Path file;
    private final boolean readOnly;
    private final long sectors;
    private FileChannel channel;
    private FileLock lock;

    private RawIdeDisk(Path file, boolean readOnly) throws IOException {
        this.file = file;
        this.readOnly = readOnly;
        open();
        long size = channel.size();
        if (size < SECTOR_SIZE) {
            close();
            throw new IOException("disk image " + file + ": smaller than one 512-byte sector");
        }
        this.sectors = size / SECTOR_SIZE;
    }

    /** Opens {@code file}; read-only images are never written. */
    public static RawIdeDisk open(Path file, boolean readOnly) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("disk image " + file + ": is a directory");
        }
        return new RawIdeDisk(file, readOnly);
    }

    private void open() throws IOException {
        try {
            channel = readOnly
                    ? FileChannel.open(file, StandardOpenOption.READ)
                    : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new IOException("disk image " + file + ": no such file");
        } catch (IOException e) {
            throw new IOException("disk image " + file + ": cannot open (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        boolean heldInThisJvm = false;
        try {
            lock = channel.tryLock(0, Long.MAX_VALUE, readOnly);
        } catch (OverlappingFileLockException e) {
            lock = null; // file locks are per process: this JVM already holds one
            heldInThisJvm = true;
        } catch (IOException e) {
            lock = null;
        }
        boolean writerHere;
        synchronized (WRITERS) {
            writerHere = WRITERS.contains(realPath());
            if (lock != null && !readOnly) {
                WRITERS.add(realPath());
            }
        }
        if (lock == null && !(readOnly && heldInThisJvm) || readOnly && writerHere) {
            channel.close();
            throw new IOException("disk image " + file + ": in use (locked by another process or VM)");
        }
    }

    private Path realPath() {
        try {
            return file.toRealPath();
        } catch (IOException e) {
            return file.toAbsolutePath().normalize();
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public long sectors() {
        return sectors;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public synchronized void read(long lba, byte[] buf, int off, int count) throws IOException {
        check(lba, buf, off, count);
        ByteBuffer b = ByteBuffer.wrap(buf, off, count * SECTOR_SIZE);
        long pos = lba * SECTOR_SIZE;
        while (b.hasRemaining()) {
            int n = withReopen(() -> channel.read(b, pos + (b.position() - off)));
            if (n < 0) { // file shrank under us: the rest reads as zeros
                while (b.hasRemaining()) {
                    b.put((byte) 0);
                }
            }
        }
    }

    @Override
    public synchronized void write(long lba, byte[] buf, int off, int count) throws IOException {
        if (readOnly) {
            throw new IOException("disk image " + file + " is read-only");
        }
        check(lba, buf, off, count);
        ByteBuffer b = ByteBuffer.wrap(buf, off, count * SECTOR_SIZE);
        long pos = lba * SECTOR_SIZE;
        while (b.hasRemaining()) {
            withReopen(() -> channel.write(b, pos + (b.position() - off)));
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        if (!readOnly) {
            withReopen(() -> {
                channel.force(false);
                return 0;
            });
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (channel != null && channel.isOpen()) {
            channel.close(); // releases the lock
            if (!readOnly) {
                synchronized (WRITERS) {
                    WRITERS.remove(realPath());
                }
            }
        }
    }

    private void check(long lba, byte[] buf, int off, int count) throws IOException {
        if (lba < 0 || count < 0 || count > sectors || lba > sectors - count
                || off < 0 || (long) count * SECTOR_SIZE > buf.length - (long) off) {
            throw new IOException("disk image " + file + ": access outside the image (lba " + lba + ", " + count + " sectors)");
        }
    }

    private interface Io {
        int run() throws IOException;
    }

    /** Runs an I/O operation; if a thread interrupt closed the channel, reopens it and retries once. */
    private int withReopen(Io io) throws IOException {
        try {
            return io.run();
        } catch (ClosedByInterruptException e) {
            boolean interrupted = Thread.interrupted();
            try {
                open();
                return io.run();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
