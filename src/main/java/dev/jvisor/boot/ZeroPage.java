package dev.jvisor.boot;

import static dev.jvisor.boot.LittleEndian.put16;
import static dev.jvisor.boot.LittleEndian.put32;
import static dev.jvisor.boot.LittleEndian.put64;
import static dev.jvisor.boot.LittleEndian.put8;

import java.util.List;

/**
 * Builds the Linux zero page (struct boot_params, 4 KiB) for the 32-bit boot protocol.
 * screen_info is left all zero (headless: no VGA console, vgacon sees no text mode) except
 * ext_mem_k; the setup header is copied to 0x1F1 and patched for our loader.
 */
public final class ZeroPage {
    private ZeroPage() {}

    public static final int SIZE = 4096;
    public static final int EXT_MEM_K = 0x002;
    public static final int ALT_MEM_K = 0x1E0;
    public static final int E820_ENTRIES = 0x1E8;
    public static final int E820_TABLE = 0x2D0;
    public static final int E820_MAX = 128;
    public static final int TYPE_OF_LOADER = 0x210;
    public static final int LOADFLAGS = 0x211;
    public static final int RAMDISK_IMAGE = 0x218;
    public static final int RAMDISK_SIZE = 0x21C;
    public static final int HEAP_END_PTR = 0x224;
    public static final int CMD_LINE_PTR = 0x228;

    /** "Undefined" boot loader id: we have no assigned one. */
    public static final int LOADER_UNDEFINED = 0xFF;
    /** heap_end_ptr: end of the (unused by the 32-bit entry) setup heap, relative to setup start + 0x200. */
    public static final int HEAP_END = 0xFE00;

    public static byte[] build(SetupHeader hdr, List<E820Entry> map, long ramSize, long cmdlinePtr,
            long ramdiskImage, long ramdiskSize) {
        byte[] zp = new byte[SIZE];
        long extKiB = Math.max(0, (ramSize - BootLayout.HIGH_MEMORY) >> 10);
        put16(zp, EXT_MEM_K, (int) Math.min(extKiB, 0xFC00));
        put32(zp, ALT_MEM_K, extKiB);

        System.arraycopy(hdr.raw(), 0, zp, SetupHeader.OFFSET, hdr.raw().length);
        put8(zp, TYPE_OF_LOADER, LOADER_UNDEFINED);
        put8(zp, LOADFLAGS, hdr.loadflags() | SetupHeader.CAN_USE_HEAP);
        put16(zp, HEAP_END_PTR, HEAP_END);
        put32(zp, CMD_LINE_PTR, cmdlinePtr);
        put32(zp, RAMDISK_IMAGE, ramdiskImage);
        put32(zp, RAMDISK_SIZE, ramdiskSize);

        int n = Math.min(map.size(), E820_MAX);
        put8(zp, E820_ENTRIES, n);
        for (int i = 0; i < n; i++) {
            E820Entry e = map.get(i);
            int off = E820_TABLE + 20 * i;
            put64(zp, off, e.base());
            put64(zp, off + 8, e.length());
            put32(zp, off + 16, e.type());
        }
        return zp;
    }
}
