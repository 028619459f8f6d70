package dev.jvisor.vmm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The few Linux system calls the VMM makes (mmap, munmap, madvise, prctl), through libc's
 * {@code syscall(2)} and one foreign-function downcall handle for all of them. Linking a downcall
 * costs 5-30 ms on a JVM that has just started (measured for mmap, munmap and madvise, each with a
 * handle of its own: 30-50 ms before the guest's first instruction); one handle costs that once.
 * The numbers are Linux's for x86-64 and for AArch64 (the generic table); elsewhere, or when native
 * access is refused, {@link #available} is false and callers fall back.
 */
final class LinuxSyscall {
    private LinuxSyscall() { }

    /** System call numbers on this host: x86-64 ({@code arch/x86/entry/syscalls/syscall_64.tbl}) or AArch64. */
    static final long MMAP, MUNMAP, MADVISE, PRCTL;

    private static final MethodHandle SYSCALL;

    static {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        boolean a64 = arch.equals("aarch64");
        MMAP = x64 ? 9 : 222;
        MUNMAP = x64 ? 11 : 215;
        MADVISE = x64 ? 28 : 233;
        PRCTL = x64 ? 157 : 167;
        MethodHandle h = null;
        if (os.startsWith("linux") && (x64 || a64)) {
            try {
                Linker linker = Linker.nativeLinker();
                // long syscall(long number, ...): six arguments after the number, unused ones ignored by the kernel
                ValueLayout l = ValueLayout.JAVA_LONG;
                h = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                        FunctionDescriptor.of(l, l, l, l, l, l, l, l), Linker.Option.firstVariadicArg(1));
            } catch (RuntimeException e) {
                h = null; // native access refused or no syscall(2)
            }
        }
        SYSCALL = h;
    }

    static boolean available() {
        return SYSCALL != null;
    }

    /** The system call's result as libc's syscall(2) returns it (-1 on failure), or -1 if unavailable. */
    static long call(long number, long a, long b, long c, long d, long e, long f) {
        if (SYSCALL == null) {
            return -1;
        }
        try {
            return (long) SYSCALL.invokeExact(number, a, b, c, d, e, f);
        } catch (Throwable t) {
            return -1;
        }
    }
}
