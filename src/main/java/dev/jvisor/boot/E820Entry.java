package dev.jvisor.boot;

/** One BIOS e820 memory map entry: [base, base + length) of the given type. */
public record E820Entry(long base, long length, int type) {
    public static final int RAM = 1;
    public static final int RESERVED = 2;

    public long end() {
        return base + length;
    }
}
