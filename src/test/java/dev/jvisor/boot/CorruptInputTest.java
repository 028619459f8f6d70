package dev.jvisor.boot;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncated and corrupted kernels and initrds must fail with a one-line BootException only. */
class CorruptInputTest {
    @TempDir
    Path dir;

    private final ArrayGuestMemory mem = new ArrayGuestMemory(48 << 20);

    private void tryLoad(byte[] kernel, byte[] initrd, String modules) throws Exception {
        Path k = dir.resolve("k");
        Files.write(k, kernel);
        String rd = modules;
        if (initrd != null) {
            Files.write(dir.resolve("rd"), initrd);
            rd = dir.resolve("rd").toString();
        }
        try {
            KernelLoader.load(mem, k, rd, "console=ttyS0");
        } catch (BootException e) {
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void truncatedAndFlippedBzImages() throws Exception {
        byte[] good = new SyntheticBzImage().build();
        for (int len = 0; len < good.length; len += 61) {
            tryLoad(Arrays.copyOf(good, len), null, null);
        }
        Random r = new Random(42);
        for (int i = 0; i < 600; i++) {
            byte[] b = good.clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                b[0x1F1 + r.nextInt(0x80)] = (byte) r.nextInt(256);
            }
            tryLoad(b, null, null);
        }
    }

    @Test
    void corruptElfAndMultibootHeaders() throws Exception {
        Path elf = Toolchain.assemble(dir, "mb.elf", MultibootLoaderTest.PRINTER, "-Ttext", "0x100000", "-e", "_start");
        Files.write(dir.resolve("m1"), new byte[] {1, 2, 3});
        byte[] good = Files.readAllBytes(elf);
        Random r = new Random(7);
        for (int i = 0; i < 600; i++) {
            byte[] b = good.clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int at = r.nextInt(4) == 0 ? 0x1000 + r.nextInt(12) : r.nextInt(0x100);
                b[at] = (byte) r.nextInt(256);
            }
            tryLoad(b, null, dir.resolve("m1") + " x");
        }
        for (int len = 0; len < good.length; len += 37) {
            tryLoad(Arrays.copyOf(good, len), null, null);
        }
    }

    @Test
    void corruptInitrds() throws Exception {
        byte[] k = new SyntheticBzImage().build();
        tryLoad(k, new byte[0], null);
        tryLoad(k, new byte[] {0x1F}, null);
        tryLoad(k, new byte[] {0, 0, 0, 0, 0x1F}, null);
        tryLoad(k, new byte[40 << 20], null);
        tryLoad(k, "garbage".getBytes(), null);
    }
}
