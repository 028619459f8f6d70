package dev.jvisor.boot;

import static dev.jvisor.boot.LinuxLoaderTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.FilterOptions;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.X86Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

/** A bzImage whose payload is a compressed ELF vmlinux is unpacked on the host and entered at startup_32. */
class CompressedVmlinuxTest {
    @TempDir
    Path dir;

    private byte[] vmlinux() throws Exception {
        Files.writeString(dir.resolve("v.lds"), VmlinuxLoaderTest.script("phys_startup_32"));
        return Files.readAllBytes(Toolchain.assemble(dir, "v", VmlinuxLoaderTest.SOURCE, "-T", "v.lds"));
    }

    /** As the kernel build compresses it (scripts/xz_wrap.sh: CRC32 check, x86 BCJ filter, LZMA2). */
    static byte[] xz(byte[] data) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (XZOutputStream xz = new XZOutputStream(bos,
                new FilterOptions[] {new X86Options(), new LZMA2Options()}, XZ.CHECK_CRC32)) {
            xz.write(data);
        }
        return bos.toByteArray();
    }

    static byte[] gzip(byte[] data) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        }
        return bos.toByteArray();
    }

    private Path bzImage(byte[] payload, long size) throws Exception {
        SyntheticBzImage s = new SyntheticBzImage();
        s.payload = payload;
        s.payloadSize = size;
        s.relocatable = true;
        s.kernelAlignment = 0x1000000;
        s.prefAddress = 0x1000000;
        s.initSize = 0x100000;
        Path p = dir.resolve("bzImage");
        Files.write(p, s.build());
        return p;
    }

    private void assertUnpacked(Path k) throws Exception {
        ArrayGuestMemory mem = new ArrayGuestMemory(64 << 20);
        java.util.Arrays.fill(mem.ram, 0x1001000, 0x1004000, (byte) 0x55);
        BootEntry e = KernelLoader.load(mem, k, null, "quiet");
        assertEquals(0x1000000, e.eip(), "entered at the vmlinux's startup_32, not the decompressor");
        assertEquals(BootLayout.ZERO_PAGE, e.esi());
        assertEquals(0xFA, mem.read8(0x1000000), "cli at startup_32");
        assertEquals(0xCAFEBABE, mem.read32(0x1001000), ".data in place");
        assertTrue(mem.cString(0x1001004).startsWith("Linux version 6.1.0-fake"));
        for (int a = 0x1001040; a < 0x1003000; a += 4) {
            assertEquals(0, mem.read32(a), "bss zeroed at 0x" + Integer.toHexString(a));
        }
        int zp = BootLayout.ZERO_PAGE;
        assertEquals(0x020F, mem.read16(zp + 0x206), "the bzImage's own setup header is in the zero page");
        assertEquals("quiet", mem.cString(mem.read32(zp + 0x228)));
    }

    @Test
    void xzPayloadIsUnpackedOnTheHost() throws Exception {
        byte[] v = vmlinux();
        assertUnpacked(bzImage(xz(v), v.length));
    }

    @Test
    void gzipPayloadIsUnpackedOnTheHost() throws Exception {
        byte[] v = vmlinux();
        assertUnpacked(bzImage(gzip(v), v.length));
    }

    @Test
    void guestDecompressEntersTheBzImage() throws Exception {
        byte[] v = vmlinux();
        Path k = bzImage(xz(v), v.length);
        ArrayGuestMemory mem = new ArrayGuestMemory(64 << 20);
        BootEntry e = KernelLoader.load(mem, k, null, "", true);
        assertEquals(0x100000, e.eip(), "code32_start: the kernel's own decompressor");
    }

    @Test
    void unknownCompressorIsLeftToTheGuest() throws Exception {
        Path k = bzImage(new byte[] {0x5D, 0, 0, (byte) 0x80, 0, 1, 2, 3, 4, 5, 6, 7}, 4096); // LZMA-alone header
        ArrayGuestMemory mem = new ArrayGuestMemory(64 << 20);
        assertEquals(0x100000, KernelLoader.load(mem, k, null, "").eip());
    }

    @Test
    void kernelThatWouldNeedRelocatingIsLeftToTheGuest() throws Exception {
        byte[] v = vmlinux();
        SyntheticBzImage s = new SyntheticBzImage();
        s.payload = xz(v);
        s.payloadSize = v.length;
        s.prefAddress = 0x1000000;
        s.relocatable = false; // runs at pref_address = its link address: unpackable
        Path k = dir.resolve("fixed");
        Files.write(k, s.build());
        assertEquals(0x1000000, KernelLoader.load(new ArrayGuestMemory(64 << 20), k, null, "").eip());
        s.prefAddress = 0x2000000; // vmlinux linked at 16 MiB, kernel says it runs at 32 MiB: needs its relocs
        Files.write(k, s.build());
        assertEquals(0x100000, KernelLoader.load(new ArrayGuestMemory(64 << 20), k, null, "").eip());
    }

    @Test
    void corruptPayloadIsOneClearError() throws Exception {
        byte[] v = vmlinux();
        byte[] x = xz(v);
        for (int i = 40; i < x.length - 20; i++) {
            x[i] ^= 0x5A;
        }
        Path k = bzImage(x, v.length);
        assertMessage(k + ": corrupt compressed kernel",
                () -> KernelLoader.load(new ArrayGuestMemory(64 << 20), k, null, ""));
    }

    /** Loads through {@link CompressedVmlinux} with the given cache; returns guest memory. */
    private ArrayGuestMemory loadWith(Path k, UnpackedKernelCache cache) throws Exception {
        byte[] image = Files.readAllBytes(k);
        SetupHeader hdr = SetupHeader.parse(image, k.toString());
        CompressedVmlinux v = CompressedVmlinux.open(image, hdr, k, k.toString(), cache);
        ArrayGuestMemory mem = new ArrayGuestMemory(64 << 20);
        v.load(mem);
        return mem;
    }

    private static String payloadKey(Path k) throws Exception {
        byte[] image = Files.readAllBytes(k);
        SetupHeader hdr = SetupHeader.parse(image, k.toString());
        return UnpackedKernelCache.key(k, image, (int) (hdr.setupSize() + hdr.payloadOffset()), (int) hdr.payloadLength());
    }

    @Test
    void unpackedFileIsCachedAndReused() throws Exception {
        byte[] v = vmlinux();
        Path k = bzImage(xz(v), v.length);
        UnpackedKernelCache cache = new UnpackedKernelCache(dir.resolve("cache"));
        assertEquals(0xCAFEBABE, loadWith(k, cache).read32(0x1001000));
        Path entry = cache.entry(payloadKey(k));
        org.junit.jupiter.api.Assertions.assertArrayEquals(v, Files.readAllBytes(entry), "the entry is the whole vmlinux");

        // prove the second boot reads the entry, not the payload: mark .data in the entry
        byte[] marked = v.clone();
        int at = indexOf(marked, new byte[] {(byte) 0xBE, (byte) 0xBA, (byte) 0xFE, (byte) 0xCA});
        marked[at] = 0x11;
        Files.write(entry, marked);
        assertEquals(0xCAFEBA11, loadWith(k, cache).read32(0x1001000));

        // the same bytes in another file are that file's own entry: one file never gets another's
        Path other = dir.resolve("bzImage.copy");
        Files.copy(k, other);
        assertEquals(0xCAFEBABE, loadWith(other, cache).read32(0x1001000));
    }

    @Test
    void entryOfTheWrongSizeIsReplaced() throws Exception {
        byte[] v = vmlinux();
        Path k = bzImage(gzip(v), v.length);
        UnpackedKernelCache cache = new UnpackedKernelCache(dir.resolve("cache"));
        Path entry = cache.entry(payloadKey(k));
        Files.createDirectories(entry.getParent());
        Files.write(entry, java.util.Arrays.copyOf(v, v.length / 2)); // e.g. a disk that filled up
        assertEquals(0xCAFEBABE, loadWith(k, cache).read32(0x1001000));
        org.junit.jupiter.api.Assertions.assertArrayEquals(v, Files.readAllBytes(entry));
    }

    @Test
    void corruptPayloadLeavesNoEntry() throws Exception {
        byte[] v = vmlinux();
        byte[] x = xz(v);
        for (int i = x.length / 2; i < x.length - 20; i++) {
            x[i] ^= 0x5A;
        }
        Path k = bzImage(x, v.length);
        Path cacheDir = dir.resolve("cache");
        UnpackedKernelCache cache = new UnpackedKernelCache(cacheDir);
        try {
            loadWith(k, cache);
        } catch (BootException expected) {
            // the corruption may hit a loaded segment or only the tail
        }
        try (var files = Files.list(cacheDir)) {
            assertEquals(0, files.count(), "no entry and no temporary file");
        }
    }

    @Test
    void cacheKeepsTheMostRecentEntries() throws Exception {
        Path cacheDir = dir.resolve("cache");
        Files.createDirectories(cacheDir);
        UnpackedKernelCache cache = new UnpackedKernelCache(cacheDir);
        for (int i = 0; i < UnpackedKernelCache.KEEP + 3; i++) {
            Path e = cache.entry("k" + i);
            Files.write(e, new byte[] {1});
            Files.setLastModifiedTime(e, java.nio.file.attribute.FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        cache.trim();
        for (int i = 0; i < UnpackedKernelCache.KEEP + 3; i++) {
            assertEquals(i >= 3, Files.exists(cache.entry("k" + i)), "entry k" + i);
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
