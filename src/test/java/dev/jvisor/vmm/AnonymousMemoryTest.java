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
        MemorySegment m = AnonymousMemory.allocate(256L << 20);
        assertTrue(residentKib(m) < 1 << 10, "nothing resident before it is touched");
        for (long a = 0; a < (8 << 20); a += 4096) {
            m.set(ValueLayout.JAVA_BYTE, a, (byte) 1); // touch 8 MiB
        }
        // the mapping's own resident size (/proc/self/smaps), not the process's RSS, which the
        // collector and the JIT move by more than a page at any time
        long resident = residentKib(m);
        assertTrue(resident >= 8 << 10, "touched pages are resident: " + resident + " KiB");
        assertTrue(resident < 16 << 10, "untouched pages are not: " + resident + " KiB");
        assertEquals(1, m.get(ValueLayout.JAVA_BYTE, (8 << 20) - 4096));
    }

    /**
     * Rss of the mapping that holds the segment's first byte, from /proc/self/smaps (the kernel may
     * have merged it with a neighbouring anonymous mapping, whose few resident pages then count too).
     */
    private static long residentKib(MemorySegment m) throws IOException {
        long at = m.address();
        boolean in = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            java.util.regex.Matcher r = java.util.regex.Pattern.compile("^([0-9a-f]+)-([0-9a-f]+) ").matcher(line);
            if (r.find()) {
                in = Long.parseUnsignedLong(r.group(1), 16) <= at && at < Long.parseUnsignedLong(r.group(2), 16);
            } else if (in && line.startsWith("Rss:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no mapping holds 0x" + Long.toHexString(at) + " in /proc/self/smaps");
    }
}
