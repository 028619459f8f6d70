package dev.jvisor.vmm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Zero-filled host memory for guest RAM that becomes resident only where it is touched, as
 * QEMU's and KVM's guest RAM does: a private anonymous {@code mmap}, called through the JDK's
 * foreign-function API ({@link LinuxSyscall}). A Java {@code byte[]} (or {@link Arena#allocate}) is zeroed by the JVM
 * when it is created, which makes every page resident at once: a 256 MiB guest cost 256 MiB of
 * RSS at start although Linux, booted to a shell, uses a few tens of MiB of it. The mapping is
 * unmapped when the segment becomes unreachable (an automatic arena), so tests that create many
 * machines do not accumulate mappings.
 *
 * <p>Needs {@code --enable-native-access=ALL-UNNAMED} to run without the JDK's warning (the
 * launcher and the test runner pass it). Where the system call is not available (not Linux on
 * x86-64 or AArch64, where the flag values below hold), memory comes from an automatic arena:
 * zeroed and fully resident, but correct.
 */
public final class AnonymousMemory {
    private AnonymousMemory() { }

    // <sys/mman.h> on Linux x86-64 and AArch64 (generic values)
    private static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    private static final int MADV_HUGEPAGE = 14;

    /** Whether memory from {@link #allocate} is resident only once touched (false: the fallback). */
    public static boolean lazy() {
        return LinuxSyscall.available();
    }

    /** size bytes of zeroed, page-aligned host memory, resident only where touched (see the class comment). */
    public static MemorySegment allocate(long size) {
        if (LinuxSyscall.available()) {
            long base = LinuxSyscall.call(LinuxSyscall.MMAP, 0, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (base != -1L) { // MAP_FAILED is (void *) -1
                hugePages(base, size);
                return MemorySegment.ofAddress(base).reinterpret(size, Arena.ofAuto(), s -> unmap(s.address(), size));
            }
        }
        return Arena.ofAuto().allocate(size, 4096);
    }

    /**
     * Asks for transparent huge pages where the host offers them on request (THP "madvise" mode, Debian's
     * default): the guest's first touch of each 2 MiB then costs one page fault instead of 512, as the
     * guest's own page faults do with THP under KVM. Best effort: where the call fails, pages stay 4 KiB.
     */
    private static void hugePages(long base, long size) {
        if (Boolean.getBoolean("jvisor.noHugePages")) {
            return;
        }
        // no huge pages where this fails: 4 KiB pages work the same, with more page faults
        LinuxSyscall.call(LinuxSyscall.MADVISE, base, size, MADV_HUGEPAGE, 0, 0, 0);
    }

    private static void unmap(long base, long size) {
        // where this fails, the mapping stays until the process ends
        LinuxSyscall.call(LinuxSyscall.MUNMAP, base, size, 0, 0, 0, 0);
    }
}
