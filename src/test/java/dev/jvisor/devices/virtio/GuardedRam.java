package dev.jvisor.devices.virtio;

import dev.jvisor.bus.GuestMemory;
import java.util.Arrays;

/**
 * Test guest RAM: a byte array whose last {@link #GUARD} bytes lie beyond the reported RAM size
 * and are filled with a pattern, so a test can prove no device access ever left guest RAM.
 */
final class GuardedRam implements GuestMemory {
    static final int GUARD = 4096;
    static final byte PATTERN = (byte) 0xA5;

    final byte[] bytes;
    private final int size;

    GuardedRam(int size) {
        this.size = size;
        bytes = new byte[size + GUARD];
        Arrays.fill(bytes, size, size + GUARD, PATTERN);
    }

    boolean guardIntact() {
        for (int i = size; i < bytes.length; i++) {
            if (bytes[i] != PATTERN) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean isRam(long gpa, long len) {
        return gpa >= 0 && len >= 0 && gpa <= size && len <= size - gpa;
    }

    @Override
    public boolean read(long gpa, byte[] dst, int off, int len) {
        if (!isRam(gpa, len)) {
            return false;
        }
        System.arraycopy(bytes, (int) gpa, dst, off, len);
        return true;
    }

    @Override
    public boolean write(long gpa, byte[] src, int off, int len) {
        if (!isRam(gpa, len)) {
            return false;
        }
        System.arraycopy(src, off, bytes, (int) gpa, len);
        return true;
    }

    @Override
    public long readLE(long gpa, int n) {
        if (!isRam(gpa, n)) {
            return 0;
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (bytes[(int) gpa + i] & 0xff);
        }
        return v;
    }

    @Override
    public boolean writeLE(long gpa, int n, long value) {
        if (!isRam(gpa, n)) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            bytes[(int) gpa + i] = (byte) (value >>> (8 * i));
        }
        return true;
    }
}
