package dev.jvisor.boot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A minimal kernel module file for tests: a little-endian ELF relocatable (32- or 64-bit) with a
 * .text section, a .modinfo section holding the given key=value strings (NUL-separated, with
 * padding NULs as modpost's alignment leaves them) and the section name table.
 */
final class SyntheticModule {
    private SyntheticModule() {}

    static byte[] ko(List<String> modinfo) {
        return ko(modinfo, false);
    }

    static byte[] ko(List<String> modinfo, boolean is64) {
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        for (String f : modinfo) {
            info.writeBytes(f.getBytes(StandardCharsets.UTF_8));
            info.write(0);
            info.write(0); // padding
        }
        byte[] modinfoData = info.toByteArray();
        byte[] text = {(byte) 0xC3, 0, 0, 0};
        byte[] shstrtab = "\0.text\0.modinfo\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII);
        int ehsize = is64 ? 64 : 52;
        int shentsize = is64 ? 64 : 40;
        int textOff = ehsize;
        int infoOff = textOff + text.length;
        int strOff = infoOff + modinfoData.length;
        int shoff = (strOff + shstrtab.length + 7) & ~7;
        byte[] f = new byte[shoff + 4 * shentsize];
        f[0] = 0x7F;
        f[1] = 'E';
        f[2] = 'L';
        f[3] = 'F';
        f[4] = (byte) (is64 ? 2 : 1);
        f[5] = 1;
        f[6] = 1;
        LittleEndian.put16(f, 16, 1); // ET_REL
        LittleEndian.put16(f, 18, is64 ? 62 : 3);
        LittleEndian.put32(f, 20, 1);
        if (is64) {
            LittleEndian.put64(f, 0x28, shoff);
            LittleEndian.put16(f, 0x34, ehsize);
            LittleEndian.put16(f, 0x3A, shentsize);
            LittleEndian.put16(f, 0x3C, 4);
            LittleEndian.put16(f, 0x3E, 3);
        } else {
            LittleEndian.put32(f, 0x20, shoff);
            LittleEndian.put16(f, 0x28, ehsize);
            LittleEndian.put16(f, 0x2E, shentsize);
            LittleEndian.put16(f, 0x30, 4);
            LittleEndian.put16(f, 0x32, 3);
        }
        System.arraycopy(text, 0, f, textOff, text.length);
        System.arraycopy(modinfoData, 0, f, infoOff, modinfoData.length);
        System.arraycopy(shstrtab, 0, f, strOff, shstrtab.length);
        section(f, shoff + shentsize, is64, 1, 1, textOff, text.length);
        section(f, shoff + 2 * shentsize, is64, 7, 1, infoOff, modinfoData.length);
        section(f, shoff + 3 * shentsize, is64, 16, 3, strOff, shstrtab.length);
        return f;
    }

    private static void section(byte[] f, int sh, boolean is64, int name, int type, int off, int size) {
        LittleEndian.put32(f, sh, name);
        LittleEndian.put32(f, sh + 4, type);
        if (is64) {
            LittleEndian.put64(f, sh + 24, off);
            LittleEndian.put64(f, sh + 32, size);
        } else {
            LittleEndian.put32(f, sh + 16, off);
            LittleEndian.put32(f, sh + 20, size);
        }
    }

    /** A module as modpost would describe it: name, depends, vermagic for the given kernel. */
    static byte[] module(String name, String depends, String version) {
        return ko(List.of("license=GPL", "alias=pci:v00001AF4d*", "depends=" + depends, "retpoline=Y", "intree=Y",
                "name=" + name.replace('-', '_'), "vermagic=" + version + " SMP preempt mod_unload modversions 686"));
    }
}
