package dev.jvisor.cpu.fpu;

import dev.jvisor.cpu.CpuFault;

/** An {@link FpuHost} over a flat 64 KiB byte array (little-endian); segments are ignored except for selectors. */
final class FakeFpuHost implements FpuHost {
    final byte[] mem = new byte[0x10000];
    int eflags = 0x2;
    int ax = -1;
    boolean protectedMode = true;
    final int[] selectors = {0x10, 0x08, 0x18, 0x20, 0x28, 0x30};
    /** Accesses at or above this offset raise #PF (to test precise faults). */
    int faultAbove = Integer.MAX_VALUE;
    int writes;

    private void check(int off, int len) {
        if (off < 0 || off + len > faultAbove || off + len > mem.length) throw CpuFault.withError(CpuFault.PF, 2);
    }

    @Override public int read8(int seg, int off) { check(off, 1); return mem[off] & 0xFF; }
    @Override public int read16(int seg, int off) { return read8(seg, off) | read8(seg, off + 1) << 8; }
    @Override public int read32(int seg, int off) { return read16(seg, off) | read16(seg, off + 2) << 16; }
    @Override public void write8(int seg, int off, int v) { check(off, 1); mem[off] = (byte) v; writes++; }
    @Override public void write16(int seg, int off, int v) { write8(seg, off, v); write8(seg, off + 1, v >> 8); }
    @Override public void write32(int seg, int off, int v) { write16(seg, off, v); write16(seg, off + 2, v >> 16); }
    @Override public void checkWrite(int seg, int off, int len) { check(off, len); }
    @Override public int eflags() { return eflags; }
    @Override public void setComiFlags(boolean zf, boolean pf, boolean cf) {
        eflags = (eflags & ~0x8D5) | (zf ? 0x40 : 0) | (pf ? 0x04 : 0) | (cf ? 0x01 : 0);
    }
    @Override public void setAx(int value) { ax = value & 0xFFFF; }
    @Override public int selector(int seg) { return selectors[seg]; }
    @Override public boolean protectedMode() { return protectedMode; }

    long read64(int off) { return (read32(0, off) & 0xFFFFFFFFL) | (long) read32(0, off + 4) << 32; }
    void write64(int off, long v) { write32(0, off, (int) v); write32(0, off + 4, (int) (v >>> 32)); }
    void writeF80(int off, int se, long sig) { write64(off, sig); write16(0, off + 8, se); }
}
