package dev.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class AnonymousMemoryTest {
    @Test
    void zeroedReadableWritable() {
        MemorySegment m = AnonymousMemory.allocate(1 << 20);
        assertEquals(1 << 20, m.byteSize());
        assertEquals(0, m.address() & 0xfff, "page aligned");
        for (long a = 0; a < m.byteSize(); a += 4093) {
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, a));
        }
        m.set(ValueLayout.JAVA_INT, 4096, 0x12345678);
        assertEquals(0x12345678, m.get(ValueLayout.JAVA_INT, 4096));
    }

    /** The point of the class: 256 MiB of guest RAM costs resident memory only where it is touched. */
    @Test
    void residentOnlyWhereTouched() throws Throwable {
        assumeTrue(AnonymousMemory.lazy(), "no mmap on this platform");
        MemorySegment m = AnonymousMemory.allocate(256L << 20);
        assertEquals(0, residentPages(m), "nothing resident before it is touched");
        for (long a = 0; a < (8 << 20); a += 4096) {
            m.set(ValueLayout.JAVA_BYTE, a, (byte) 1); // touch 8 MiB
        }
        long resident = residentPages(m);
        // transparent huge pages may round the touched range out to 2 MiB boundaries
        assertTrue(resident >= 2048 && resident <= 2048 + 1024, "the 2048 touched pages are resident: " + resident);
        assertEquals(1, m.get(ValueLayout.JAVA_BYTE, (8 << 20) - 4096));
    }

    /** Guest RAM asks for transparent huge pages (madvise), where the host offers them on request or always. */
    @Test
    void askedForHugePages() throws Exception {
        assumeTrue(AnonymousMemory.lazy(), "no mmap on this platform");
        java.nio.file.Path thp = java.nio.file.Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        assumeTrue(java.nio.file.Files.isReadable(thp) && !java.nio.file.Files.readString(thp).contains("[never]"),
                "transparent huge pages are off on this host");
        MemorySegment m = AnonymousMemory.allocate(64L << 20);
        assertEquals("1", smapsField(m.address(), "THPeligible"), "THPeligible of the mapping");
    }

    /** The system calls themselves: a mapping made, used and unmapped (mincore then fails with ENOMEM). */
    @Test
    void mapsAndUnmaps() throws Throwable {
        assumeTrue(LinuxSyscall.available(), "no syscall(2) on this platform");
        long size = 1 << 20;
        long base = LinuxSyscall.call(LinuxSyscall.MMAP, 0, size, 3, 0x22, -1, 0);
        assertTrue(base != -1 && (base & 0xfff) == 0, "mmap: " + base);
        MemorySegment m = MemorySegment.ofAddress(base).reinterpret(size);
        m.set(ValueLayout.JAVA_LONG, 8, 42);
        assertEquals(1, residentPages(m));
        assertEquals(0, LinuxSyscall.call(LinuxSyscall.MUNMAP, base, size, 0, 0, 0, 0), "munmap");
        assertEquals(-1, mincore(m), "mincore after munmap");
    }

    /** A field of the /proc/self/smaps entry of the mapping that holds address. */
    private static String smapsField(long address, String field) throws java.io.IOException {
        boolean inside = false;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long lo = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long hi = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = address >= lo && address < hi;
            } else if (inside && line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        return null;
    }

    /**
     * Resident pages of the segment, by mincore(2): exact for this range, unlike the process's RSS
     * (moved by the collector and the JIT) or /proc/self/smaps (the kernel merges neighbouring
     * anonymous mappings into one entry).
     */
    private static long residentPages(MemorySegment m) throws Throwable {
        long pages = m.byteSize() / 4096;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(pages);
            assertEquals(0, mincore(m, vec), "mincore");
            long n = 0;
            for (long i = 0; i < pages; i++) {
                n += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
            }
            return n;
        }
    }

    private static int mincore(MemorySegment m) throws Throwable {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            return mincore(m, arena.allocate(m.byteSize() / 4096));
        }
    }

    private static int mincore(MemorySegment m, MemorySegment vec) throws Throwable {
        java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
        java.lang.invoke.MethodHandle mincore = linker.downcallHandle(
                linker.defaultLookup().find("mincore").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS));
        return (int) mincore.invokeExact(m, m.byteSize(), vec);
    }
}
