package dev.jvisor.vmm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Zero-filled host memory for guest RAM that becomes resident only where it is touched, as
 * QEMU's and KVM's guest RAM does: a private anonymous {@code mmap}, called through the JDK's
 * foreign-function API. A Java {@code byte[]} (or {@link Arena#allocate}) is zeroed by the JVM
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

    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            } catch (RuntimeException e) {
                mmap = munmap = madvise = null; // native access refused or libc not found: fall back
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    /** Whether memory from {@link #allocate} is resident only once touched (false: the fallback). */
    public static boolean lazy() {
        return MMAP != null;
    }

    /** size bytes of zeroed, page-aligned host memory, resident only where touched (see the class comment). */
    public static MemorySegment allocate(long size) {
        if (MMAP != null) {
            MemorySegment base;
            try {
                base = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            } catch (Throwable t) {
                throw new IllegalStateException("mmap failed", t);
            }
            if (base.address() != -1L) { // MAP_FAILED is (void *) -1
                hugePages(base, size);
                return base.reinterpret(size, Arena.ofAuto(), s -> unmap(s, size));
            }
        }
        return Arena.ofAuto().allocate(size, 4096);
    }

    /**
     * Asks for transparent huge pages where the host offers them on request (THP "madvise" mode, Debian's
     * default): the guest's first touch of each 2 MiB then costs one page fault instead of 512, as the
     * guest's own page faults do with THP under KVM. Best effort: where the call fails, pages stay 4 KiB.
     */
    private static void hugePages(MemorySegment base, long size) {
        if (Boolean.getBoolean("jvisor.noHugePages")) {
            return;
        }
        try {
            int unused = (int) MADVISE.invokeExact(base, size, MADV_HUGEPAGE);
        } catch (Throwable t) {
            // no huge pages: 4 KiB pages work the same, with more page faults
        }
    }

    private static void unmap(MemorySegment s, long size) {
        try {
            int unused = (int) MUNMAP.invokeExact(s, size);
        } catch (Throwable t) {
            // nothing to do: the mapping stays until the process ends
        }
    }
}
