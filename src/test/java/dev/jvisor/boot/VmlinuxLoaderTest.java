package dev.jvisor.boot;

import static dev.jvisor.boot.LinuxLoaderTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ELF vmlinux loading with a miniature kernel linked like arch/x86/kernel/vmlinux.lds.S. */
class VmlinuxLoaderTest {
    static final String SOURCE = """
            .code32
            .text
            .globl startup_32
            startup_32:
                cli
                hlt
            .data
            marker:
                .long 0xCAFEBABE
            linux_banner:
                .ascii "Linux version 6.1.0-fake (test@jvisor) #1 SMP\\n\\0"
            .bss
                .space 0x2000
            """;

    /** Virtual 0xC1000000, physical 16 MiB: the i386 3G/1G layout with LOAD_PHYSICAL_ADDR 16 MiB. */
    static String script(String entry) {
        return """
                ENTRY(%s)
                SECTIONS {
                  . = 0xC1000000;
                  .text : AT(ADDR(.text) - 0xC0000000) { *(.text) }
                  . = ALIGN(0x1000);
                  .data : AT(ADDR(.data) - 0xC0000000) { *(.data) }
                  .bss : AT(ADDR(.bss) - 0xC0000000) { *(.bss) }
                  _end = .;
                  phys_startup_32 = ABSOLUTE(startup_32 - 0xC0000000);
                }
                """.formatted(entry);
    }

    @TempDir
    Path dir;

    private Path link(String name, String entry) throws Exception {
        Files.writeString(dir.resolve(name + ".lds"), script(entry));
        return Toolchain.assemble(dir, name, SOURCE, "-T", name + ".lds");
    }

    @Test
    void loadsVmlinuxAtPhysicalAddresses() throws Exception {
        Path k = link("vmlinux", "phys_startup_32");
        assertEquals(KernelFormat.ELF_VMLINUX, KernelLoader.detect(k));
        Files.write(dir.resolve("rd"), "070701".getBytes());
        ArrayGuestMemory mem = new ArrayGuestMemory(64 << 20);
        java.util.Arrays.fill(mem.ram, 0x1001000, 0x1004000, (byte) 0x55);

        BootEntry e = KernelLoader.load(mem, k, dir.resolve("rd").toString(), "root=/dev/ram0");

        assertEquals(0x1000000, e.eip());
        assertEquals(BootLayout.ZERO_PAGE, e.esi());
        assertEquals(0xFA, mem.read8(0x1000000), "cli at the physical entry");
        int zp = BootLayout.ZERO_PAGE;
        assertEquals(0x53726448, mem.read32(zp + 0x202));
        assertEquals(0x0206, mem.read16(zp + 0x206));
        assertEquals(0x1000000, mem.read32(zp + 0x214));
        assertEquals(0xFF, mem.read8(zp + 0x210));
        assertEquals(0x81, mem.read8(zp + 0x211));
        assertEquals(2047, mem.read32(zp + 0x238));
        assertEquals(4, mem.read8(zp + 0x1E8));
        assertEquals("root=/dev/ram0", mem.cString(mem.read32(zp + 0x228)));
        assertEquals(0xCAFEBABE, mem.read32(0x1001000));
        assertTrue(mem.cString(0x1001004).startsWith("Linux version 6.1.0-fake"));
        long rd = mem.read32(zp + 0x218) & 0xFFFFFFFFL;
        assertEquals((64 << 20) - 4096, rd);

        // bss zeroed through the end of the image
        for (int a = 0x1001040; a < 0x1003000; a += 4) {
            assertEquals(0, mem.read32(a), "bss at 0x" + Integer.toHexString(a));
        }
    }

    @Test
    void virtualEntryIsTranslatedToPhysical() throws Exception {
        Path k = link("vmlinux-virt", "startup_32");
        ArrayGuestMemory mem = new ArrayGuestMemory(64 << 20);
        BootEntry e = KernelLoader.load(mem, k, null, null);
        assertEquals(0x1000000, e.eip());
    }

    @Test
    void rejectsElfFilesThatAreNotKernels() throws Exception {
        String plain = """
                .text
                .globl _start
                _start: hlt
                """;
        Path notKernel = Toolchain.assemble(dir, "plain.elf", plain, "-Ttext", "0x200000", "-e", "_start");
        ArrayGuestMemory mem = new ArrayGuestMemory(64 << 20);
        assertMessage(notKernel + ": ELF file is neither a Linux vmlinux nor a multiboot kernel",
                () -> KernelLoader.load(mem, notKernel, null, null));

        byte[] elf64 = new byte[64];
        elf64[0] = 0x7F;
        elf64[1] = 'E';
        elf64[2] = 'L';
        elf64[3] = 'F';
        elf64[4] = 2;
        elf64[5] = 1;
        Path k64 = dir.resolve("vmlinux64");
        Files.write(k64, elf64);
        assertMessage(k64 + ": 64-bit ELF kernels are not supported", () -> KernelLoader.load(mem, k64, null, null));

        Path tiny = dir.resolve("tiny.elf");
        Files.write(tiny, new byte[] {0x7F, 'E', 'L', 'F', 1});
        assertMessage(tiny + ": truncated ELF header", () -> KernelLoader.load(mem, tiny, null, null));

        ArrayGuestMemory small = new ArrayGuestMemory(8 << 20);
        Path k = link("vmlinux", "phys_startup_32");
        assertMessage(k + ": kernel needs 17 MiB of RAM to start, guest has 8 MiB",
                () -> KernelLoader.load(small, k, null, null));
    }
}
