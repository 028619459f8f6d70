package dev.jvisor.boot;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Reads boot input files from the host (and writes cache files), every failure a one-line BootException. */
final class HostFiles {
    private HostFiles() {}

    /** Largest file a loader reads (kernel, initrd, module): well above any sane image. */
    static final long MAX_FILE = 1L << 30;

    static byte[] read(Path file) throws BootException {
        if (file == null) {
            throw new BootException("no file given");
        }
        try {
            if (Files.isDirectory(file)) {
                throw new BootException(file + ": is a directory, not a file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE) {
                throw new BootException(file + ": too large (" + (size >> 20) + " MiB)");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BootException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new BootException(file + ": permission denied");
        } catch (IOException | SecurityException | OutOfMemoryError e) {
            throw new BootException(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Writes a file (mode 0644) via a temporary file and a rename, so readers never see half of it. */
    static void writeAtomically(Path target, byte[] data) throws BootException {
        try {
            Path tmp = Files.createTempFile(target.getParent(), ".fetch", ".tmp");
            Files.write(tmp, data);
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // non-POSIX file system: default permissions are fine
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new BootException(target + ": cannot write: " + e.getMessage());
        }
    }

    /** Deletes a directory tree (cache files only); a missing directory is fine. */
    static void deleteTree(Path dir) throws BootException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new BootException(dir + ": cannot delete: " + e.getMessage());
        }
    }
}
