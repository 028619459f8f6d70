package dev.jvisor.devices.ide;

import dev.jvisor.bus.GuestMemory;

/**
 * Walks a Physical Region Descriptor table in guest RAM (SFF-8038i rev 1.0, section 1.2): 8-byte
 * entries, dword 0 the region's physical address (bit 0 ignored), dword 1 bits 15:1 the byte
 * count (0 means 64 KiB) and bit 31 End Of Table. The walk is bounded: it stops at EOT, after
 * {@link #MAX_ENTRIES} entries (a full 64 KiB table), or at an entry outside RAM.
 */
final class PrdCursor {
    /** A PRD table may not cross a 64 KiB boundary, so it holds at most 8192 entries. */
    static final int MAX_ENTRIES = 65536 / 8;

    private final GuestMemory memory;
    private final long table;
    private int index;
    private boolean endOfTable;
    private boolean fault;
    private long regionAddress;
    private int regionLeft;

    PrdCursor(GuestMemory memory, long tableAddress) {
        this.memory = memory;
        this.table = tableAddress & 0xFFFF_FFFCL;
    }

    /**
     * Makes the current region non-empty, loading entries as needed. False when the table is
     * exhausted (see {@link #faulted()} for an unreadable entry).
     */
    boolean ready() {
        while (regionLeft == 0) {
            if (endOfTable || fault || index >= MAX_ENTRIES) {
                return false;
            }
            long at = table + 8L * index;
            byte[] entry = new byte[8];
            if (!memory.read(at, entry, 0, 8)) {
                fault = true;
                return false;
            }
            index++;
            long address = le32(entry, 0) & 0xFFFF_FFFEL;
            long flagsCount = le32(entry, 4);
            int count = (int) (flagsCount & 0xFFFE);
            regionAddress = address;
            regionLeft = count == 0 ? 0x10000 : count;
            endOfTable = (flagsCount & 0x8000_0000L) != 0;
        }
        return true;
    }

    /** Guest-physical address of the next byte (after {@link #ready()} returned true). */
    long address() {
        return regionAddress;
    }

    /** Bytes left in the current region. */
    int regionLeft() {
        return regionLeft;
    }

    void consume(int bytes) {
        int n = Math.min(bytes, regionLeft);
        regionAddress += n;
        regionLeft -= n;
    }

    /** True when no more bytes can be described: EOT consumed, entry limit hit, or fault. */
    boolean exhausted() {
        return regionLeft == 0 && (endOfTable || fault || index >= MAX_ENTRIES);
    }

    boolean faulted() {
        return fault;
    }

    private static long le32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }
}
