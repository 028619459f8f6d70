package dev.jvisor.devices.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw disk image: the guest's sector {@code n} is bytes {@code [512n, 512n+512)} of a host file,
 * accessed with positional {@link FileChannel} I/O (no host-side cache of ours).
 *
 * <p><b>Durability.</b> A completed guest write has reached the host file (the OS page cache) when
 * the device reports it done; it is on stable storage once the guest's FLUSH has completed
 * ({@link #flush()} is {@code FileChannel.force(false)}, fdatasync: the image's bytes and the
 * metadata needed to read them back, not its timestamps; the IDE disk does the same, so both
 * interfaces pay the same host cost per flush). A host crash may lose writes not yet
 * flushed, exactly like a disk with a volatile write cache, which is what the guest is told
 * (virtio-blk offers FLUSH). A host kill (or a jvisor crash) loses nothing that reached the
 * file, and leaves a raw image structurally valid: it is just bytes, with no metadata to tear.
 *
 * <p><b>Sharing.</b> A writable image is locked exclusively ({@code tryLock}) for the life of
 * this object, so two VMs never write one image; a second open fails with the one-line message
 * {@code IMAGE: is locked by another process}. Read-only images take no lock. A trailing partial
 * sector of the file is not visible to the guest.
 */
public final class DiskImage implements BlockBackend {
    public static final int SECTOR = 512;

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean readOnly;
    private final long size;

    private DiskImage(Path path, FileChannel channel, FileLock lock, boolean readOnly, long size) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
        this.readOnly = readOnly;
        this.size = size;
    }

    /**
     * Opens a raw image. Every failure is an {@link IOException} whose message is one line naming
     * the image (missing, not a regular file, not accessible, locked).
     */
    public static DiskImage open(Path path, boolean readOnly) throws IOException {
        if (!Files.exists(path)) {
            throw new IOException(path + ": no such file");
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": is not a regular file");
        }
        FileChannel ch;
        try {
            ch = readOnly
                    ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new IOException(path + ": permission denied" + (readOnly ? "" : " (try read-only)"));
        } catch (NoSuchFileException e) {
            throw new IOException(path + ": no such file");
        }
        FileLock lock = null;
        try {
            if (!readOnly) {
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // held by this JVM: same answer as another process
                }
                if (lock == null) {
                    throw new IOException(path + ": is locked by another process");
                }
            }
            long bytes = ch.size() / SECTOR * SECTOR;
            return new DiskImage(path, ch, lock, readOnly, bytes);
        } catch (IOException e) {
            ch.close();
            throw e.getMessage() != null && e.getMessage().startsWith(path.toString())
                    ? e : new IOException(path + ": " + e.getMessage());
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    private void check(long offset, int off, int len, int arrayLength) throws IOException {
        if (offset < 0 || len < 0 || off < 0 || off + len > arrayLength || offset > size - len) {
            throw new IOException(path + ": access outside the image at " + offset + "+" + len);
        }
    }

    @Override
    public void read(long offset, byte[] dst, int off, int len) throws IOException {
        check(offset, off, len, dst.length);
        ByteBuffer b = ByteBuffer.wrap(dst, off, len);
        while (b.hasRemaining()) {
            int n = channel.read(b, offset + (b.position() - off));
            if (n < 0) {
                throw new IOException(path + ": image shrank under us at " + (offset + b.position() - off));
            }
        }
    }

    @Override
    public void write(long offset, byte[] src, int off, int len) throws IOException {
        if (readOnly) {
            throw new IOException(path + ": is read-only");
        }
        check(offset, off, len, src.length);
        ByteBuffer b = ByteBuffer.wrap(src, off, len);
        while (b.hasRemaining()) {
            channel.write(b, offset + (b.position() - off));
        }
    }

    @Override
    public void flush() throws IOException {
        if (!readOnly) {
            channel.force(false);
        }
    }

    @Override
    public String id() {
        return path.getFileName() == null ? "jvisor-disk" : path.getFileName().toString();
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock != null && lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }
}
