package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.SingleXZInputStream;

/**
 * The kernel inside a bzImage, unpacked on the host. A bzImage's protected-mode part is the
 * kernel's own decompressor plus a payload (boot.rst, protocol 2.08: payload_offset and
 * payload_length, relative to the protected-mode code) holding the compressed ELF vmlinux,
 * followed by its relocation table and, in the last 4 bytes, the uncompressed size.
 *
 * <p>Normally the guest runs that decompressor: with XZ (Debian's 686 kernel) it executes about
 * 2.3 billion instructions, three quarters of an interpreted boot. A loader may instead place the
 * vmlinux itself, as loaders of uncompressed kernels do (Firecracker, QEMU's PVH boot): this class
 * streams the payload through an XZ or gzip decoder and copies each PT_LOAD segment to its
 * physical address, so the guest starts at the kernel's own startup_32 with the same zero page.
 * What the decompressor would have done besides unpacking is nothing the kernel needs here:
 * relocation is a no-op when the kernel runs at its link address (LOAD_PHYSICAL_ADDR), which is
 * required below, and physical KASLR is not done (as with any vmlinux boot).
 *
 * <p>The unpacked file is kept in an {@link UnpackedKernelCache}, so later boots of the same
 * bzImage skip the decoding.
 *
 * <p>Other compressors (LZMA, bzip2, LZO, LZ4, zstd) and kernels that would need relocating
 * are left to the guest's decompressor: {@link #open} returns null.
 */
final class CompressedVmlinux {
    /** Enough for the ELF header and the program headers of any vmlinux. */
    private static final int HEAD = 4096;

    private final ElfImage elf;
    /** The unpacked file, {@link #position} bytes into it. */
    private InputStream rest;
    private final long position;
    private final String name;

    private CompressedVmlinux(ElfImage elf, InputStream rest, long position, String name) {
        this.elf = elf;
        this.rest = rest;
        this.position = position;
        this.name = name;
    }

    /**
     * Opens the payload of a parsed bzImage; null if the host cannot unpack it (unknown
     * compressor, no payload fields, or a kernel that would run away from its link address).
     *
     * @throws BootException if the payload is corrupt or not an i386 ELF vmlinux
     */
    static CompressedVmlinux open(byte[] kernel, SetupHeader hdr, java.nio.file.Path file, String name)
            throws BootException {
        return open(kernel, hdr, file, name, UnpackedKernelCache.user());
    }

    /** As {@link #open(byte[], SetupHeader, java.nio.file.Path, String)}, with unpacked files kept in {@code cache}. */
    static CompressedVmlinux open(byte[] kernel, SetupHeader hdr, java.nio.file.Path file, String name,
            UnpackedKernelCache cache) throws BootException {
        if (hdr.version() < 0x208 || hdr.payloadLength() <= 4) {
            return null;
        }
        int start = (int) (hdr.setupSize() + hdr.payloadOffset());
        int len = (int) hdr.payloadLength();
        long size = LittleEndian.u32(kernel, start + len - 4); // the size the build appends after the stream
        boolean xz = startsWith(kernel, start, 0xFD, '7', 'z', 'X', 'Z', 0);
        if (!xz && !startsWith(kernel, start, 0x1F, 0x8B)) {
            return null;
        }
        String key = UnpackedKernelCache.key(file, kernel, start, len);
        InputStream cached = cache.open(key, size);
        InputStream in = cached;
        try {
            if (in == null) {
                // XZ: the build appends the size after the stream (scripts/Makefile.lib, size_append);
                // gzip: the last 4 bytes are the stream's own ISIZE trailer
                in = xz ? new SingleXZInputStream(new ByteArrayInputStream(kernel, start, len - 4))
                        : new GZIPInputStream(new ByteArrayInputStream(kernel, start, len), 1 << 16);
            }
            byte[] head = in.readNBytes(HEAD);
            ElfImage elf = ElfImage.parse(head, size, name + " (unpacked vmlinux)");
            if (!elf.streamable() || elf.lowestAddress() != hdr.prefAddress()
                    || LinuxLoader.runtimeStart(hdr) != hdr.prefAddress()) {
                in.close();
                return null;
            }
            if (cached == null) {
                in = cache.recording(key, size, head, in);
            }
            return new CompressedVmlinux(elf, in, head.length, name);
        } catch (IOException e) {
            closeQuietly(in);
            throw new BootException(name + ": corrupt compressed kernel (" + e.getMessage() + ")");
        } catch (BootException e) {
            closeQuietly(in);
            throw e;
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            if (in != null) {
                in.close();
            }
        } catch (IOException ignored) {
            // already failing
        }
    }

    /** Physical address where the guest starts: the vmlinux entry (startup_32). */
    long entry() throws BootException {
        return elf.physicalEntry(name);
    }

    /** End of the kernel image in memory, bss included. */
    long physicalEnd() {
        return elf.physicalEnd();
    }

    /** Streams the segments into guest memory. */
    void load(GuestMemory mem) throws BootException {
        try (InputStream in = rest) {
            elf.load(mem, in, position, name);
        } catch (IOException e) {
            throw new BootException(name + ": corrupt compressed kernel (" + e.getMessage() + ")");
        }
        // The XZ decoder's window (32 MiB for a kernel built with scripts/xz_wrap.sh) is garbage
        // now. Collect it before the guest runs, so the old generation reuses that space instead
        // of growing past it: measured, this keeps the peak RSS where the in-guest decompressor
        // leaves it (about 50 MiB less than without the collection).
        rest = null;
        System.gc();
    }

    private static boolean startsWith(byte[] b, int off, int... magic) {
        if (off + magic.length > b.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((b[off + i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
