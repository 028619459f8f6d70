package dev.jvisor.boot;

import static dev.jvisor.boot.LittleEndian.u16;
import static dev.jvisor.boot.LittleEndian.u32;

import java.nio.charset.StandardCharsets;

/**
 * Sanity checks and placement of a Linux initrd: it must look like something the kernel can
 * unpack (a cpio archive, a compressed stream in a format Linux decompresses, or a classic
 * ramdisk filesystem image), and it goes page-aligned as high as the kernel allows.
 */
public final class InitrdImage {
    private InitrdImage() {}

    public static void check(byte[] image, String name) throws BootException {
        if (image.length == 0) {
            throw new BootException(name + ": initrd is empty");
        }
        if (image.length < 4) {
            throw new BootException(name + ": initrd is too short (" + image.length + " bytes)");
        }
        int p = 0;
        while (p + 4 <= image.length && u32(image, p) == 0) {
            p += 4; // the kernel skips zero padding between archive members
        }
        if (p + 4 > image.length) {
            throw new BootException(name + ": initrd contains only zero bytes");
        }
        if (!recognized(image, p)) {
            throw new BootException(name + ": not an initramfs or initrd (no cpio, compressed-archive or filesystem magic)");
        }
    }

    private static boolean recognized(byte[] b, int p) {
        if (startsWith(b, p, "070701") || startsWith(b, p, "070702") || startsWith(b, p, "070707")) {
            return true; // cpio newc, crc, odc
        }
        int m0 = b[p] & 0xFF;
        int m1 = b[p + 1] & 0xFF;
        if (m0 == 0x1F && (m1 == 0x8B || m1 == 0x9E)) {
            return true; // gzip
        }
        if (startsWith(b, p, "BZh")                                  // bzip2
                || bytes(b, p, 0x5D, 0x00, 0x00)                     // lzma
                || bytes(b, p, 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00)   // xz
                || bytes(b, p, 0x89, 0x4C, 0x5A, 0x4F)               // lzop
                || bytes(b, p, 0x02, 0x21, 0x4C, 0x18)               // lz4 legacy
                || bytes(b, p, 0x28, 0xB5, 0x2F, 0xFD)               // zstd
                || bytes(b, p, 0xC7, 0x71) || bytes(b, p, 0x71, 0xC7)) { // binary cpio
            return true;
        }
        // Filesystem images for the old /dev/ram0 initrd (only checked at the start of the file).
        return p == 0 && (startsWith(b, 0, "hsqs") || startsWith(b, 0, "-rom1fs-")
                || (b.length >= 4 && u32(b, 0) == 0x28CD3D45L)
                || (b.length >= 0x43A && u16(b, 0x438) == 0xEF53));
    }

    private static boolean startsWith(byte[] b, int p, String s) {
        byte[] m = s.getBytes(StandardCharsets.ISO_8859_1);
        if (p + m.length > b.length) {
            return false;
        }
        for (int i = 0; i < m.length; i++) {
            if (b[p + i] != m[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean bytes(byte[] b, int p, int... m) {
        if (p + m.length > b.length) {
            return false;
        }
        for (int i = 0; i < m.length; i++) {
            if ((b[p + i] & 0xFF) != m[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Chooses the initrd address: page-aligned, as high as possible so that the image ends at or
     * below min(initrdAddrMax + 1, ramSize, {@link BootLayout#LOWMEM_LIMIT}), and not below
     * kernelEnd (the end of everything the kernel occupies before it reads the memory map).
     */
    public static long place(long size, long kernelEnd, long ramSize, long initrdAddrMax, String name)
            throws BootException {
        long limit = Math.min(Math.min(initrdAddrMax + 1, ramSize), BootLayout.LOWMEM_LIMIT);
        long addr = (limit - size) & ~0xFFFL;
        long floor = (kernelEnd + 0xFFF) & ~0xFFFL;
        if (size > limit || addr < floor) {
            throw new BootException(String.format(
                    "%s: initrd of %d KiB does not fit between the kernel end 0x%x and the initrd limit 0x%x",
                    name, (size + 1023) >> 10, floor, limit));
        }
        return addr;
    }
}
