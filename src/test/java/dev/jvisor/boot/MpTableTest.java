package dev.jvisor.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The MP table as Linux's mpparse.c checks it (MP specification 1.4, chapter 4). */
class MpTableTest {
    @Test
    void floatingPointerAndConfigurationTableAreValid() {
        ArrayGuestMemory mem = new ArrayGuestMemory(1 << 20);
        MpTable.write(mem, 0xfee00000L, 0x14, 0x633, 0x203);
        int f = (int) MpTable.ADDRESS;
        assertEquals("_MP_", new String(mem.ram, f, 4));
        assertEquals(0, sum(mem.ram, f, 16) & 0xff, "floating pointer checksum");
        assertEquals(1, mem.ram[f + 8], "length in paragraphs");
        assertEquals(4, mem.ram[f + 9], "spec 1.4");
        assertEquals(0, mem.ram[f + 11], "a configuration table follows, no default configuration");
        assertEquals(0, mem.ram[f + 12] & 0x80, "virtual wire: no IMCR");
        int t = mem.read32(f + 4);
        assertEquals(f + 16, t);
        assertEquals("PCMP", new String(mem.ram, t, 4));
        int length = mem.read16(t + 4);
        assertEquals(0, sum(mem.ram, t, length) & 0xff, "table checksum");
        assertEquals(0xfee00000, mem.read32(t + 36), "local APIC address");
        assertEquals(4, mem.read16(t + 34), "entries");
        int p = t + 44;
        assertEquals(0, mem.ram[p], "processor entry");
        assertEquals(3, mem.ram[p + 3], "enabled bootstrap processor");
        assertEquals(0x14, mem.ram[p + 2]);
        assertEquals(0x633, mem.read32(p + 4));
        assertEquals(1, mem.ram[p + 20], "bus entry");
        assertEquals("ISA   ", new String(mem.ram, p + 22, 6));
        assertEquals(4, mem.ram[p + 28], "LINT0 entry");
        assertEquals(3, mem.ram[p + 29], "ExtINT");
        assertEquals(4, mem.ram[p + 36], "LINT1 entry");
        assertEquals(1, mem.ram[p + 37], "NMI");
        assertEquals(p + 44 - t, length);
    }

    private static int sum(byte[] b, int off, int len) {
        int s = 0;
        for (int i = off; i < off + len; i++) {
            s += b[i];
        }
        return s;
    }
}
