package dev.jvisor.boot;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads boot input files from the host, turning every failure into a one-line BootException. */
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
}
