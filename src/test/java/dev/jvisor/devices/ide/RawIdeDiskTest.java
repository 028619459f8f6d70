package dev.jvisor.devices.ide;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawIdeDiskTest {
    @TempDir
    Path dir;

    @Test
    void sizeReadWriteFlush() throws IOException {
        Path p = IdeRig.image(dir, "a.img", 8, 1);
        Files.write(p, new byte[100], java.nio.file.StandardOpenOption.APPEND); // partial sector ignored
        try (RawIdeDisk d = RawIdeDisk.open(p, false)) {
            assertEquals(8, d.sectors());
            assertFalse(d.readOnly());
            byte[] buf = new byte[1024];
            Arrays.fill(buf, (byte) 0x5C);
            d.write(6, buf, 0, 2);
            d.flush();
            byte[] back = new byte[1024 + 4];
            d.read(6, back, 4, 2);
            assertArrayEquals(buf, Arrays.copyOfRange(back, 4, 1028));
            assertThrows(IOException.class, () -> d.read(7, back, 0, 2));
            assertThrows(IOException.class, () -> d.read(-1, back, 0, 1));
            assertThrows(IOException.class, () -> d.read(0, back, 1000, 1));
        }
        assertEquals((byte) 0x5C, Files.readAllBytes(p)[6 * 512]);
    }

    @Test
    void writableImageIsLockedAgainstASecondOpen() throws IOException {
        Path p = IdeRig.image(dir, "b.img", 4, 1);
        try (RawIdeDisk d = RawIdeDisk.open(p, false)) {
            IOException e = assertThrows(IOException.class, () -> RawIdeDisk.open(p, false));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("in use"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            assertThrows(IOException.class, () -> RawIdeDisk.open(p, true));
            assertEquals(4, d.sectors());
        }
        RawIdeDisk.open(p, false).close(); // released on close
    }

    @Test
    void readOnlyImagesShareAndRefuseWrites() throws IOException {
        Path p = IdeRig.image(dir, "c.img", 4, 1);
        try (RawIdeDisk a = RawIdeDisk.open(p, true); RawIdeDisk b = RawIdeDisk.open(p, true)) {
            assertTrue(a.readOnly());
            assertThrows(IOException.class, () -> b.write(0, new byte[512], 0, 1));
            a.flush();
        }
    }

    @Test
    void oneLineErrorsNameTheFile() throws IOException {
        Path missing = dir.resolve("missing.img");
        IOException e = assertThrows(IOException.class, () -> RawIdeDisk.open(missing, false));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Path tiny = dir.resolve("tiny.img");
        Files.write(tiny, new byte[100]);
        e = assertThrows(IOException.class, () -> RawIdeDisk.open(tiny, false));
        assertTrue(e.getMessage().contains("tiny.img"), e.getMessage());
    }
}
