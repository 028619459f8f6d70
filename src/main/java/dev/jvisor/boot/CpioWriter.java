package dev.jvisor.boot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format the Linux initramfs unpacker reads: per entry a
 * 110-byte ASCII header ("070701" and thirteen 8-digit hex fields), the NUL-terminated name
 * padded to a multiple of 4, then the data padded to a multiple of 4; closed by "TRAILER!!!".
 * Owner, group and mtime are fixed (0) and inode numbers count up from 1, so the same entries
 * always give the same bytes. Names are stored without a leading '/'.
 */
public final class CpioWriter {
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final String TRAILER = "TRAILER!!!";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int nextIno = 1;
    private boolean finished;

    public CpioWriter directory(String path, int perm) {
        return entry(path, S_IFDIR | perm, 2, 0, 0, new byte[0]);
    }

    public CpioWriter file(String path, int perm, byte[] data) {
        return entry(path, S_IFREG | perm, 1, 0, 0, data);
    }

    public CpioWriter symlink(String path, String target) {
        return entry(path, S_IFLNK | 0777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
    }

    public CpioWriter charDevice(String path, int perm, int major, int minor) {
        return entry(path, S_IFCHR | perm, 1, major, minor, new byte[0]);
    }

    public CpioWriter blockDevice(String path, int perm, int major, int minor) {
        return entry(path, S_IFBLK | perm, 1, major, minor, new byte[0]);
    }

    /** Appends the trailer and returns the archive; the writer cannot be used afterwards. */
    public byte[] finish() {
        if (!finished) {
            header(TRAILER, 0, 0, 1, 0, 0, 0);
            finished = true;
        }
        return out.toByteArray();
    }

    private CpioWriter entry(String path, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) {
        if (finished) {
            throw new IllegalStateException("cpio archive already finished");
        }
        String name = normalize(path);
        header(name, nextIno++, mode, nlink, data.length, rdevMajor, rdevMinor);
        out.writeBytes(data);
        pad();
        return this;
    }

    static String normalize(String path) {
        String n = path;
        while (n.startsWith("/")) {
            n = n.substring(1);
        }
        while (n.endsWith("/")) {
            n = n.substring(0, n.length() - 1);
        }
        if (n.isEmpty() || n.equals(TRAILER) || n.contains("\0") || n.contains("//")) {
            throw new IllegalArgumentException("bad cpio entry name: \"" + path + "\"");
        }
        for (String part : n.split("/")) {
            if (part.equals("..") || part.equals(".")) {
                throw new IllegalArgumentException("bad cpio entry name: \"" + path + "\"");
            }
        }
        return n;
    }

    private void header(String name, int ino, int mode, int nlink, int size, int rdevMajor, int rdevMinor) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(110).append("070701");
        for (int field : new int[] {ino, mode, 0, 0, nlink, 0, size, 0, 0, rdevMajor, rdevMinor,
                nameBytes.length + 1, 0}) {
            h.append(String.format("%08X", field));
        }
        out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(nameBytes);
        out.write(0);
        pad();
    }

    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
