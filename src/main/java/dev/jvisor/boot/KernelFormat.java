package dev.jvisor.boot;

/** The kinds of kernel image jvisor boots. */
public enum KernelFormat {
    /** Linux bzImage with a setup header ("HdrS"), 32-bit boot protocol. */
    BZIMAGE,
    /** Multiboot v1 kernel (ELF or a.out kludge). */
    MULTIBOOT,
    /** Uncompressed ELF32 Linux vmlinux without a multiboot header. */
    ELF_VMLINUX;

    /**
     * Decides the format as QEMU does: a "HdrS" setup header means Linux; otherwise a multiboot
     * header wins; otherwise an ELF file is taken for a vmlinux (checked when loaded).
     */
    public static KernelFormat detect(byte[] image, String name) throws BootException {
        if (SetupHeader.isBzImage(image)) {
            return BZIMAGE;
        }
        if (MultibootHeader.isMultiboot(image)) {
            return MULTIBOOT;
        }
        if (ElfImage.isElf(image)) {
            return ELF_VMLINUX;
        }
        throw new BootException(name + ": not a bzImage, multiboot or ELF kernel");
    }
}
