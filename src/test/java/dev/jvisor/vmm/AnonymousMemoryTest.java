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

    /**
     * Resident pages of the segment, by mincore(2): exact for this range, unlike the process's RSS
     * (moved by the collector and the JIT) or /proc/self/smaps (the kernel merges neighbouring
     * anonymous mappings into one entry).
     */
    private static long residentPages(MemorySegment m) throws Throwable {
        java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
        java.lang.invoke.MethodHandle mincore = linker.downcallHandle(
                linker.defaultLookup().find("mincore").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS));
        long pages = m.byteSize() / 4096;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(pages);
            assertEquals(0, (int) mincore.invokeExact(m, m.byteSize(), vec), "mincore");
            long n = 0;
            for (long i = 0; i < pages; i++) {
                n += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
            }
            return n;
        }
    }
}
