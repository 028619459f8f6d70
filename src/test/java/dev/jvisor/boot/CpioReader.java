package dev.jvisor.boot;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A minimal newc cpio parser for checking what {@link CpioWriter} produced. */
final class CpioReader {
    record Entry(String name, int ino, int mode, int uid, int gid, int nlink, int mtime, int rdevMajor,
            int rdevMinor, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    static List<Entry> read(byte[] a) {
        List<Entry> out = new ArrayList<>();
        int p = 0;
        while (true) {
            String magic = new String(a, p, 6, StandardCharsets.US_ASCII);
            if (!magic.equals("070701")) {
                throw new AssertionError("bad magic at " + p + ": " + magic);
            }
            int[] f = new int[13];
            for (int i = 0; i < 13; i++) {
                f[i] = (int) Long.parseLong(new String(a, p + 6 + 8 * i, 8, StandardCharsets.US_ASCII), 16);
            }
            int nameSize = f[11];
            String name = new String(a, p + 110, nameSize - 1, StandardCharsets.UTF_8);
            if (a[p + 110 + nameSize - 1] != 0) {
                throw new AssertionError("name not NUL-terminated: " + name);
            }
            p = align4(p + 110 + nameSize);
            byte[] data = Arrays.copyOfRange(a, p, p + f[6]);
            p = align4(p + f[6]);
            if (name.equals("TRAILER!!!")) {
                if (p != a.length) {
                    throw new AssertionError("bytes after trailer");
                }
                return out;
            }
            out.add(new Entry(name, f[0], f[1], f[2], f[3], f[4], f[5], f[9], f[10], data));
        }
    }

    private static int align4(int x) {
        return (x + 3) & ~3;
    }
}
