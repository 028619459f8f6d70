package dev.jvisor.boot;

import java.util.List;

/**
 * The physical memory map both loaders report (Linux zero page e820 table, multiboot mmap):
 * RAM [0, 0x9FC00), reserved [0x9FC00, 0xA0000) (EBDA), reserved [0xF0000, 0x100000) (BIOS),
 * RAM [0x100000, ramSize). The VGA window 0xA0000-0xEFFFF is simply absent.
 */
public final class E820Map {
    private E820Map() {}

    /** Checks that the RAM size is one the loaders support. */
    public static void checkRamSize(long ramSize) throws BootException {
        if (ramSize < BootLayout.MIN_RAM) {
            throw new BootException("guest RAM: " + ramSize + " bytes is too small to boot (need at least 2 MiB)");
        }
        if (ramSize > BootLayout.MAX_RAM) {
            throw new BootException("guest RAM: " + (ramSize >> 20) + " MiB exceeds the 3 GiB the boot loaders support");
        }
    }

    public static List<E820Entry> standard(long ramSize) throws BootException {
        checkRamSize(ramSize);
        return List.of(
                new E820Entry(0, BootLayout.EBDA, E820Entry.RAM),
                new E820Entry(BootLayout.EBDA, 0xA0000 - BootLayout.EBDA, E820Entry.RESERVED),
                new E820Entry(BootLayout.BIOS_ROM, BootLayout.HIGH_MEMORY - BootLayout.BIOS_ROM, E820Entry.RESERVED),
                new E820Entry(BootLayout.HIGH_MEMORY, ramSize - BootLayout.HIGH_MEMORY, E820Entry.RAM));
    }
}
