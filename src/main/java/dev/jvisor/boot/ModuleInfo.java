package dev.jvisor.boot;

import static dev.jvisor.boot.LittleEndian.u16;
import static dev.jvisor.boot.LittleEndian.u32;
import static dev.jvisor.boot.LittleEndian.u64;
import static dev.jvisor.boot.LittleEndian.u8;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code .modinfo} section of a Linux kernel module ({@code .ko}, a little-endian ELF
 * relocatable file): NUL-separated {@code key=value} strings, keys may repeat ({@code alias},
 * {@code parm}). The fields used here are {@code name}, {@code depends} (comma-separated
 * module names, empty for none - modpost writes it, so it is the module's hard dependencies)
 * and {@code vermagic}. Module names compare with '-' and '_' equal, as the kernel does.
 */
public record ModuleInfo(List<String> fields) {
    private static final int SHT_NOBITS = 8;

    public ModuleInfo {
        fields = List.copyOf(fields);
    }

    /** Parses the .modinfo section of the module file {@code ko}; {@code file} names it in errors. */
    public static ModuleInfo parse(byte[] ko, String file) throws BootException {
        if (!ElfImage.isElf(ko) || ko.length < 52) {
            throw new BootException(file + ": not an ELF kernel module");
        }
        int cls = u8(ko, 4);
        if ((cls != 1 && cls != 2) || u8(ko, 5) != 1) {
            throw new BootException(file + ": not a little-endian ELF kernel module");
        }
        boolean is64 = cls == 2;
        if (is64 && ko.length < 64) {
            throw new BootException(file + ": truncated ELF header");
        }
        long shoff = is64 ? u64(ko, 0x28) : u32(ko, 0x20);
        int shentsize = u16(ko, is64 ? 0x3A : 0x2E);
        int shnum = u16(ko, is64 ? 0x3C : 0x30);
        int shstrndx = u16(ko, is64 ? 0x3E : 0x32);
        if (shnum == 0 || shentsize < (is64 ? 64 : 40) || shstrndx >= shnum
                || shoff < 0 || shoff + (long) shnum * shentsize > ko.length) {
            throw new BootException(file + ": corrupt ELF section headers");
        }
        long[] names = section(ko, file, is64, (int) (shoff + (long) shstrndx * shentsize));
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            long nameOff = names[0] + u32(ko, sh);
            if (nameOff < names[0] + names[1] && ".modinfo".equals(cString(ko, nameOff))) {
                long[] s = section(ko, file, is64, sh);
                return new ModuleInfo(strings(ko, (int) s[0], (int) s[1]));
            }
        }
        throw new BootException(file + ": no .modinfo section (not a kernel module)");
    }

    /** A section's file offset and size, checked against the file. */
    private static long[] section(byte[] ko, String file, boolean is64, int sh) throws BootException {
        long type = u32(ko, sh + 4);
        long off = is64 ? u64(ko, sh + 24) : u32(ko, sh + 16);
        long size = is64 ? u64(ko, sh + 32) : u32(ko, sh + 20);
        if (type == SHT_NOBITS || off < 0 || size < 0 || off + size > ko.length) {
            throw new BootException(file + ": ELF section extends beyond the end of the file");
        }
        return new long[] {off, size};
    }

    private static String cString(byte[] b, long off) {
        int end = (int) off;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, (int) off, end - (int) off, StandardCharsets.ISO_8859_1);
    }

    /** The non-empty NUL-separated strings of a byte range (padding NULs are skipped). */
    static List<String> strings(byte[] b, int off, int len) {
        List<String> out = new ArrayList<>();
        int start = off;
        for (int i = off; i <= off + len; i++) {
            if (i == off + len || b[i] == 0) {
                if (i > start) {
                    out.add(new String(b, start, i - start, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        return out;
    }

    /** All values of a key, in section order. */
    public List<String> values(String key) {
        String prefix = key + "=";
        return fields.stream().filter(f -> f.startsWith(prefix)).map(f -> f.substring(prefix.length())).toList();
    }

    /** The first value of a key, or null. */
    public String value(String key) {
        List<String> v = values(key);
        return v.isEmpty() ? null : v.get(0);
    }

    /** The module's name ({@code name=}), or null for modules built without it. */
    public String name() {
        return value("name");
    }

    /** The hard dependencies ({@code depends=}), in the order modpost wrote them. */
    public List<String> depends() {
        String d = value("depends");
        if (d == null || d.isBlank()) {
            return List.of();
        }
        return Arrays.stream(d.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** The kernel version and flags the module was built for, or null. */
    public String vermagic() {
        return value("vermagic");
    }

    /** The key the kernel and kmod use for a module name: '-' and '_' are the same. */
    public static String key(String moduleName) {
        return moduleName.replace('-', '_');
    }
}
