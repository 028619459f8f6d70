package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;

/** Test RAM: a plain byte array, sparse-free, bounds-checked like the real one. */
final class ArrayGuestMemory implements GuestMemory {
    final byte[] ram;

    ArrayGuestMemory(int size) {
        ram = new byte[size];
    }

    @Override
    public long size() {
        return ram.length;
    }

    @Override
    public boolean isRam(long gpa, long len) {
        return gpa >= 0 && len >= 0 && gpa + len <= ram.length;
    }

    @Override
    public boolean read(long gpa, byte[] dst, int off, int len) {
        if (!isRam(gpa, len)) {
            return false;
        }
        System.arraycopy(ram, (int) gpa, dst, off, len);
        return true;
    }

    @Override
    public boolean write(long gpa, byte[] src, int off, int len) {
        if (!isRam(gpa, len)) {
            return false;
        }
        System.arraycopy(src, off, ram, (int) gpa, len);
        return true;
    }

    @Override
    public long readLE(long gpa, int size) {
        if (!isRam(gpa, size)) {
            return 0;
        }
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (ram[(int) gpa + i] & 0xFF);
        }
        return v;
    }

    @Override
    public boolean writeLE(long gpa, int size, long value) {
        if (!isRam(gpa, size)) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            ram[(int) gpa + i] = (byte) (value >>> (8 * i));
        }
        return true;
    }

    String cString(long gpa) {
        StringBuilder sb = new StringBuilder();
        for (int p = (int) gpa; ram[p] != 0; p++) {
            sb.append((char) (ram[p] & 0xFF));
        }
        return sb.toString();
    }
}
