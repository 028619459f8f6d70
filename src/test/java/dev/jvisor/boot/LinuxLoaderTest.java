package dev.jvisor.boot;

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

class LinuxLoaderTest {
    private static final int RAM = 64 << 20;

    @TempDir
    Path dir;

    private Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    private static byte[] cpio() {
        byte[] b = new byte[1000];
        System.arraycopy("070701".getBytes(), 0, b, 0, 6);
        return b;
    }

    @Test
    void loadsBzImageAndBuildsZeroPage() throws Exception {
        SyntheticBzImage s = new SyntheticBzImage();
        byte[] img = s.build();
        Path k = write("bzImage", img);
        Path rd = write("initrd", cpio());
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);

        BootEntry e = LinuxLoader.load(mem, k, rd, "console=ttyS0 quiet");

        assertEquals(0x100000, e.eip());
        assertEquals(BootLayout.ZERO_PAGE, e.esi());
        assertEquals(0, e.ebx());
        assertEquals(0, e.ebp());
        assertEquals(0, e.edi());
        assertEquals(0x10, e.codeSelector());
        assertEquals(0x18, e.dataSelector());
        assertEquals(BootLayout.GDT_BASE, e.gdtBase());
        assertEquals(0x1F, e.gdtLimit());
        assertEquals(0x00CF9B000000FFFFL, mem.read64(BootLayout.GDT_BASE + 0x10));
        assertEquals(0x00CF93000000FFFFL, mem.read64(BootLayout.GDT_BASE + 0x18));

        int zp = BootLayout.ZERO_PAGE;
        // setup header copied: boot flag, HdrS, version
        assertEquals(0xAA55, mem.read16(zp + 0x1FE));
        assertEquals(0x53726448, mem.read32(zp + 0x202));
        assertEquals(0x020F, mem.read16(zp + 0x206));
        assertEquals(4, mem.read8(zp + 0x1F1));
        assertEquals(0xFF, mem.read8(zp + 0x210));
        assertEquals(0x81, mem.read8(zp + 0x211));
        assertEquals(0xFE00, mem.read16(zp + 0x224));
        assertEquals(BootLayout.CMDLINE, mem.read32(zp + 0x228));
        assertEquals("console=ttyS0 quiet", mem.cString(BootLayout.CMDLINE));
        assertEquals(0, mem.read8(zp + 0x0F), "orig_video_isVGA");
        assertEquals(0xFC00, mem.read16(zp + 0x002), "ext_mem_k is capped at 63 MiB");
        assertEquals((RAM - 0x100000) >> 10, mem.read32(zp + 0x1E0));

        // e820
        assertEquals(4, mem.read8(zp + 0x1E8));
        long[][] want = {{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2}, {0x100000, RAM - 0x100000, 1}};
        for (int i = 0; i < 4; i++) {
            int off = zp + 0x2D0 + 20 * i;
            assertEquals(want[i][0], mem.read64(off));
            assertEquals(want[i][1], mem.read64(off + 8));
            assertEquals(want[i][2], mem.read32(off + 16));
        }

        // kernel at 1 MiB
        byte[] pm = Arrays.copyOfRange(img, 5 * 512, img.length);
        assertArrayEquals(pm, Arrays.copyOfRange(mem.ram, 0x100000, 0x100000 + pm.length));

        // initrd page-aligned at the top of RAM
        long rdAddr = mem.read32(zp + 0x218) & 0xFFFFFFFFL;
        assertEquals(1000, mem.read32(zp + 0x21C));
        assertEquals(0, rdAddr & 0xFFF);
        assertEquals((RAM - 1000) & ~0xFFF, rdAddr);
        assertEquals('0', mem.read8(rdAddr));
    }

    @Test
    void initrdStaysBelowInitrdAddrMaxAndAboveInitSize() throws Exception {
        SyntheticBzImage s = new SyntheticBzImage();
        s.relocatable = true;
        s.prefAddress = 0x1000000;
        s.initSize = 0x800000;
        s.initrdAddrMax = 0x1FFFFFF; // 32 MiB - 1
        Path k = write("bzImage", s.build());
        Path rd = write("initrd", cpio());
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        LinuxLoader.load(mem, k, rd, "");
        long rdAddr = mem.read32(BootLayout.ZERO_PAGE + 0x218) & 0xFFFFFFFFL;
        assertEquals((0x2000000 - 1000) & ~0xFFF, rdAddr);
        assertEquals(0x1800000, LinuxLoader.runtimeStart(SetupHeader.parse(s.build(), "k")) + 0x800000);

        // Not enough room between the runtime image end (24 MiB) and the limit
        s.initrdAddrMax = 0x17FFFFF;
        Path k2 = write("bzImage2", s.build());
        BootException ex = assertThrows(BootException.class, () -> LinuxLoader.load(mem, k2, rd, ""));
        assertTrue(ex.getMessage().startsWith(rd + ": initrd of 1 KiB does not fit"), ex.getMessage());
    }

    @Test
    void setupSectsZeroMeansFour() throws Exception {
        SyntheticBzImage s = new SyntheticBzImage();
        s.setupSects = 4;
        byte[] img = s.build();
        img[0x1F1] = 0;
        SetupHeader h = SetupHeader.parse(img, "k");
        assertEquals(5 * 512, h.setupSize());
        assertEquals("6.1.0-test (jvisor) #1", h.kernelVersion());
        assertEquals(255, h.cmdlineSize());
    }

    @Test
    void rejectsBadImages() throws Exception {
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        byte[] good = new SyntheticBzImage().build();

        Path truncated = write("truncated", Arrays.copyOf(good, good.length - 100));
        assertMessage(truncated + ": truncated bzImage", () -> KernelLoader.load(mem, truncated, null, ""));

        Path tiny = write("tiny", Arrays.copyOf(good, 0x300));
        assertMessage(tiny + ": truncated bzImage", () -> KernelLoader.load(mem, tiny, null, ""));

        byte[] badMagic = good.clone();
        badMagic[0x202] = 'X';
        Path bm = write("badmagic", badMagic);
        assertMessage(bm + ": not a bzImage, multiboot or ELF kernel", () -> KernelLoader.load(mem, bm, null, ""));
        assertMessage(bm + ": not a Linux bzImage", () -> LinuxLoader.load(mem, bm, (Path) null, ""));

        SyntheticBzImage old = new SyntheticBzImage();
        old.version = 0x0205;
        Path o = write("old", old.build());
        assertMessage(o + ": boot protocol 2.05 is too old", () -> KernelLoader.load(mem, o, null, ""));

        Path text = write("notes.txt", "hello, I am not a kernel\n".getBytes());
        assertMessage(text + ": not a bzImage, multiboot or ELF kernel", () -> KernelLoader.load(mem, text, null, ""));

        Path missing = dir.resolve("nope");
        assertMessage(missing + ": no such file", () -> KernelLoader.load(mem, missing, null, ""));
        assertMessage(dir + ": is a directory", () -> KernelLoader.load(mem, dir, null, ""));
    }

    @Test
    void rejectsBadInitrdAndCommandLine() throws Exception {
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        Path k = write("bzImage", new SyntheticBzImage().build());

        Path empty = write("empty.img", new byte[0]);
        assertMessage(empty + ": initrd is empty", () -> KernelLoader.load(mem, k, empty.toString(), ""));
        Path junk = write("junk.img", "#!/bin/sh\necho hi\n".getBytes());
        assertMessage(junk + ": not an initramfs", () -> KernelLoader.load(mem, k, junk.toString(), ""));
        Path missing = dir.resolve("missing.img");
        assertMessage(missing + ": no such file", () -> KernelLoader.load(mem, k, missing.toString(), ""));

        String longLine = "x".repeat(256);
        assertMessage(k + ": kernel command line is 256 bytes, the kernel accepts at most 255",
                () -> KernelLoader.load(mem, k, null, longLine));
        KernelLoader.load(mem, k, null, "x".repeat(255));
        assertEquals(255, mem.cString(BootLayout.CMDLINE).length());

        ArrayGuestMemory small = new ArrayGuestMemory(4 << 20);
        SyntheticBzImage big = new SyntheticBzImage();
        big.initSize = 8 << 20;
        Path bk = write("big", big.build());
        assertMessage(bk + ": kernel needs 9 MiB of RAM to start, guest has 4 MiB",
                () -> KernelLoader.load(small, bk, null, ""));
    }

    @Test
    void gzipInitrdAndZeroPaddingAccepted() throws Exception {
        InitrdImage.check(new byte[] {0x1F, (byte) 0x8B, 8, 0}, "a");
        byte[] padded = new byte[16];
        System.arraycopy("070701".getBytes(), 0, padded, 8, 6);
        InitrdImage.check(padded, "b");
        assertThrows(BootException.class, () -> InitrdImage.check(new byte[64], "zeros"));
    }

    @Test
    void messagesAreOneLine() {
        BootException e = new BootException("a: first\nsecond");
        assertFalse(e.getMessage().contains("\n"));
    }

    static void assertMessage(String prefix, org.junit.jupiter.api.function.Executable ex) {
        BootException e = assertThrows(BootException.class, ex);
        assertTrue(e.getMessage().startsWith(prefix), "expected '" + prefix + "' but got '" + e.getMessage() + "'");
        assertFalse(e.getMessage().contains("\n"));
    }
}
