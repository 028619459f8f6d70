package dev.jvisor.boot;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a POSIX/GNU tar stream (as produced by {@code dpkg-deb --fsys-tarfile}) and hands every
 * regular file the visitor wants to it. Understands ustar name prefixes, GNU long names ('L')
 * and pax "path" records ('x'); other entry types are skipped.
 */
final class TarReader {
    private TarReader() {}

    interface Visitor {
        /** Whether the regular file at this path (normalized: no leading "./" or "/") is wanted. */
        boolean wants(String path);

        /** Receives a wanted file; return false to stop reading the stream. */
        boolean accept(String path, int mode, byte[] data);
    }

    /** Returns normally at the end of the archive or when the visitor stops it. */
    static void read(InputStream in, Visitor v) throws IOException {
        byte[] h = new byte[512];
        String longName = null;
        while (true) {
            if (in.readNBytes(h, 0, 512) < 512) {
                throw new EOFException("truncated tar stream");
            }
            if (allZero(h)) {
                return;
            }
            long size = number(h, 124, 12);
            int type = h[156] == 0 ? '0' : h[156];
            if (type == 'L' || type == 'x') {
                byte[] data = readPadded(in, size);
                String name = type == 'L' ? cString(data, 0, data.length) : paxPath(data);
                if (name != null) {
                    longName = name;
                }
                continue;
            }
            String name = longName != null ? longName : headerName(h);
            longName = null;
            String path = normalize(name);
            if ((type == '0' || type == '7') && v.wants(path)) {
                byte[] data = readPadded(in, size);
                if (!v.accept(path, (int) number(h, 100, 8), data)) {
                    return;
                }
            } else {
                in.skipNBytes(padded(size));
            }
        }
    }

    private static String headerName(byte[] h) {
        String name = cString(h, 0, 100);
        boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar ? cString(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    static String normalize(String name) {
        String n = name;
        if (n.startsWith("./")) {
            n = n.substring(2);
        }
        while (n.startsWith("/")) {
            n = n.substring(1);
        }
        return n;
    }

    private static String paxPath(byte[] data) {
        String s = new String(data, StandardCharsets.UTF_8);
        String path = null;
        int p = 0;
        while (p < s.length()) {
            int sp = s.indexOf(' ', p);
            if (sp < 0) {
                break;
            }
            int len;
            try {
                len = Integer.parseInt(s.substring(p, sp));
            } catch (NumberFormatException e) {
                break;
            }
            if (len <= 0 || p + len > s.length()) {
                break;
            }
            String rec = s.substring(sp + 1, p + len - 1);
            if (rec.startsWith("path=")) {
                path = rec.substring(5);
            }
            p += len;
        }
        return path;
    }

    private static byte[] readPadded(InputStream in, long size) throws IOException {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException("tar entry too large: " + size);
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException("truncated tar stream");
        }
        in.skipNBytes(padded(size) - size);
        return data;
    }

    private static long padded(long size) {
        return (size + 511) & ~511L;
    }

    /** An octal field, or a GNU base-256 field (high bit of the first byte set). */
    private static long number(byte[] h, int off, int len) throws IOException {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7F;
            for (int i = 1; i < len; i++) {
                v = v << 8 | (h[off + i] & 0xFF);
            }
            return v;
        }
        String s = cString(h, off, len).trim();
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException("corrupt tar header field: \"" + s + "\"");
        }
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
