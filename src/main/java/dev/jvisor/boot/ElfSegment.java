package dev.jvisor.boot;

/** One PT_LOAD program header of an ELF32 image. */
public record ElfSegment(long offset, long vaddr, long paddr, long filesz, long memsz) {
    public long physicalEnd() {
        return paddr + memsz;
    }
}
