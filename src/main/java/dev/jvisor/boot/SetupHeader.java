package dev.jvisor.boot;

import static dev.jvisor.boot.LittleEndian.u16;
import static dev.jvisor.boot.LittleEndian.u32;
import static dev.jvisor.boot.LittleEndian.u64;
import static dev.jvisor.boot.LittleEndian.u8;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The Linux/x86 boot protocol setup header (Documentation/x86/boot.rst) as found at offset
 * 0x1F1 of a bzImage, or synthesized for an ELF vmlinux. {@link #raw} holds the header bytes
 * from 0x1F1 up to its end (0x202 + the byte at 0x201), which the loader copies into the zero page.
 */
public record SetupHeader(
        int setupSects,
        long syssize,
        int version,
        String kernelVersion,
        int loadflags,
        long code32Start,
        long initrdAddrMax,
        long kernelAlignment,
        boolean relocatable,
        long cmdlineSize,
        long payloadOffset,
        long payloadLength,
        long prefAddress,
        long initSize,
        byte[] raw) {

    public static final int OFFSET = 0x1F1;
    public static final int HDRS = 0x53726448;
    public static final int BOOT_FLAG = 0xAA55;
    public static final int MIN_VERSION = 0x0206;
    public static final int LOADED_HIGH = 0x01;
    public static final int CAN_USE_HEAP = 0x80;

    /** Bytes of the header region a bzImage must have for us to read every field we use. */
    private static final int FIXED_END = 0x268;

    /** True if the image carries the boot flag and the "HdrS" signature (any protocol version). */
    public static boolean isBzImage(byte[] image) {
        return image.length >= 0x206 && u16(image, 0x1FE) == BOOT_FLAG && (int) u32(image, 0x202) == HDRS;
    }

    /** Size in bytes of the real-mode setup part: (setup_sects, 0 meaning 4, + 1) sectors. */
    public int setupSize() {
        return ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
    }

    /**
     * Parses and validates the header of a bzImage file image.
     *
     * @param name the file name used in error messages
     */
    public static SetupHeader parse(byte[] image, String name) throws BootException {
        if (image.length < 0x206) {
            throw new BootException(name + ": truncated bzImage (" + image.length + " bytes, no setup header)");
        }
        if (u16(image, 0x1FE) != BOOT_FLAG) {
            throw new BootException(name + ": not a bzImage (no 0xAA55 boot flag at 0x1FE)");
        }
        if ((int) u32(image, 0x202) != HDRS) {
            throw new BootException(name + ": not a bzImage (no \"HdrS\" signature at 0x202)");
        }
        int version = u16(image, 0x206);
        if (version < MIN_VERSION) {
            throw new BootException(String.format(
                    "%s: boot protocol %d.%02d is too old (need 2.06 or later)", name, version >> 8, version & 0xFF));
        }
        int headerEnd = 0x202 + u8(image, 0x201);
        int setupSects = u8(image, 0x1F1);
        int setupSize = ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        if (headerEnd < 0x23C || headerEnd > setupSize) {
            throw new BootException(String.format("%s: corrupt setup header (ends at 0x%x)", name, headerEnd));
        }
        if (image.length < Math.max(setupSize, FIXED_END)) {
            throw new BootException(String.format("%s: truncated bzImage (%d bytes, setup alone needs %d)",
                    name, image.length, setupSize));
        }
        int loadflags = u8(image, 0x211);
        if ((loadflags & LOADED_HIGH) == 0) {
            throw new BootException(name + ": zImage (kernel not loaded high) is not supported, need a bzImage");
        }
        long pmSize = image.length - setupSize;
        long syssize = u32(image, 0x1F4);
        if (pmSize == 0 || syssize * 16 > pmSize) {
            throw new BootException(String.format(
                    "%s: truncated bzImage (protected-mode kernel has %d bytes, header says %d)",
                    name, pmSize, syssize * 16));
        }
        long payloadOffset = version >= 0x208 ? u32(image, 0x248) : 0;
        long payloadLength = version >= 0x208 ? u32(image, 0x24C) : 0;
        if (payloadOffset + payloadLength > pmSize) {
            throw new BootException(String.format(
                    "%s: truncated bzImage (compressed payload ends at %d, file has %d bytes after setup)",
                    name, payloadOffset + payloadLength, pmSize));
        }
        long code32Start = u32(image, 0x214);
        if (code32Start < BootLayout.KERNEL_LOAD) {
            throw new BootException(String.format("%s: code32_start 0x%x lies below 1 MiB", name, code32Start));
        }
        boolean v210 = version >= 0x20A;
        return new SetupHeader(
                setupSects,
                syssize,
                version,
                versionString(image, setupSize),
                loadflags,
                code32Start,
                u32(image, 0x22C),
                u32(image, 0x230),
                u8(image, 0x234) != 0,
                u32(image, 0x238),
                payloadOffset,
                payloadLength,
                v210 ? u64(image, 0x258) : BootLayout.KERNEL_LOAD,
                v210 ? u32(image, 0x260) : 0,
                Arrays.copyOfRange(image, OFFSET, headerEnd));
    }

    /** The kernel_version string the header points at, or "" if absent. */
    private static String versionString(byte[] image, int setupSize) {
        int ptr = u16(image, 0x20E);
        if (ptr == 0) {
            return "";
        }
        int start = ptr + 0x200;
        int end = start;
        while (end < setupSize && end < start + 256 && image[end] != 0) {
            end++;
        }
        return start >= setupSize ? "" : new String(image, start, end - start, StandardCharsets.ISO_8859_1);
    }

    /**
     * A protocol 2.06 header for a kernel loaded from an ELF vmlinux: the fields a bzImage header
     * would carry, with code32_start at the kernel's physical entry.
     */
    public static SetupHeader forVmlinux(long entry, String kernelVersion) {
        int end = 0x23C;
        byte[] raw = new byte[end - OFFSET];
        LittleEndian.put16(raw, 0x1FE - OFFSET, BOOT_FLAG);
        LittleEndian.put8(raw, 0x200 - OFFSET, 0xEB);
        LittleEndian.put8(raw, 0x201 - OFFSET, end - 0x202);
        LittleEndian.put32(raw, 0x202 - OFFSET, HDRS);
        LittleEndian.put16(raw, 0x206 - OFFSET, MIN_VERSION);
        LittleEndian.put8(raw, 0x211 - OFFSET, LOADED_HIGH);
        LittleEndian.put32(raw, 0x214 - OFFSET, entry);
        LittleEndian.put32(raw, 0x22C - OFFSET, 0x7FFFFFFFL);
        LittleEndian.put32(raw, 0x238 - OFFSET, 2047);
        return new SetupHeader(0, 0, MIN_VERSION, kernelVersion, LOADED_HIGH, entry, 0x7FFFFFFFL, 0, false, 2047,
                0, 0, entry, 0, raw);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SetupHeader h && Arrays.equals(raw, h.raw) && kernelVersion.equals(h.kernelVersion);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(raw);
    }

    @Override
    public String toString() {
        return String.format("SetupHeader[protocol %d.%02d, setup_sects %d, code32_start 0x%x, init_size 0x%x,"
                        + " pref_address 0x%x, relocatable %s, align 0x%x, cmdline_size %d, initrd_addr_max 0x%x, \"%s\"]",
                version >> 8, version & 0xFF, setupSects, code32Start, initSize, prefAddress, relocatable,
                kernelAlignment, cmdlineSize, initrdAddrMax, kernelVersion);
    }
}
