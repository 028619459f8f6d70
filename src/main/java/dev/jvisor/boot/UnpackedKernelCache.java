package dev.jvisor.boot;

import java.io.BufferedInputStream;
import java.nio.charset.StandardCharsets;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * Unpacked vmlinux files of bzImages, kept so that the next boot of the same kernel streams the
 * ELF from a file instead of decoding the XZ payload again (about 0.7 s of a 6 s interpreted boot
 * for Debian's 686 kernel: 5.6 MB of XZ to 16 MB of vmlinux on a JVM that has not warmed up yet).
 *
 * <p>An entry is named by the kernel file and its payload ({@link #key}) and holds exactly the bytes the
 * decoder produced; it is trusted only when its size is the one the bzImage declares. Entries are
 * written to a temporary file, forced to disk and renamed into place, so a reader never sees half
 * of one; only after the whole stream has been decoded (which also checks the XZ/gzip integrity
 * check). The cache keeps the {@link #KEEP} most recently used entries. Any failure to read or
 * write it only means the payload is decoded as if there were no cache.
 */
final class UnpackedKernelCache {
    /** Entries kept: the default kernel and a few others under test. */
    static final int KEEP = 4;
    private static final String SUFFIX = ".vmlinux";

    private final Path dir;

    UnpackedKernelCache(Path dir) {
        this.dir = dir;
    }

    /**
     * The per-user cache, {@code <cache dir>/vmlinux}; the system property
     * {@code jvisor.unpacked.cache} names another directory (the test suite uses its own).
     */
    static UnpackedKernelCache user() {
        String own = System.getProperty("jvisor.unpacked.cache");
        return new UnpackedKernelCache(own != null && !own.isBlank() ? Path.of(own) : CacheDir.resolve().resolve("vmlinux"));
    }

    /**
     * The key of a compressed payload: who the file is (its absolute path, size, modification time
     * and inode) and what it holds (CRC-32C and CRC-32 of the payload). The file's identity keeps
     * one kernel file from ever being served another file's entry, whatever their checksums; the
     * checksums catch a file changed in place. (Checksums, not a cryptographic hash: SHA-256 of the
     * 5.6 MB payload costs about 0.2 s on a JVM that has just started; the CRCs cost 3 ms.)
     *
     * @param file the kernel file, or null for a payload with no file (then only its checksums)
     */
    static String key(Path file, byte[] data, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(data, off, len);
        CRC32 d = new CRC32();
        d.update(data, off, len);
        String who = "";
        if (file != null) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                who = file.toAbsolutePath().normalize() + "|" + a.size() + "|"
                        + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "|" + a.fileKey();
            } catch (IOException | SecurityException e) {
                who = file.toAbsolutePath().normalize().toString();
            }
        }
        byte[] w = who.getBytes(StandardCharsets.UTF_8);
        CRC32C wc = new CRC32C();
        wc.update(w);
        CRC32 wd = new CRC32();
        wd.update(w);
        return String.format("%08x%08x-%08x%08x-%x", wc.getValue(), wd.getValue(), c.getValue(), d.getValue(), len);
    }

    Path entry(String key) {
        return dir.resolve(key + SUFFIX);
    }

    /** The cached unpacked file for {@code key} if present with exactly {@code size} bytes, else null. */
    InputStream open(String key, long size) {
        Path f = entry(key);
        try {
            if (Files.size(f) != size) {
                return null;
            }
            InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16);
            try {
                Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis())); // most recently used
            } catch (IOException ignored) {
                // read-only cache: still usable
            }
            return in;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /**
     * Wraps the decoder's stream, of which {@code head} has been read already, so that every byte
     * read (or skipped) is also written to a new entry; closing the wrapper reads the stream to its
     * end and, if exactly {@code size} bytes came out, publishes the entry. If the cache cannot be
     * written, {@code unpacked} is returned.
     */
    InputStream recording(String key, long size, byte[] head, InputStream unpacked) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".unpack", ".tmp");
            FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
            Recorder r = new Recorder(unpacked, tmp, ch, entry(key), size);
            r.record(head, 0, head.length);
            return r;
        } catch (IOException | SecurityException e) {
            return unpacked;
        }
    }

    /** Deletes all but the {@link #KEEP} most recently used entries. */
    void trim() {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            ds.forEach(entries::add);
        } catch (IOException | SecurityException e) {
            return;
        }
        if (entries.size() <= KEEP) {
            return;
        }
        entries.sort((a, b) -> Long.compare(mtime(b), mtime(a)));
        for (Path p : entries.subList(KEEP, entries.size())) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException | SecurityException ignored) {
                // another jvisor may hold it open; it goes next time
            }
        }
    }

    private static long mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Copies what the loader reads to the new entry; publishes it on close if the stream was whole. */
    private final class Recorder extends FilterInputStream {
        private final Path tmp;
        private final FileChannel ch;
        private final OutputStream out;
        private final Path target;
        private final long size;
        private long written;
        private boolean failed;

        Recorder(InputStream in, Path tmp, FileChannel ch, Path target, long size) {
            super(in);
            this.tmp = tmp;
            this.ch = ch;
            this.out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16);
            this.target = target;
            this.size = size;
        }

        private void record(byte[] b, int off, int n) {
            if (failed || n <= 0) {
                return;
            }
            try {
                out.write(b, off, n);
                written += n;
            } catch (IOException e) {
                failed = true;
            }
        }

        @Override
        public int read() throws IOException {
            int c = in.read();
            if (c >= 0) {
                record(new byte[] {(byte) c}, 0, 1);
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            record(b, off, n);
            return n;
        }

        /** Skipped bytes belong to the file too: read them instead. */
        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(1 << 16, Math.max(n, 1))];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        @Override
        public void close() throws IOException {
            try {
                byte[] buf = new byte[1 << 16];
                while (!failed && read(buf, 0, buf.length) >= 0) {
                    // drain: the entry is the whole file, and the decoder checks its integrity at the end
                }
            } catch (IOException e) {
                failed = true; // a corrupt tail: the loader already has what it needs; no entry
            } finally {
                super.close();
                publish();
            }
        }

        private void publish() {
            try {
                out.flush();
                if (!failed && written == size) {
                    ch.force(true);
                    ch.close();
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                    trim();
                }
            } catch (IOException | SecurityException ignored) {
                // no entry this time
            } finally {
                try {
                    ch.close();
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temporary file in the cache dir
                }
            }
        }
    }
}
