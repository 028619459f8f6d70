package dev.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void residentOnlyWhereTouched() throws IOException {
        assumeTrue(AnonymousMemory.lazy(), "no mmap on this platform");
        long before = rssKib();
        MemorySegment m = AnonymousMemory.allocate(256L << 20);
        for (long a = 0; a < (8 << 20); a += 4096) {
            m.set(ValueLayout.JAVA_BYTE, a, (byte) 1); // touch 8 MiB
        }
        long grown = rssKib() - before;
        assertTrue(grown >= 8 << 10, "touched pages are resident: +" + grown + " KiB");
        assertTrue(grown < 64 << 10, "untouched pages are not: +" + grown + " KiB");
        assertEquals(1, m.get(ValueLayout.JAVA_BYTE, (8 << 20) - 4096));
    }

    private static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS");
    }
}
