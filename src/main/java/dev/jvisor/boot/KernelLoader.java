package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;
import java.nio.file.Path;

/**
 * Entry point for the machine and the CLI: detects the kernel format and loads it with the
 * matching loader, as QEMU's {@code -kernel/-initrd/-append} do.
 */
public final class KernelLoader {
    private KernelLoader() {}

    /** Detects the format of a kernel file. */
    public static KernelFormat detect(Path kernel) throws BootException {
        return KernelFormat.detect(HostFiles.read(kernel), kernel.toString());
    }

    /**
     * Loads {@code kernel} into {@code mem} and returns the entry state.
     *
     * @param initrd for Linux the path of one initrd; for multiboot a module list in QEMU syntax
     *     ("file1 arg1 arg2,file2"); may be null
     * @param cmdline the kernel command line; may be null
     */
    public static BootEntry load(GuestMemory mem, Path kernel, String initrd, String cmdline) throws BootException {
        return load(mem, kernel, initrd, cmdline, false);
    }

    /** As {@link #load(GuestMemory, Path, String, String)}; {@code guestDecompress}: a bzImage unpacks itself in the guest. */
    public static BootEntry load(GuestMemory mem, Path kernel, String initrd, String cmdline, boolean guestDecompress)
            throws BootException {
        byte[] image = HostFiles.read(kernel);
        return switch (KernelFormat.detect(image, kernel.toString())) {
            case MULTIBOOT -> MultibootLoader.load(mem, kernel, image, initrd, cmdline);
            case BZIMAGE, ELF_VMLINUX -> {
                Path rd = initrdPath(initrd);
                byte[] rdImage = rd == null ? null : HostFiles.read(rd);
                yield LinuxLoader.load(mem, kernel, image, rdImage, rd == null ? null : rd.toString(), cmdline,
                        guestDecompress);
            }
        };
    }

    /** Loads a Linux kernel with an initramfs built in memory (e.g. by {@link DefaultGuest}). */
    public static BootEntry loadLinux(GuestMemory mem, Path kernel, byte[] initramfs, String cmdline)
            throws BootException {
        return LinuxLoader.load(mem, kernel, initramfs, cmdline);
    }

    private static Path initrdPath(String initrd) throws BootException {
        if (initrd == null || initrd.isEmpty()) {
            return null;
        }
        try {
            return Path.of(initrd);
        } catch (RuntimeException e) {
            throw new BootException(initrd + ": invalid initrd file name");
        }
    }
}
