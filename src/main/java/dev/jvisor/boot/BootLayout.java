package dev.jvisor.boot;

/**
 * Fixed guest-physical addresses the loaders use. The loader's own data lives in
 * [0x5000, 0x20800) of conventional memory: Linux copies the zero page and the command line out
 * before it touches low memory (and reserves the first 64 KiB, CONFIG_X86_RESERVE_LOW); a
 * multiboot kernel must treat the info area as loader data until it has read it. Kernel
 * segments that overlap this area are refused.
 *
 * <pre>
 * 0x00000-0x004FF  left alone (real-mode IVT / BIOS data area)
 * 0x05000-0x0501F  GDT: null, unused, 0x10 flat code, 0x18 flat data      (page 0x5000 reserved)
 * 0x06000-0x06FFF  boot stack, ESP = 0x7000 at entry (neither protocol requires one)
 * 0x07000-0x07FFF  Linux zero page (struct boot_params), ESI at entry
 * 0x08000-0x08FFF  Linux setup_data: the RNG seed ({@link RngSeed})
 * 0x09000-0x1FFFF  multiboot info area: info struct, memory map, module list, strings
 * 0x20000-0x207FF  Linux command line (NUL-terminated; the kernel copies 2 KiB from here)
 * 0x9FC00-0x9FFFF  reserved in the e820 map (EBDA), 0xF0000-0xFFFFF reserved (BIOS)
 * 0x100000-        kernel: bzImage protected-mode part at code32_start (1 MiB), vmlinux and
 *                  multiboot images at their physical load addresses
 * ...              Linux initrd: page-aligned, as high as possible below
 *                  min(initrd_addr_max, RAM end, {@link #LOWMEM_LIMIT}); multiboot modules:
 *                  page-aligned, one after the other above the kernel
 * </pre>
 */
public final class BootLayout {
    private BootLayout() {}

    public static final int GDT_BASE = 0x5000;
    public static final int STACK_TOP = 0x7000;
    public static final int ZERO_PAGE = 0x7000;
    public static final int SETUP_DATA = 0x8000;
    public static final int MULTIBOOT_AREA = 0x9000;
    public static final int MULTIBOOT_AREA_END = 0x20000;
    public static final int CMDLINE = 0x20000;
    /** Bytes the 32-bit kernel copies from cmd_line_ptr (COMMAND_LINE_SIZE). */
    public static final int CMDLINE_AREA = 0x800;
    public static final long KERNEL_LOAD = 0x100000;
    /** [LOADER_DATA, LOADER_DATA_END): GDT, stack, zero page, multiboot area, command line. */
    public static final long LOADER_DATA = GDT_BASE;
    public static final long LOADER_DATA_END = CMDLINE + CMDLINE_AREA;

    /** True if [base, end) overlaps the loader's own data area. */
    public static boolean overlapsLoaderData(long base, long end) {
        return base < LOADER_DATA_END && end > LOADER_DATA;
    }

    /** Start of the EBDA hole and of the BIOS ROM hole in the memory map. */
    public static final long EBDA = 0x9FC00;
    public static final long BIOS_ROM = 0xF0000;
    public static final long HIGH_MEMORY = 0x100000;

    /**
     * Highest end address for a Linux initrd: the i386 3G/1G kernel maps about 887-891 MiB of
     * lowmem directly (nominally 896 MiB minus the fixmap); we stay safely below that.
     */
    public static final long LOWMEM_LIMIT = 0x37000000L;

    /** Largest RAM size the boot memory map supports (everything is below the 3 GiB PCI hole). */
    public static final long MAX_RAM = 3L << 30;
    /** Smallest RAM size the loaders accept. */
    public static final long MIN_RAM = 2L << 20;
}
