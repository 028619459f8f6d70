package dev.jvisor.boot;

import java.nio.charset.StandardCharsets;

/** Builds small fake bzImage files with a protocol 2.15-style setup header for tests. */
final class SyntheticBzImage {
    int setupSects = 4;
    int version = 0x020F;
    int pmSize = 0x3000;
    long initSize = 0x20000;
    long prefAddress = 0x100000;
    long kernelAlignment = 0x200000;
    boolean relocatable = false;
    long cmdlineSize = 255;
    long initrdAddrMax = 0x7FFFFFFF;
    String versionString = "6.1.0-test (jvisor) #1";
    /** The compressed vmlinux at payload_offset 0x100 (followed by its 4-byte size), or null for filler bytes. */
    byte[] payload;
    long payloadSize;

    byte[] build() {
        int setupSize = (setupSects + 1) * 512;
        if (payload != null) {
            pmSize = Math.max(pmSize, (0x100 + payload.length + 4 + 15) & ~15);
        }
        byte[] b = new byte[setupSize + pmSize];
        put8(b, 0x1F1, setupSects);
        put32(b, 0x1F4, pmSize / 16);
        put16(b, 0x1FE, 0xAA55);
        put8(b, 0x200, 0xEB);
        put8(b, 0x201, 0x268 - 0x202);
        put32(b, 0x202, 0x53726448);
        put16(b, 0x206, version);
        byte[] v = versionString.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(v, 0, b, 0x400, v.length);
        put16(b, 0x20E, 0x400 - 0x200);
        put8(b, 0x211, 0x01);
        put32(b, 0x214, 0x100000);
        put32(b, 0x22C, initrdAddrMax);
        put32(b, 0x230, kernelAlignment);
        put8(b, 0x234, relocatable ? 1 : 0);
        put32(b, 0x238, cmdlineSize);
        put32(b, 0x248, 0x100);
        put32(b, 0x24C, pmSize - 0x200);
        put32(b, 0x258, prefAddress);
        put32(b, 0x260, initSize);
        for (int i = setupSize; i < b.length; i++) {
            b[i] = (byte) (i * 7);
        }
        if (payload != null) {
            System.arraycopy(payload, 0, b, setupSize + 0x100, payload.length);
            put32(b, setupSize + 0x100 + payload.length, payloadSize);
            put32(b, 0x24C, payload.length + 4);
        }
        return b;
    }

    static void put8(byte[] b, int off, int v) {
        b[off] = (byte) v;
    }

    static void put16(byte[] b, int off, int v) {
        put8(b, off, v);
        put8(b, off + 1, v >> 8);
    }

    static void put32(byte[] b, int off, long v) {
        for (int i = 0; i < 4; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
