package dev.jvisor.boot;

import static dev.jvisor.boot.LittleEndian.u32;

/**
 * A multiboot (version 1) header: magic 0x1BADB002, flags and checksum (magic + flags +
 * checksum = 0 mod 2^32), 4-byte aligned within the first 8192 bytes of the image, followed by
 * the a.out kludge address fields when flags bit 16 is set.
 */
public record MultibootHeader(
        int offset, int flags, long headerAddr, long loadAddr, long loadEndAddr, long bssEndAddr, long entryAddr) {

    public static final int MAGIC = 0x1BADB002;
    public static final int SEARCH_LIMIT = 8192;
    public static final int FLAG_PAGE_ALIGN = 1;
    public static final int FLAG_MEMORY_INFO = 1 << 1;
    public static final int FLAG_VIDEO_MODE = 1 << 2;
    public static final int FLAG_AOUT_KLUDGE = 1 << 16;

    /** Required-feature bits (0-15) this loader honours; bit 2 (video) is accepted but ignored. */
    private static final int SUPPORTED_REQUIRED = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;

    public boolean aoutKludge() {
        return (flags & FLAG_AOUT_KLUDGE) != 0;
    }

    /** Offset of the first valid header in the search window, or -1. */
    public static int locate(byte[] image) {
        int limit = Math.min(image.length, SEARCH_LIMIT) - 12;
        for (int off = 0; off <= limit; off += 4) {
            int magic = (int) u32(image, off);
            if (magic == MAGIC && magic + (int) u32(image, off + 4) + (int) u32(image, off + 8) == 0) {
                return off;
            }
        }
        return -1;
    }

    public static boolean isMultiboot(byte[] image) {
        return locate(image) >= 0;
    }

    public static MultibootHeader parse(byte[] image, String name) throws BootException {
        int off = locate(image);
        if (off < 0) {
            throw new BootException(name + ": no multiboot header in the first 8192 bytes");
        }
        int flags = (int) u32(image, off + 4);
        int unsupported = flags & 0xFFFF & ~SUPPORTED_REQUIRED;
        if (unsupported != 0) {
            throw new BootException(String.format(
                    "%s: multiboot header requires unsupported features (flags 0x%x)", name, unsupported));
        }
        if ((flags & FLAG_AOUT_KLUDGE) == 0) {
            return new MultibootHeader(off, flags, 0, 0, 0, 0, 0);
        }
        if (off + 32 > image.length) {
            throw new BootException(name + ": truncated multiboot header (a.out kludge fields missing)");
        }
        return new MultibootHeader(off, flags, u32(image, off + 12), u32(image, off + 16), u32(image, off + 20),
                u32(image, off + 24), u32(image, off + 28));
    }
}
