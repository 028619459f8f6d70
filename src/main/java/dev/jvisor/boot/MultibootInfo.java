package dev.jvisor.boot;

import static dev.jvisor.boot.LittleEndian.put32;
import static dev.jvisor.boot.LittleEndian.put64;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Lays out the multiboot information structure and everything it points at (memory map, module
 * list, strings) in the area [{@link BootLayout#MULTIBOOT_AREA}, {@link BootLayout#MULTIBOOT_AREA_END}).
 * The info structure itself is at the start of the area. Provided: mem_lower/mem_upper (flag
 * bit 0), cmdline (bit 2), mods (bit 3), mmap (bit 6), boot_loader_name (bit 9).
 */
public final class MultibootInfo {
    private MultibootInfo() {}

    public static final int FLAG_MEMORY = 1;
    public static final int FLAG_CMDLINE = 1 << 2;
    public static final int FLAG_MODS = 1 << 3;
    public static final int FLAG_MMAP = 1 << 6;
    public static final int FLAG_LOADER_NAME = 1 << 9;
    public static final String LOADER_NAME = "jvisor";
    /** Size reserved for the info structure (116 bytes in the spec, rounded up). */
    public static final int INFO_SIZE = 128;
    public static final int MMAP_ENTRY_SIZE = 24;
    public static final int MODULE_SIZE = 16;

    /** A module already placed in guest memory: [start, end) and its string. */
    public record Placed(long start, long end, String string) {}

    /** Returns the bytes of the whole area; the info structure is at its start. */
    public static byte[] build(long ramSize, List<E820Entry> map, String cmdline, List<Placed> modules)
            throws BootException {
        Area a = new Area(BootLayout.MULTIBOOT_AREA_END - BootLayout.MULTIBOOT_AREA);
        int info = a.alloc(INFO_SIZE);
        int flags = FLAG_MEMORY | FLAG_CMDLINE | FLAG_MODS | FLAG_MMAP | FLAG_LOADER_NAME;
        put32(a.buf, info, flags);
        put32(a.buf, info + 4, BootLayout.EBDA >> 10);
        put32(a.buf, info + 8, (ramSize - BootLayout.HIGH_MEMORY) >> 10);

        int mmap = a.alloc(MMAP_ENTRY_SIZE * map.size());
        for (int i = 0; i < map.size(); i++) {
            E820Entry e = map.get(i);
            int p = mmap + MMAP_ENTRY_SIZE * i;
            put32(a.buf, p, MMAP_ENTRY_SIZE - 4);
            put64(a.buf, p + 4, e.base());
            put64(a.buf, p + 12, e.length());
            put32(a.buf, p + 20, e.type());
        }
        put32(a.buf, info + 44, MMAP_ENTRY_SIZE * map.size());
        put32(a.buf, info + 48, a.gpa(mmap));

        int mods = a.alloc(MODULE_SIZE * modules.size());
        for (int i = 0; i < modules.size(); i++) {
            Placed m = modules.get(i);
            int p = mods + MODULE_SIZE * i;
            put32(a.buf, p, m.start());
            put32(a.buf, p + 4, m.end());
            put32(a.buf, p + 8, a.gpa(a.string(m.string())));
        }
        put32(a.buf, info + 20, modules.size());
        put32(a.buf, info + 24, a.gpa(mods));

        put32(a.buf, info + 16, a.gpa(a.string(cmdline)));
        put32(a.buf, info + 64, a.gpa(a.string(LOADER_NAME)));
        return a.buf;
    }

    /** A bump allocator over the area, 4-byte aligned. */
    private static final class Area {
        final byte[] buf;
        int top;

        Area(int size) {
            buf = new byte[size];
        }

        int alloc(int n) throws BootException {
            int p = top;
            if ((long) p + n > buf.length) {
                throw new BootException(String.format(
                        "multiboot: command lines and module list exceed the %d KiB info area", buf.length >> 10));
            }
            top = (p + n + 3) & ~3;
            return p;
        }

        int string(String s) throws BootException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int p = alloc(b.length + 1);
            System.arraycopy(b, 0, buf, p, b.length);
            return p;
        }

        long gpa(int off) {
            return BootLayout.MULTIBOOT_AREA + off;
        }
    }
}
