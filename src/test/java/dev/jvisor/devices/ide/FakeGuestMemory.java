package dev.jvisor.devices.ide;

import dev.jvisor.bus.GuestMemory;
import java.util.Arrays;

/**
 * Test RAM: a byte array framed by guard regions that must never change. Accesses outside RAM
 * are refused as GuestMemory requires; a call with a bad host-array range (a device bug, which
 * real RAM would answer with an exception) is counted in {@link #misuse}.
 */
final class FakeGuestMemory implements GuestMemory {
    static final int GUARD = 4096;
    static final byte GUARD_BYTE = (byte) 0xE7;

    private final byte[] backing;
    private final int size;
    int misuse;
    int refused;

    FakeGuestMemory(int size) {
        this.size = size;
        backing = new byte[GUARD + size + GUARD];
        Arrays.fill(backing, 0, GUARD, GUARD_BYTE);
        Arrays.fill(backing, GUARD + size, backing.length, GUARD_BYTE);
    }

    boolean guardsIntact() {
        for (int i = 0; i < GUARD; i++) {
            if (backing[i] != GUARD_BYTE || backing[GUARD + size + i] != GUARD_BYTE) {
                return false;
            }
        }
        return true;
    }

    byte[] slice(long gpa, int len) {
        return Arrays.copyOfRange(backing, GUARD + (int) gpa, GUARD + (int) gpa + len);
    }

    void put(long gpa, byte[] data) {
        System.arraycopy(data, 0, backing, GUARD + (int) gpa, data.length);
    }

    void fill(long gpa, int len, byte value) {
        Arrays.fill(backing, GUARD + (int) gpa, GUARD + (int) gpa + len, value);
    }

    /** Writes one PRD entry (SFF-8038i 1.2). */
    void prd(long table, int index, long address, int byteCount, boolean eot) {
        writeLE(table + 8L * index, 4, address);
        writeLE(table + 8L * index + 4, 4, (byteCount & 0xFFFF) | (eot ? 0x8000_0000L : 0));
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean isRam(long gpa, long len) {
        return gpa >= 0 && len >= 0 && gpa <= size - len;
    }

    private boolean hostRangeOk(byte[] a, int off, int len) {
        if (a == null || off < 0 || len < 0 || off > a.length - len) {
            misuse++;
            return false;
        }
        return true;
    }

    @Override
    public boolean read(long gpa, byte[] dst, int off, int len) {
        if (!hostRangeOk(dst, off, len)) {
            return false;
        }
        if (!isRam(gpa, len)) {
            refused++;
            return false;
        }
        System.arraycopy(backing, GUARD + (int) gpa, dst, off, len);
        return true;
    }

    @Override
    public boolean write(long gpa, byte[] src, int off, int len) {
        if (!hostRangeOk(src, off, len)) {
            return false;
        }
        if (!isRam(gpa, len)) {
            refused++;
            return false;
        }
        System.arraycopy(src, off, backing, GUARD + (int) gpa, len);
        return true;
    }

    @Override
    public long readLE(long gpa, int size) {
        if (!isRam(gpa, size)) {
            refused++;
            return 0;
        }
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (backing[GUARD + (int) gpa + i] & 0xFF);
        }
        return v;
    }

    @Override
    public boolean writeLE(long gpa, int size, long value) {
        if (!isRam(gpa, size)) {
            refused++;
            return false;
        }
        for (int i = 0; i < size; i++) {
            backing[GUARD + (int) gpa + i] = (byte) (value >>> (8 * i));
        }
        return true;
    }
}
