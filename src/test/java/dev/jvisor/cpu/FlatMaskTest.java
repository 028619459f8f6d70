package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * {@link Vcpu#flatMask}, which translated code reads on entry to skip segment checks, follows every
 * segment load: bit s for a flat readable segment, bit 8+s for a flat writable one.
 */
class FlatMaskTest {
    private static final int FLAT_RW = 0xc093, FLAT_RO = 0xc091, EXPAND_DOWN_RW = 0xc097;

    private static Vcpu protectedModeVcpu() {
        Vcpu c = new Vcpu(MemorySegment.ofArray(new byte[1 << 16]), 1 << 16, 1 << 16, (v, e) -> { });
        c.writeCr(0, Vcpu.CR0_PE | Vcpu.CR0_ET);
        return c;
    }

    private static int bits(int s) {
        return 1 << s | 1 << (s + 8);
    }

    @Test
    void followsBaseLimitAndType() {
        Vcpu c = protectedModeVcpu();
        c.setSegment(Segment.DS, 0x18, 0, -1, FLAT_RW);
        assertEquals(bits(Segment.DS), c.flatMask & bits(Segment.DS));
        c.setSegment(Segment.DS, 0x18, 0x1000, -1, FLAT_RW); // a base: not flat
        assertEquals(0, c.flatMask & bits(Segment.DS));
        c.setSegment(Segment.DS, 0x18, 0, 0xfffff, FLAT_RW); // a limit below 4 GiB: not flat
        assertEquals(0, c.flatMask & bits(Segment.DS));
        c.setSegment(Segment.DS, 0x18, 0, -1, FLAT_RO); // read-only: flat for reads only
        assertEquals(1 << Segment.DS, c.flatMask & bits(Segment.DS));
        c.setSegment(Segment.DS, 0x18, 0, -1, EXPAND_DOWN_RW); // expand-down: every offset checked
        assertEquals(0, c.flatMask & bits(Segment.DS));
    }

    @Test
    void segmentsAreIndependent() {
        Vcpu c = protectedModeVcpu();
        for (int s : new int[] {Segment.ES, Segment.SS, Segment.DS, Segment.FS, Segment.GS}) {
            c.setSegment(s, 0x18, 0, -1, FLAT_RW);
        }
        c.setSegment(Segment.FS, 0x30, 0xc1e5e000, -1, FLAT_RW); // Linux's per-CPU FS has a base
        int want = bits(Segment.ES) | bits(Segment.SS) | bits(Segment.DS) | bits(Segment.GS);
        assertEquals(want, c.flatMask & (bits(Segment.ES) | bits(Segment.SS) | bits(Segment.DS) | bits(Segment.FS) | bits(Segment.GS)));
    }
}
