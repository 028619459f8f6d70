package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;

/** Writes loader data into guest RAM, failing with a BootException that names the source file. */
final class GuestCopy {
    private GuestCopy() {}

    private static final byte[] ZEROS = new byte[65536];

    static void write(GuestMemory mem, long gpa, byte[] src, int off, int len, String what) throws BootException {
        if (len == 0) {
            return;
        }
        if (!mem.isRam(gpa, len) || !mem.write(gpa, src, off, len)) {
            throw outside(mem, gpa, len, what);
        }
    }

    static void zero(GuestMemory mem, long gpa, long len, String what) throws BootException {
        if (len <= 0) {
            return;
        }
        if (!mem.isRam(gpa, len)) {
            throw outside(mem, gpa, len, what);
        }
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(ZEROS.length, len - done);
            if (!mem.write(gpa + done, ZEROS, 0, n)) {
                throw outside(mem, gpa, len, what);
            }
            done += n;
        }
    }

    static BootException outside(GuestMemory mem, long gpa, long len, String what) {
        return new BootException(String.format("%s: [0x%x, 0x%x) does not fit in guest RAM (%d MiB)",
                what, gpa, gpa + len, mem.size() >> 20));
    }
}
