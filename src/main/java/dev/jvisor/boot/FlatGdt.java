package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;

/**
 * The boot GDT at {@link BootLayout#GDT_BASE}: entry 0 null, entry 1 unused (null), entry 2
 * (selector 0x10) a flat 4 GiB 32-bit execute/read code segment, entry 3 (selector 0x18) a flat
 * 4 GiB 32-bit read/write data segment. These are the __BOOT_CS / __BOOT_DS selectors of the
 * Linux 32-bit boot protocol and satisfy the multiboot requirements. The accessed bits are
 * preset so that loading the selectors never writes to the table.
 */
public final class FlatGdt {
    private FlatGdt() {}

    public static final int CODE_SELECTOR = 0x10;
    public static final int DATA_SELECTOR = 0x18;
    public static final int ENTRIES = 4;
    public static final int LIMIT = ENTRIES * 8 - 1;

    /** Base 0, limit 0xFFFFF pages, G=1 D=1, present, DPL 0, code execute/read, accessed. */
    public static final long CODE_DESCRIPTOR = 0x00CF9B000000FFFFL;
    /** Base 0, limit 0xFFFFF pages, G=1 B=1, present, DPL 0, data read/write, accessed. */
    public static final long DATA_DESCRIPTOR = 0x00CF93000000FFFFL;

    /** Writes the table into guest memory. */
    public static void write(GuestMemory mem) throws BootException {
        int base = BootLayout.GDT_BASE;
        boolean ok = mem.write64(base, 0)
                && mem.write64(base + 8, 0)
                && mem.write64(base + CODE_SELECTOR, CODE_DESCRIPTOR)
                && mem.write64(base + DATA_SELECTOR, DATA_DESCRIPTOR);
        if (!ok) {
            throw new BootException("guest RAM: cannot write the boot GDT at 0x" + Integer.toHexString(base));
        }
    }

    /** The entry state with flat segments and this GDT; the caller supplies the registers. */
    public static BootEntry entry(int eip, int esp, int eax, int ebx, int esi) {
        return new BootEntry(eip, esp, eax, ebx, 0, 0, esi, 0, 0,
                BootLayout.GDT_BASE, LIMIT, CODE_SELECTOR, DATA_SELECTOR);
    }
}
