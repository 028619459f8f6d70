package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a multiboot (version 1) kernel: with the a.out kludge (header flags bit 16) from the
 * header's address fields, otherwise from its ELF32 PT_LOAD segments. Modules (QEMU
 * {@code -initrd} syntax, see {@link MultibootModules}) go page-aligned after the kernel. The
 * kernel's command line is "KERNEL-PATH CMDLINE" as QEMU and GRUB pass it. Entry: EAX =
 * 0x2BADB002, EBX = info structure, flat CS/DS as for Linux.
 */
public final class MultibootLoader {
    private MultibootLoader() {}

    public static final int BOOTLOADER_MAGIC = 0x2BADB002;

    /** Loads {@code kernel}; {@code modules} (QEMU syntax) and {@code cmdline} may be null. */
    public static BootEntry load(GuestMemory mem, Path kernel, String modules, String cmdline) throws BootException {
        return load(mem, kernel, HostFiles.read(kernel), modules, cmdline);
    }

    static BootEntry load(GuestMemory mem, Path kernelPath, byte[] image, String modules, String cmdline)
            throws BootException {
        String name = kernelPath.toString();
        MultibootHeader hdr = MultibootHeader.parse(image, name);
        long ram = mem.size();
        List<E820Entry> map = E820Map.standard(ram);

        long entry;
        long kernelEnd;
        ElfImage elf = null;
        long aoutOffset = 0;
        long aoutLoadSize = 0;
        if (hdr.aoutKludge()) {
            if (hdr.headerAddr() < hdr.loadAddr() || hdr.headerAddr() - hdr.loadAddr() > hdr.offset()) {
                throw new BootException(String.format(
                        "%s: multiboot header_addr 0x%x and load_addr 0x%x disagree with the header offset %d",
                        name, hdr.headerAddr(), hdr.loadAddr(), hdr.offset()));
            }
            aoutOffset = hdr.offset() - (hdr.headerAddr() - hdr.loadAddr());
            long available = image.length - aoutOffset;
            if (hdr.loadEndAddr() == 0) {
                aoutLoadSize = available;
            } else if (hdr.loadEndAddr() < hdr.loadAddr()) {
                throw new BootException(name + ": multiboot load_end_addr lies below load_addr");
            } else {
                aoutLoadSize = hdr.loadEndAddr() - hdr.loadAddr();
                if (aoutLoadSize > available) {
                    throw new BootException(String.format(
                            "%s: truncated multiboot image (needs %d bytes from offset %d, has %d)",
                            name, aoutLoadSize, aoutOffset, available));
                }
            }
            long loadEnd = hdr.loadAddr() + aoutLoadSize;
            if (hdr.bssEndAddr() != 0 && hdr.bssEndAddr() < loadEnd) {
                throw new BootException(name + ": multiboot bss_end_addr lies below the end of the loaded image");
            }
            kernelEnd = Math.max(loadEnd, hdr.bssEndAddr());
            entry = hdr.entryAddr();
            if (BootLayout.overlapsLoaderData(hdr.loadAddr(), kernelEnd)) {
                throw new BootException(String.format(
                        "%s: multiboot image [0x%x, 0x%x) overlaps the loader's data area [0x%x, 0x%x)", name,
                        hdr.loadAddr(), kernelEnd, BootLayout.LOADER_DATA, BootLayout.LOADER_DATA_END));
            }
            if (entry < hdr.loadAddr() || entry >= kernelEnd) {
                throw new BootException(String.format("%s: multiboot entry_addr 0x%x lies outside the image", name, entry));
            }
        } else {
            elf = ElfImage.parse(image, name);
            entry = elf.physicalEntry(name);
            kernelEnd = elf.physicalEnd();
        }
        if (kernelEnd > ram) {
            throw new BootException(String.format("%s: kernel ends at 0x%x, beyond guest RAM (%d MiB)",
                    name, kernelEnd, ram >> 20));
        }

        List<MultibootInfo.Placed> placed = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        long next = align(kernelEnd);
        for (MultibootModule m : MultibootModules.parse(modules)) {
            byte[] data = HostFiles.read(m.file());
            long end = next + data.length;
            if (end > ram) {
                throw new BootException(String.format("%s: module does not fit in guest RAM (needs up to 0x%x, RAM is %d MiB)",
                        m.file(), end, ram >> 20));
            }
            placed.add(new MultibootInfo.Placed(next, end, m.string()));
            contents.add(data);
            next = align(end);
        }
        String kcmd = cmdline == null || cmdline.isEmpty() ? name : name + " " + cmdline;
        byte[] info = MultibootInfo.build(ram, map, kcmd, placed);

        FlatGdt.write(mem);
        GuestCopy.write(mem, BootLayout.MULTIBOOT_AREA, info, 0, info.length, name);
        if (elf != null) {
            elf.load(mem, image, name);
        } else {
            GuestCopy.write(mem, hdr.loadAddr(), image, (int) aoutOffset, (int) aoutLoadSize, name);
            GuestCopy.zero(mem, hdr.loadAddr() + aoutLoadSize, kernelEnd - hdr.loadAddr() - aoutLoadSize, name);
        }
        for (int i = 0; i < placed.size(); i++) {
            MultibootInfo.Placed p = placed.get(i);
            GuestCopy.write(mem, p.start(), contents.get(i), 0, contents.get(i).length, p.string());
        }
        return FlatGdt.entry((int) entry, BootLayout.STACK_TOP, BOOTLOADER_MAGIC, BootLayout.MULTIBOOT_AREA, 0);
    }

    private static long align(long a) {
        return (a + 0xFFF) & ~0xFFFL;
    }
}
