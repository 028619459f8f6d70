package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Loads a Linux kernel for the 32-bit boot protocol (boot.rst, "32-bit boot protocol"): a
 * bzImage (protocol 2.06 or later) or an uncompressed ELF vmlinux, an optional initrd and a
 * command line; writes the boot GDT, the zero page and the e820 map; returns the entry state
 * (EIP = code32_start or the vmlinux physical entry, ESI = zero page, EBX = EBP = EDI = 0).
 * See {@link BootLayout} for the addresses used. By default a bzImage's compressed vmlinux is
 * unpacked on the host ({@link CompressedVmlinux}); {@code guestDecompress} runs the kernel's
 * own decompressor in the guest instead, as a PC bootloader does.
 */
public final class LinuxLoader {
    private LinuxLoader() {}

    /** Loads a bzImage or an ELF vmlinux; {@code initrd} may be null. */
    public static BootEntry load(GuestMemory mem, Path kernel, Path initrd, String cmdline) throws BootException {
        byte[] initrdImage = initrd == null ? null : HostFiles.read(initrd);
        return load(mem, kernel, HostFiles.read(kernel), initrdImage, initrd == null ? null : initrd.toString(), cmdline);
    }

    /** Loads a kernel file with an initrd already in memory (e.g. a generated initramfs); may be null. */
    public static BootEntry load(GuestMemory mem, Path kernel, byte[] initrd, String cmdline) throws BootException {
        return load(mem, kernel, HostFiles.read(kernel), initrd, "initrd", cmdline);
    }

    /** As {@link #load(GuestMemory, Path, byte[], String)}, choosing where a bzImage is decompressed. */
    public static BootEntry load(GuestMemory mem, Path kernel, byte[] initrd, String cmdline, boolean guestDecompress)
            throws BootException {
        return load(mem, kernel, HostFiles.read(kernel), initrd, "initrd", cmdline, guestDecompress);
    }

    static BootEntry load(GuestMemory mem, Path kernelPath, byte[] kernel, byte[] initrd, String initrdName,
            String cmdline) throws BootException {
        return load(mem, kernelPath, kernel, initrd, initrdName, cmdline, false);
    }

    static BootEntry load(GuestMemory mem, Path kernelPath, byte[] kernel, byte[] initrd, String initrdName,
            String cmdline, boolean guestDecompress) throws BootException {
        String name = kernelPath.toString();
        if (SetupHeader.isBzImage(kernel)) {
            if (!guestDecompress) {
                SetupHeader hdr = SetupHeader.parse(kernel, name);
                CompressedVmlinux vmlinux = CompressedVmlinux.open(kernel, hdr, kernelPath, name);
                if (vmlinux != null) {
                    return loadUnpacked(mem, name, hdr, kernel.length, vmlinux, initrd, initrdName, cmdline);
                }
            }
            return loadBzImage(mem, name, kernel, initrd, initrdName, cmdline);
        }
        if (ElfImage.isElf(kernel)) {
            return loadVmlinux(mem, name, kernel, initrd, initrdName, cmdline);
        }
        throw new BootException(name + ": not a Linux bzImage or ELF vmlinux");
    }

    private static BootEntry loadBzImage(GuestMemory mem, String name, byte[] kernel, byte[] initrd,
            String initrdName, String cmdline) throws BootException {
        SetupHeader hdr = SetupHeader.parse(kernel, name);
        long ram = mem.size();
        List<E820Entry> map = E820Map.standard(ram);
        int setupSize = hdr.setupSize();
        long load = hdr.code32Start();
        long pmSize = kernel.length - setupSize;
        long kernelEnd = Math.max(load + pmSize, runtimeStart(hdr) + initSize(hdr, pmSize));
        requireRam(ram, kernelEnd, name);
        byte[] cmd = commandLine(cmdline, hdr.cmdlineSize(), name);
        long[] rd = placeInitrd(initrd, initrdName, kernelEnd, ram, hdr.initrdAddrMax());

        FlatGdt.write(mem);
        writeBootData(mem, hdr, map, ram, cmd, rd, name);
        GuestCopy.write(mem, load, kernel, setupSize, (int) pmSize, name);
        if (initrd != null) {
            GuestCopy.write(mem, rd[0], initrd, 0, initrd.length, initrdName);
        }
        return FlatGdt.entry((int) load, BootLayout.STACK_TOP, 0, 0, BootLayout.ZERO_PAGE);
    }

    /** A bzImage whose vmlinux the host unpacks: the bzImage's own header in the zero page, entry at startup_32. */
    private static BootEntry loadUnpacked(GuestMemory mem, String name, SetupHeader hdr, long fileLength,
            CompressedVmlinux vmlinux, byte[] initrd, String initrdName, String cmdline) throws BootException {
        long ram = mem.size();
        List<E820Entry> map = E820Map.standard(ram);
        long kernelEnd = Math.max(vmlinux.physicalEnd(),
                runtimeStart(hdr) + initSize(hdr, fileLength - hdr.setupSize()));
        requireRam(ram, kernelEnd, name);
        byte[] cmd = commandLine(cmdline, hdr.cmdlineSize(), name);
        long[] rd = placeInitrd(initrd, initrdName, kernelEnd, ram, hdr.initrdAddrMax());
        long entry = vmlinux.entry();

        FlatGdt.write(mem);
        writeBootData(mem, hdr, map, ram, cmd, rd, name);
        vmlinux.load(mem);
        if (initrd != null) {
            GuestCopy.write(mem, rd[0], initrd, 0, initrd.length, initrdName);
        }
        return FlatGdt.entry((int) entry, BootLayout.STACK_TOP, 0, 0, BootLayout.ZERO_PAGE);
    }

    private static BootEntry loadVmlinux(GuestMemory mem, String name, byte[] kernel, byte[] initrd,
            String initrdName, String cmdline) throws BootException {
        ElfImage elf = ElfImage.parse(kernel, name);
        String banner = VmlinuxBanner.find(kernel);
        if (banner == null) {
            throw new BootException(name + ": ELF file is neither a Linux vmlinux nor a multiboot kernel");
        }
        long entry = elf.physicalEntry(name);
        SetupHeader hdr = SetupHeader.forVmlinux(entry, banner);
        long ram = mem.size();
        List<E820Entry> map = E820Map.standard(ram);
        long kernelEnd = elf.physicalEnd();
        requireRam(ram, kernelEnd, name);
        byte[] cmd = commandLine(cmdline, hdr.cmdlineSize(), name);
        long[] rd = placeInitrd(initrd, initrdName, kernelEnd, ram, hdr.initrdAddrMax());

        FlatGdt.write(mem);
        writeBootData(mem, hdr, map, ram, cmd, rd, name);
        elf.load(mem, kernel, name);
        if (initrd != null) {
            GuestCopy.write(mem, rd[0], initrd, 0, initrd.length, initrdName);
        }
        return FlatGdt.entry((int) entry, BootLayout.STACK_TOP, 0, 0, BootLayout.ZERO_PAGE);
    }

    /**
     * Where the kernel runs before it has read the memory map: a relocatable kernel moves itself
     * to its load address aligned to kernel_alignment, but never below pref_address (the 6.1
     * decompressor clamps to LOAD_PHYSICAL_ADDR); a fixed one runs at pref_address.
     */
    static long runtimeStart(SetupHeader hdr) {
        long load = hdr.code32Start();
        if (hdr.relocatable() && hdr.kernelAlignment() > 0) {
            long a = hdr.kernelAlignment();
            long aligned = (load + a - 1) / a * a;
            return Math.max(aligned, hdr.prefAddress());
        }
        return hdr.prefAddress();
    }

    /** init_size, or (before protocol 2.10, which lacks it) an assumed 4x the compressed size. */
    static long initSize(SetupHeader hdr, long pmSize) {
        return hdr.initSize() != 0 ? hdr.initSize() : 4 * pmSize;
    }

    private static void requireRam(long ram, long kernelEnd, String name) throws BootException {
        if (kernelEnd > ram) {
            throw new BootException(String.format("%s: kernel needs %d MiB of RAM to start, guest has %d MiB",
                    name, (kernelEnd + 0xFFFFF) >> 20, ram >> 20));
        }
    }

    /** The command line bytes with the terminating NUL, refused if longer than cmdline_size. */
    static byte[] commandLine(String cmdline, long cmdlineSize, String name) throws BootException {
        String s = cmdline == null ? "" : cmdline;
        if (s.indexOf('\0') >= 0) {
            throw new BootException(name + ": kernel command line contains a NUL character");
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        long max = Math.min(cmdlineSize, BootLayout.CMDLINE_AREA - 1);
        if (b.length > max) {
            throw new BootException(String.format(
                    "%s: kernel command line is %d bytes, the kernel accepts at most %d", name, b.length, max));
        }
        return Arrays.copyOf(b, b.length + 1);
    }

    /** {address, size} of the initrd, or {0, 0} without one. */
    private static long[] placeInitrd(byte[] initrd, String initrdName, long kernelEnd, long ram, long initrdAddrMax)
            throws BootException {
        if (initrd == null) {
            return new long[] {0, 0};
        }
        InitrdImage.check(initrd, initrdName);
        return new long[] {InitrdImage.place(initrd.length, kernelEnd, ram, initrdAddrMax, initrdName), initrd.length};
    }

    private static void writeBootData(GuestMemory mem, SetupHeader hdr, List<E820Entry> map, long ram, byte[] cmd,
            long[] rd, String name) throws BootException {
        byte[] zp = ZeroPage.build(hdr, map, ram, BootLayout.CMDLINE, rd[0], rd[1]);
        GuestCopy.write(mem, BootLayout.ZERO_PAGE, zp, 0, zp.length, name);
        byte[] area = Arrays.copyOf(cmd, BootLayout.CMDLINE_AREA);
        GuestCopy.write(mem, BootLayout.CMDLINE, area, 0, area.length, name);
    }
}
