package dev.jvisor.boot;

import static dev.jvisor.boot.LinuxLoaderTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultibootLoaderTest {
    private static final int RAM = 32 << 20;

    /**
     * A multiboot ELF kernel that prints its command line and its module strings to COM1, one per
     * line, then exits QEMU through isa-debug-exit.
     */
    static final String PRINTER = """
            .code32
            .text
            .globl _start
            .align 4
            mbh: .long 0x1BADB002, 0x3, -(0x1BADB002 + 0x3)
            _start:
                mov $stack_top, %esp
                mov %ebx, %esi
                mov 16(%esi), %eax
                call puts
                mov 20(%esi), %ecx
                mov 24(%esi), %edi
            1:  test %ecx, %ecx
                jz 2f
                mov 8(%edi), %eax
                call puts
                add $16, %edi
                dec %ecx
                jmp 1b
            2:  mov $0, %al
                out %al, $0xf4
                cli
                hlt
            puts:
                push %esi
                mov %eax, %esi
            3:  lodsb
                test %al, %al
                jz 4f
                call putc
                jmp 3b
            4:  mov $10, %al
                call putc
                pop %esi
                ret
            putc:
                push %edx
                push %eax
                mov $0x3fd, %dx
            5:  in %dx, %al
                test $0x20, %al
                jz 5b
                pop %eax
                mov $0x3f8, %dx
                out %al, %dx
                pop %edx
                ret
            .bss
            .space 8192
            stack_top:
            """;

    static final String AOUT = """
            .code32
            .text
            .globl _start
            _start:
            hdr:
                .long 0x1BADB002
                .long 0x00010003
                .long -(0x1BADB002 + 0x00010003)
                .long hdr
                .long _start
                .long _edata
                .long _end
                .long entry
            entry:
                cli
                hlt
            .data
                .long 0x12345678
            """;

    static final String AOUT_LDS = """
            SECTIONS {
              . = 0x200000;
              .text : { *(.text) }
              .data : { *(.data) }
              _edata = .;
              .bss : { *(.bss) . = . + 0x3000; }
              _end = .;
            }
            """;

    @TempDir
    Path dir;

    @Test
    void parsesModuleListLikeQemu() throws Exception {
        List<MultibootModule> m = MultibootModules.parse("a.bin arg1,b.bin");
        assertEquals(2, m.size());
        assertEquals(Path.of("a.bin"), m.get(0).file());
        assertEquals("a.bin arg1", m.get(0).string());
        assertEquals(Path.of("b.bin"), m.get(1).file());
        assertEquals("b.bin", m.get(1).string());

        List<MultibootModule> esc = MultibootModules.parse("x.bin a,,b c");
        assertEquals(1, esc.size());
        assertEquals("x.bin a,b c", esc.get(0).string());
        assertEquals(List.of(), MultibootModules.parse(null));
        assertMessage("multiboot module list \"a,\": empty module file name", () -> MultibootModules.parse("a,"));
    }

    @Test
    void loadsElfKernelWithModulesAndInfo() throws Exception {
        Path k = Toolchain.assemble(dir, "k.elf", PRINTER, "-Ttext", "0x100000", "-e", "_start");
        byte[] a = "module-a-contents".getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[5000];
        Arrays.fill(b, (byte) 0xB5);
        Files.write(dir.resolve("a.bin"), a);
        Files.write(dir.resolve("b.bin"), b);
        String mods = dir.resolve("a.bin") + " arg1 arg2," + dir.resolve("b.bin");
        assertEquals(KernelFormat.MULTIBOOT, KernelLoader.detect(k));

        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        BootEntry e = KernelLoader.load(mem, k, mods, "hello world");

        assertEquals(0x2BADB002, e.eax());
        assertEquals(BootLayout.MULTIBOOT_AREA, e.ebx());
        assertEquals(0x10, e.codeSelector());
        assertEquals(0x18, e.dataSelector());
        assertTrue(e.eip() > 0x100000 && e.eip() < 0x101000);
        assertEquals(0xBADB002, mem.read32(e.eip() - 12) & 0xFFFFFFF, "the header precedes _start");

        int info = e.ebx();
        int flags = mem.read32(info);
        assertEquals(1 | 4 | 8 | 64 | 512, flags);
        assertEquals(639, mem.read32(info + 4));
        assertEquals((RAM >> 10) - 1024, mem.read32(info + 8));
        assertEquals(k + " hello world", mem.cString(mem.read32(info + 16)));
        assertEquals("jvisor", mem.cString(mem.read32(info + 64)));

        assertEquals(2, mem.read32(info + 20));
        int mod = mem.read32(info + 24);
        int aStart = mem.read32(mod);
        int aEnd = mem.read32(mod + 4);
        assertEquals(dir.resolve("a.bin") + " arg1 arg2", mem.cString(mem.read32(mod + 8)));
        assertEquals(0, aStart & 0xFFF);
        assertTrue(aStart >= 0x100000 + 8192, "module after the kernel's bss");
        assertEquals(a.length, aEnd - aStart);
        assertArrayEquals(a, Arrays.copyOfRange(mem.ram, aStart, aEnd));
        int bStart = mem.read32(mod + 16);
        assertEquals((aEnd + 0xFFF) & ~0xFFF, bStart);
        assertEquals(b.length, mem.read32(mod + 20) - bStart);
        assertEquals(dir.resolve("b.bin").toString(), mem.cString(mem.read32(mod + 24)));

        int mmapLen = mem.read32(info + 44);
        int mmap = mem.read32(info + 48);
        assertEquals(4 * 24, mmapLen);
        long[][] want = {{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2}, {0x100000, RAM - 0x100000, 1}};
        for (int i = 0; i < 4; i++) {
            int p = mmap + 24 * i;
            assertEquals(20, mem.read32(p));
            assertEquals(want[i][0], mem.read64(p + 4));
            assertEquals(want[i][1], mem.read64(p + 12));
            assertEquals(want[i][2], mem.read32(p + 20));
        }
    }

    @Test
    void loadsAoutKludgeImage() throws Exception {
        Files.writeString(dir.resolve("aout.lds"), AOUT_LDS);
        Path k = Toolchain.assemble(dir, "aout.bin", AOUT, "-T", "aout.lds", "--oformat", "binary");
        byte[] img = Files.readAllBytes(k);
        assertEquals(32 + 2 + 4, img.length);
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        Arrays.fill(mem.ram, 0x200000, 0x204000, (byte) 0xEE);

        BootEntry e = KernelLoader.load(mem, k, null, null);

        assertEquals(0x200020, e.eip());
        assertEquals(0xFA, mem.read8(0x200020), "cli at the entry");
        assertEquals(0x12345678, mem.read32(0x200022));
        assertEquals(0, mem.read32(0x200026), "bss zeroed");
        assertEquals(0, mem.read8(0x200026 + 0x2FFF), "bss zeroed to its end");
        assertEquals(0xEE, mem.read8(0x200026 + 0x3000) & 0xFF, "nothing written past bss_end_addr");
        assertEquals(k.toString(), mem.cString(mem.read32(e.ebx() + 16)));
        assertEquals(0, mem.read32(e.ebx() + 20));
    }

    @Test
    void rejectsBrokenMultibootImages() throws Exception {
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        Files.writeString(dir.resolve("aout.lds"), AOUT_LDS);
        Path k = Toolchain.assemble(dir, "aout.bin", AOUT, "-T", "aout.lds", "--oformat", "binary");
        byte[] img = Files.readAllBytes(k);

        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(img, 34));
        assertMessage(cut + ": truncated multiboot image", () -> KernelLoader.load(mem, cut, null, null));

        byte[] badsum = img.clone();
        badsum[8] ^= 1;
        Path bs = dir.resolve("badsum.bin");
        Files.write(bs, badsum);
        assertMessage(bs + ": not a bzImage, multiboot or ELF kernel", () -> KernelLoader.load(mem, bs, null, null));

        Path elf = Toolchain.assemble(dir, "k.elf", PRINTER, "-Ttext", "0x100000", "-e", "_start");
        Path missing = dir.resolve("missing.bin");
        assertMessage(missing + ": no such file", () -> KernelLoader.load(mem, elf, missing + " x", null));

        byte[] elfBytes = Files.readAllBytes(elf);
        Path cutElf = dir.resolve("cut.elf");
        Files.write(cutElf, Arrays.copyOf(elfBytes, 0x1010));
        assertMessage(cutElf + ": truncated ELF file", () -> KernelLoader.load(mem, cutElf, null, null));

        ArrayGuestMemory tiny = new ArrayGuestMemory(1 << 20);
        assertMessage("guest RAM: 1048576 bytes is too small", () -> KernelLoader.load(tiny, elf, null, null));
    }

    /** QEMU as the oracle: the strings its multiboot loader passes must equal ours. */
    @Test
    void qemuPassesTheSameStrings() throws Exception {
        Toolchain.require("qemu-system-i386");
        Path k = Toolchain.assemble(dir, "k.elf", PRINTER, "-Ttext", "0x100000", "-e", "_start");
        Files.write(dir.resolve("a.bin"), new byte[] {1, 2, 3});
        Files.write(dir.resolve("b.bin"), new byte[] {4});
        String mods = "a.bin arg1 x,,y,b.bin";
        Process p = new ProcessBuilder("qemu-system-i386", "-kernel", "k.elf", "-initrd", mods, "-append", "hello world",
                "-m", "32", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("qemu did not exit");
        }
        String qemu = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1).replace("\r", "");

        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        Path cwdRelative = dir.resolve("k.elf");
        BootEntry e = MultibootLoader.load(mem, Path.of("k.elf"), Files.readAllBytes(cwdRelative),
                mods.replace("a.bin", dir.resolve("a.bin").toString()).replace("b.bin", dir.resolve("b.bin").toString()),
                "hello world");
        StringBuilder ours = new StringBuilder(mem.cString(mem.read32(e.ebx() + 16))).append('\n');
        int mod = mem.read32(e.ebx() + 24);
        for (int i = 0; i < mem.read32(e.ebx() + 20); i++) {
            ours.append(mem.cString(mem.read32(mod + 16 * i + 8)).replace(dir + "/", "")).append('\n');
        }
        assertEquals(ours.toString(), qemu.substring(Math.max(0, qemu.indexOf("k.elf"))));
    }
}
