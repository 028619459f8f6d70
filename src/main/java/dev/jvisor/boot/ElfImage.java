package dev.jvisor.boot;

import static dev.jvisor.boot.LittleEndian.u16;
import static dev.jvisor.boot.LittleEndian.u32;
import static dev.jvisor.boot.LittleEndian.u8;

import dev.jvisor.bus.GuestMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * A 32-bit little-endian i386 executable ELF file (ET_EXEC, EM_386) and its PT_LOAD segments,
 * which are loaded at their physical addresses (p_paddr).
 */
public record ElfImage(long entry, List<ElfSegment> segments) {
    public static final int PT_LOAD = 1;

    public static boolean isElf(byte[] image) {
        return image.length >= 4 && image[0] == 0x7F && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
    }

    public static ElfImage parse(byte[] image, String name) throws BootException {
        return parse(image, image.length, name);
    }

    /**
     * Parses the ELF header and program headers from {@code head}, the first bytes of a file of
     * {@code fileLength} bytes (the whole file, or the start of one being streamed).
     */
    static ElfImage parse(byte[] image, long fileLength, String name) throws BootException {
        if (!isElf(image)) {
            throw new BootException(name + ": not an ELF file");
        }
        if (image.length < 52) {
            throw new BootException(name + ": truncated ELF header (" + image.length + " bytes)");
        }
        if (u8(image, 4) == 2) {
            throw new BootException(name + ": 64-bit ELF kernels are not supported (jvisor emulates i386)");
        }
        if (u8(image, 4) != 1 || u8(image, 5) != 1) {
            throw new BootException(name + ": not a 32-bit little-endian ELF file");
        }
        int type = u16(image, 16);
        int machine = u16(image, 18);
        if (machine != 3) {
            throw new BootException(name + ": ELF machine " + machine + " is not i386");
        }
        if (type != 2) {
            throw new BootException(name + ": ELF type " + type + " is not an executable (ET_EXEC)");
        }
        long entry = u32(image, 24);
        long phoff = u32(image, 28);
        int phentsize = u16(image, 42);
        int phnum = u16(image, 44);
        if (phnum == 0 || phentsize < 32) {
            throw new BootException(name + ": ELF file has no program headers");
        }
        if (phoff + (long) phnum * phentsize > image.length) {
            throw new BootException(name + ": truncated ELF file (program headers beyond end of file)");
        }
        List<ElfSegment> segs = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (u32(image, ph) != PT_LOAD) {
                continue;
            }
            ElfSegment s = new ElfSegment(u32(image, ph + 4), u32(image, ph + 8), u32(image, ph + 12),
                    u32(image, ph + 16), u32(image, ph + 20));
            if (s.filesz() > s.memsz()) {
                throw new BootException(name + ": corrupt ELF segment " + i + " (file size exceeds memory size)");
            }
            if (s.offset() + s.filesz() > fileLength) {
                throw new BootException(String.format(
                        "%s: truncated ELF file (segment %d needs bytes up to %d, file has %d)",
                        name, i, s.offset() + s.filesz(), fileLength));
            }
            if (s.paddr() + s.memsz() > 0x1_0000_0000L) {
                throw new BootException(String.format("%s: ELF segment %d at 0x%x wraps past 4 GiB", name, i, s.paddr()));
            }
            if (s.memsz() > 0) {
                segs.add(s);
            }
        }
        if (segs.isEmpty()) {
            throw new BootException(name + ": ELF file has no loadable segments");
        }
        return new ElfImage(entry, List.copyOf(segs));
    }

    /**
     * The physical entry address: e_entry itself if it lies in a segment's physical range,
     * otherwise e_entry translated from the virtual to the physical range of the segment holding
     * it (for images linked at virtual addresses other than their load addresses).
     */
    public long physicalEntry(String name) throws BootException {
        for (ElfSegment s : segments) {
            if (entry >= s.paddr() && entry < s.physicalEnd()) {
                return entry;
            }
        }
        for (ElfSegment s : segments) {
            if (entry >= s.vaddr() && entry < s.vaddr() + s.memsz()) {
                return entry - s.vaddr() + s.paddr();
            }
        }
        throw new BootException(String.format("%s: ELF entry point 0x%x is not inside any loadable segment", name, entry));
    }

    public long lowestAddress() {
        return segments.stream().mapToLong(ElfSegment::paddr).min().orElseThrow();
    }

    /** End of the highest segment, including its zero-filled (bss) part. */
    public long physicalEnd() {
        return segments.stream().mapToLong(ElfSegment::physicalEnd).max().orElseThrow();
    }

    /** Copies every segment to its physical address and zero-fills the rest of its memory size. */
    public void load(GuestMemory mem, byte[] image, String name) throws BootException {
        checkPlacement(mem, name);
        for (ElfSegment s : segments) {
            GuestCopy.write(mem, s.paddr(), image, (int) s.offset(), (int) s.filesz(), name);
            GuestCopy.zero(mem, s.paddr() + s.filesz(), s.memsz() - s.filesz(), name);
        }
    }

    /** True if the segments' file ranges come in file order without overlap, so one pass over a stream loads them. */
    boolean streamable() {
        long pos = 0;
        for (ElfSegment s : segments) {
            if (s.offset() < pos) {
                return false;
            }
            pos = s.offset() + s.filesz();
        }
        return true;
    }

    /**
     * Loads the segments from a stream of the file positioned at {@code position} (see {@link #streamable}):
     * skips to each segment's offset, copies its bytes, zero-fills its bss.
     */
    void load(GuestMemory mem, java.io.InputStream in, long position, String name) throws BootException, java.io.IOException {
        checkPlacement(mem, name);
        byte[] buf = new byte[1 << 16];
        long pos = position;
        for (ElfSegment s : segments) {
            in.skipNBytes(s.offset() - pos); // EOFException if the file ends first
            pos = s.offset();
            long done = 0;
            while (done < s.filesz()) {
                int n = in.readNBytes(buf, 0, (int) Math.min(buf.length, s.filesz() - done));
                if (n == 0) {
                    throw new BootException(String.format("%s: truncated ELF file (segment at offset %d ends early)", name, s.offset()));
                }
                GuestCopy.write(mem, s.paddr() + done, buf, 0, n, name);
                done += n;
            }
            pos += done;
            GuestCopy.zero(mem, s.paddr() + s.filesz(), s.memsz() - s.filesz(), name);
        }
    }

    private void checkPlacement(GuestMemory mem, String name) throws BootException {
        for (ElfSegment s : segments) {
            if (BootLayout.overlapsLoaderData(s.paddr(), s.physicalEnd())) {
                throw new BootException(String.format(
                        "%s: ELF segment [0x%x, 0x%x) overlaps the loader's data area [0x%x, 0x%x)", name, s.paddr(),
                        s.physicalEnd(), BootLayout.LOADER_DATA, BootLayout.LOADER_DATA_END));
            }
            if (!mem.isRam(s.paddr(), s.memsz())) {
                throw GuestCopy.outside(mem, s.paddr(), s.memsz(), name);
            }
        }
    }
}
