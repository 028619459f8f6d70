package dev.jvisor.cpu.fpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.cpu.CpuFault;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Hand-checked vectors citing the Intel SDM (Vol.1 chapter 8, Vol.2 instruction pages). */
class X87SdmTest {
    static final int DS = 3, SS = 2;
    FakeFpuHost h;
    X87 x;

    @BeforeEach
    void setUp() {
        h = new FakeFpuHost();
        x = new X87();
    }

    void reg(int op, int modrm) { x.execute(op, modrm, -1, 0, true, 0x1000, 0x08, h); }

    void mem(int op, int reg, int off) { x.execute(op, 0x05 | reg << 3, DS, off, true, 0x1000, 0x08, h); }

    void mem(int op, int reg, int off, boolean op32) { x.execute(op, 0x05 | reg << 3, DS, off, op32, 0x1000, 0x08, h); }

    void fldcw(int cw) {
        h.write16(0, 0x8000, cw);
        mem(0xD9, 5, 0x8000);
    }

    void fld(int se, long sig) {
        h.writeF80(0x8100, se, sig);
        mem(0xDB, 5, 0x8100);
    }

    void assertSt(int i, int se, long sig) {
        assertEquals(String.format("%04X:%016X", se, sig),
                String.format("%04X:%016X", x.signExponent(i), x.significand(i)), "ST" + i);
    }

    @Test
    void initialStateIsFninit() { // SDM Vol.2 FINIT: CW 037F, SW 0, TW FFFF
        assertEquals(0x037F, x.controlWord());
        assertEquals(0, x.statusWord());
        assertEquals(0xFFFF, x.tagWord());
        reg(0xD9, 0xE8);
        reg(0xDB, 0xE3); // FNINIT
        assertEquals(0xFFFF, x.tagWord());
        assertEquals(0, x.statusWord());
    }

    @Test
    void tagWordClassifiesContents() { // SDM Vol.1 8.1.7, Figure 8-7
        fld(0x3FFF, F80.J);            // valid   -> ST3 after all loads
        fld(0, 0);                     // zero    -> ST2
        fld(0x7FFF, F80.J);            // special (infinity) -> ST1
        fld(0, 1);                     // special (denormal) -> ST0
        // TOP = 4; physical 7 = valid, 6 = zero, 5 = special, 4 = special, 0..3 empty
        assertEquals(4, (x.statusWord() >> 11) & 7);
        assertEquals(0b00_01_10_10_11_11_11_11, x.tagWord());
        reg(0xDD, 0xC1); // FFREE ST(1)
        assertEquals(0b00_01_11_10_11_11_11_11, x.tagWord());
    }

    @Test
    void fstenv32ProtectedModeLayout() { // SDM Vol.1 Figure 8-9
        reg(0xD9, 0xE8); // FLD1
        h.write32(0, 0x500, 0x40000000); // 2.0f
        x.execute(0xD8, 0x05, DS, 0x500, true, 0x00401234, 0x001B, h); // FADD m32 at 001B:00401234
        x.execute(0xD9, 0x35, SS, 0x100, true, 0x00401240, 0x001B, h); // FNSTENV [0x100]
        assertEquals(0xFFFF037F, h.read32(0, 0x100));
        assertEquals(0xFFFF0000 | (7 << 11), h.read32(0, 0x104));
        assertEquals(0xFFFF3FFF, h.read32(0, 0x108)); // ST0 (phys 7) valid
        assertEquals(0x00401234, h.read32(0, 0x10C));
        assertEquals(0x001B | (0x005 << 16), h.read32(0, 0x110)); // FCS, FOP = D8 05 -> 000 0000 0101
        assertEquals(0x500, h.read32(0, 0x114));
        assertEquals(0xFFFF0000 | 0x20, h.read32(0, 0x118)); // FDS = DS selector
    }

    @Test
    void fstenv16ProtectedAndRealModeLayouts() { // SDM Vol.1 Figures 8-11, 8-10, 8-12
        h.write32(0, 0x504, 0x3F800000);
        x.execute(0xD9, 0x05, DS, 0x504, false, 0x2345, 0x0100, h); // FLD m32
        x.execute(0xD9, 0x35, DS, 0x100, false, 0, 0, h); // FNSTENV 16-bit
        assertEquals(0x037F, h.read16(0, 0x100));
        assertEquals(7 << 11, h.read16(0, 0x102));
        assertEquals(0x3FFF, h.read16(0, 0x104));
        assertEquals(0x2345, h.read16(0, 0x106));
        assertEquals(0x0100, h.read16(0, 0x108));
        assertEquals(0x0504, h.read16(0, 0x10A));
        assertEquals(0x0020, h.read16(0, 0x10C));

        h.protectedMode = false; // real mode: 20/32-bit linear addresses, FOP beside them
        x.execute(0xD9, 0x35, DS, 0x200, false, 0, 0, h);
        int ip = (0x0100 << 4) + 0x2345, dp = (0x20 << 4) + 0x504;
        assertEquals(ip & 0xFFFF, h.read16(0, 0x206));
        assertEquals(((ip >> 16) & 0xF) << 12 | 0x105, h.read16(0, 0x208)); // FOP = D9 05
        assertEquals(dp & 0xFFFF, h.read16(0, 0x20A));
        assertEquals(((dp >> 16) & 0xF) << 12, h.read16(0, 0x20C));

        x.execute(0xD9, 0x35, DS, 0x300, true, 0, 0, h); // 32-bit real-mode format
        assertEquals(0xFFFF0000 | (ip & 0xFFFF), h.read32(0, 0x30C));
        assertEquals((ip >>> 16) << 12 | 0x105, h.read32(0, 0x310));
        assertEquals(0xFFFF0000 | (dp & 0xFFFF), h.read32(0, 0x314));
        assertEquals((dp >>> 16) << 12, h.read32(0, 0x318));

        // FLDENV of the real-mode image restores the linear pointers; re-storing gives the same bytes
        x.execute(0xD9, 0x25, DS, 0x300, true, 0, 0, h);
        x.execute(0xD9, 0x35, DS, 0x400, true, 0, 0, h);
        for (int i = 0; i < 28; i++) assertEquals(h.mem[0x300 + i], h.mem[0x400 + i], "byte " + i);
    }

    @Test
    void fsaveStoresRegistersInStackOrderThenInitialises() { // SDM Vol.1 Figure 8-13, Vol.2 FSAVE
        reg(0xD9, 0xE8); // 1
        reg(0xD9, 0xEB); // pi
        mem(0xDD, 6, 0x200); // FNSAVE 32-bit: 28-byte env + 8 x 10 bytes
        assertEquals(0xFFFF, x.tagWord());
        assertEquals(0x037F, x.controlWord());
        assertEquals(6 << 11, h.read16(0, 0x204));
        assertEquals(0x0FFF, h.read16(0, 0x208)); // phys 6 and 7 valid
        assertEquals(0xC90FDAA22168C235L, h.read64(0x200 + 28));
        assertEquals(0x4000, h.read16(0, 0x200 + 28 + 8));
        assertEquals(F80.J, h.read64(0x200 + 38));
        assertEquals(0x3FFF, h.read16(0, 0x200 + 38 + 8));
        mem(0xDD, 4, 0x200); // FRSTOR
        assertEquals(0x0FFF, x.tagWord());
        assertSt(0, 0x4000, 0xC90FDAA22168C235L);
        assertSt(1, 0x3FFF, F80.J);

        // 16-bit format: 14-byte environment
        mem(0xDD, 6, 0x400, false);
        assertEquals(0x0FFF, h.read16(0, 0x404));
        assertEquals(0xC90FDAA22168C235L, h.read64(0x400 + 14));
        mem(0xDD, 4, 0x400, false);
        assertSt(1, 0x3FFF, F80.J);
    }

    @Test
    void fxsaveLayout() { // SDM Vol.1 10.5.1, Table 10-2
        reg(0xD9, 0xEE); // FLDZ
        h.write32(0, 0x600, 0x40400000);
        x.execute(0xD8, 0x0D, DS, 0x600, true, 0x777, 0x1B, h); // FMUL m32 -> 0
        for (int i = 0; i < 512; i++) h.mem[0x1000 + i] = (byte) 0xAA;
        x.fxsave(DS, 0x1000, h);
        assertEquals(0x037F, h.read16(0, 0x1000));
        assertEquals(7 << 11, h.read16(0, 0x1002));
        assertEquals(0x80, h.read8(0, 0x1004)); // abridged tag: phys 7 not empty
        assertEquals(0x00D, h.read16(0, 0x1006)); // FOP D8 0D
        assertEquals(0x777, h.read32(0, 0x1008));
        assertEquals(0x1B, h.read16(0, 0x100C));
        assertEquals(0x600, h.read32(0, 0x1010));
        assertEquals(0x20, h.read16(0, 0x1014));
        assertEquals(0x1F80, h.read32(0, 0x1018));
        assertEquals(0, h.read32(0, 0x101C));
        assertEquals(0, h.read64(0x1020)); // ST0 = +0
        assertEquals(0, h.read32(0, 0x10A0)); // XMM0
        assertEquals(0xAA, h.read8(0, 0x11F0)); // reserved tail untouched
        X87 y = new X87();
        y.fxrstor(DS, 0x1000, h);
        assertEquals(x.statusWord(), y.statusWord());
        assertEquals(x.tagWord(), y.tagWord());
    }

    @Test
    void stackOverflowMaskedPushesIndefinite() { // SDM Vol.1 8.5.1.1
        for (int i = 0; i < 8; i++) reg(0xD9, 0xE8);
        assertEquals(0, x.statusWord() & 0x7F);
        reg(0xD9, 0xE8);
        int sw = x.statusWord();
        assertEquals(0x41, sw & 0x7F); // IE + SF
        assertTrue((sw & 0x200) != 0); // C1 = 1: overflow
        assertSt(0, 0xFFFF, 0xC000000000000000L);
        assertFalse(x.hasPendingException());
    }

    @Test
    void stackOverflowUnmaskedChangesNothing() {
        fldcw(0x037E); // IM = 0
        for (int i = 0; i < 8; i++) reg(0xD9, 0xEE);
        int tagBefore = x.tagWord();
        reg(0xD9, 0xE8);
        assertEquals(tagBefore, x.tagWord());
        assertEquals(0, (x.statusWord() >> 11) & 7);
        assertSt(0, 0, 0);
        assertTrue(x.hasPendingException());
        assertEquals(0x80C1, x.statusWord() & 0x80FF); // B, ES, SF, IE
    }

    @Test
    void stackUnderflowGivesIndefiniteAndClearsC1() {
        reg(0xD9, 0xE8);
        reg(0xD8, 0xC1); // FADD ST0, ST1 (empty)
        assertEquals(0x41, x.statusWord() & 0x7F);
        assertEquals(0, x.statusWord() & 0x200);
        assertSt(0, 0xFFFF, 0xC000000000000000L);
        // FSTP m32 from an empty stack stores the single-precision indefinite
        reg(0xDD, 0xC0); // FFREE ST0
        mem(0xD9, 3, 0x700);
        assertEquals(0xFFC00000, h.read32(0, 0x700));
    }

    @Test
    void unmaskedZeroDivideLeavesDestination() { // SDM Vol.1 8.5.3: pre-computation exception
        fldcw(0x037B); // ZM = 0
        reg(0xD9, 0xEE); // 0
        reg(0xD9, 0xE8); // 1
        reg(0xD8, 0xF1); // FDIV ST0, ST1 -> 1/0
        assertSt(0, 0x3FFF, F80.J);
        assertEquals(0x8084, x.statusWord() & 0x80FF);
        assertTrue(x.hasPendingException());
        reg(0xDB, 0xE2); // FNCLEX
        assertFalse(x.hasPendingException());
        assertEquals(0, x.statusWord() & 0x80FF);
    }

    @Test
    void maskedZeroDivideGivesInfinity() {
        reg(0xD9, 0xEE);
        reg(0xD9, 0xE8);
        reg(0xDE, 0xF9); // FDIVP ST1, ST0 -> ST1 = 0 / 1?  DE F8+i: ST(i) = ST(i) / ST0 = 0/1
        assertSt(0, 0, 0);
        reg(0xD9, 0xE8);
        reg(0xDE, 0xF1); // FDIVRP: ST1 = ST0 / ST1 = 1/0
        assertSt(0, 0x7FFF, F80.J);
        assertEquals(0x04, x.statusWord() & 0x3F);
    }

    @Test
    void unmaskedOverflowOnStoreToMemoryStoresNothing() { // SDM Vol.1 4.9.1.4
        fldcw(0x0377); // OM = 0
        fld(0x7FFE, 0xFFFFFFFFFFFFFFFFL);
        h.write32(0, 0x720, 0x12345678);
        mem(0xD9, 3, 0x720); // FSTP m32
        assertEquals(0x12345678, h.read32(0, 0x720));
        assertEquals(7, (x.statusWord() >> 11) & 7); // not popped
        assertTrue((x.statusWord() & 0x08) != 0);
        assertTrue(x.hasPendingException());
    }

    @Test
    void unmaskedOverflowToRegisterIsBiasAdjusted() { // SDM Vol.1 4.9.1.4: exponent - 24576
        fldcw(0x0377);
        fld(0x7FFE, 0x8000000000000000L);
        reg(0xD8, 0xC0); // FADD ST0, ST0 = 2^16384
        assertSt(0, 0x7FFF - 24576, F80.J); // 2^16384 has biased exponent 7FFF
        assertTrue((x.statusWord() & 0x08) != 0);
        // masked: infinity with OE and PE
        setUp();
        fld(0x7FFE, 0x8000000000000000L);
        reg(0xD8, 0xC0);
        assertSt(0, 0x7FFF, F80.J);
        assertEquals(0x28, x.statusWord() & 0x3F);
    }

    @Test
    void denormalOperandSetsDe() { // SDM Vol.1 4.9.1.2 (QEMU does not model DE; see QemuOracleTest)
        fld(0, 1);
        reg(0xD9, 0xE8);
        reg(0xD8, 0xC9); // FMUL ST0, ST1
        assertTrue((x.statusWord() & 0x02) != 0);
        assertSt(0, 0, 1);
        // unmasked DE: the result is not stored
        setUp();
        fldcw(0x037D);
        fld(0, 1);
        reg(0xD9, 0xE8);
        reg(0xD8, 0xC9);
        assertSt(0, 0x3FFF, F80.J);
        assertTrue(x.hasPendingException());
        // FLD m64 of a denormal raises DE too
        setUp();
        h.write64(0x740, 1);
        mem(0xDD, 0, 0x740);
        assertTrue((x.statusWord() & 0x02) != 0);
    }

    @Test
    void c1ReportsRoundingUp() { // SDM Vol.1 8.1.3.3
        fldcw(0x0B7F); // RC = up
        h.write16(0, 0x760, 3);
        reg(0xD9, 0xE8);
        mem(0xDE, 6, 0x760); // FIDIV m16: 1/3 rounded up
        assertTrue((x.statusWord() & 0x200) != 0);
        assertSt(0, 0x3FFD, 0xAAAAAAAAAAAAAAABL);
        fldcw(0x077F); // RC = down
        reg(0xD9, 0xE8);
        mem(0xDE, 6, 0x760);
        assertEquals(0, x.statusWord() & 0x200);
        assertSt(0, 0x3FFD, 0xAAAAAAAAAAAAAAAAL);
    }

    @Test
    void precisionControlRoundsArithmetic() { // SDM Vol.1 8.1.5.2
        fldcw(0x007F); // PC = 24 bits
        h.write16(0, 0x760, 3);
        reg(0xD9, 0xE8);
        mem(0xDE, 6, 0x760);
        assertSt(0, 0x3FFD, 0xAAAAAB0000000000L);
        reg(0xD9, 0xEB); // FLDPI is not affected by PC
        assertSt(0, 0x4000, 0xC90FDAA22168C235L);
    }

    @Test
    void invalidEncodingsRaiseUd() {
        int[][] bad = {{0xD9, 0xD1}, {0xD9, 0xE2}, {0xD9, 0xE7}, {0xD9, 0xEF}, {0xDA, 0xE8}, {0xDA, 0xF0},
                {0xDB, 0xE5}, {0xDB, 0xF8}, {0xDD, 0xF0}, {0xDE, 0xD8}, {0xDF, 0xE1}, {0xDF, 0xF8}};
        reg(0xD9, 0xE8);
        for (int[] b : bad) {
            CpuFault f = assertThrows(CpuFault.class, () -> reg(b[0], b[1]), String.format("%02X %02X", b[0], b[1]));
            assertEquals(CpuFault.UD, f.vector);
        }
        // memory forms: D9 /1, FISTTP (SSE3) DB /1, DD /1, DF /1, DB /4, DB /6, DD /5
        int[][] badMem = {{0xD9, 1}, {0xDB, 1}, {0xDD, 1}, {0xDF, 1}, {0xDB, 4}, {0xDB, 6}, {0xDD, 5}};
        for (int[] b : badMem) {
            CpuFault f = assertThrows(CpuFault.class, () -> mem(b[0], b[1], 0x100));
            assertEquals(CpuFault.UD, f.vector);
        }
        assertEquals(7, (x.statusWord() >> 11) & 7);
        assertEquals(0, x.statusWord() & 0x3F);
    }

    @Test
    void memoryFaultsLeaveStateUnchanged() { // FpuHost contract: precise faults
        reg(0xD9, 0xE8);
        reg(0xD9, 0xEB);
        int sw = x.statusWord(), tw = x.tagWord();
        h.faultAbove = 0x9000;
        assertThrows(CpuFault.class, () -> mem(0xDD, 0, 0x8FFC)); // FLD m64 crossing into the fault
        assertThrows(CpuFault.class, () -> mem(0xDB, 7, 0x8FF8)); // FSTP m80
        assertThrows(CpuFault.class, () -> mem(0xDD, 6, 0x8FA0)); // FNSAVE (108 bytes)
        assertThrows(CpuFault.class, () -> mem(0xDD, 4, 0x8FA0)); // FRSTOR
        assertThrows(CpuFault.class, () -> x.fxsave(DS, 0x8F00, h));
        assertEquals(sw, x.statusWord());
        assertEquals(tw, x.tagWord());
        assertSt(0, 0x4000, 0xC90FDAA22168C235L);
    }

    @Test
    void fldcwUnmaskingAPendingFlagRaisesEs() { // SDM Vol.1 8.1.3.1 / 8.6
        reg(0xD9, 0xEE);
        reg(0xD9, 0xE8);
        reg(0xD8, 0xF1); // masked 1/0: ZE
        assertFalse(x.hasPendingException());
        fldcw(0x037B);
        assertTrue(x.hasPendingException());
        assertEquals(0x037B, x.controlWord());
        h.ax = 0;
        reg(0xDF, 0xE0); // FNSTSW AX
        assertEquals(x.statusWord(), h.ax);
        assertTrue((h.ax & 0x8080) == 0x8080);
    }

    @Test
    void fcomiSetsEflags() {
        reg(0xD9, 0xE8);
        reg(0xD9, 0xEE); // ST0 = 0, ST1 = 1
        reg(0xDB, 0xF1); // FCOMI: 0 < 1 -> CF
        assertEquals(0x01, h.eflags & 0x45);
        reg(0xDF, 0xE9); // FUCOMIP ST0, ST1
        assertEquals(0x01, h.eflags & 0x45);
        assertEquals(0x3FFF, x.tagWord() & 0xFFFF);
    }

    @Test
    void trigonometricSpecialCases() { // SDM Vol.2 FSIN/FPTAN tables
        fld(0x7FFF, F80.J);
        reg(0xD9, 0xFE); // FSIN(+inf): invalid
        assertSt(0, 0xFFFF, 0xC000000000000000L);
        assertEquals(0x01, x.statusWord() & 0x3F);
        setUp();
        fld(0x403E, F80.J); // 2^63: out of range
        reg(0xD9, 0xFF);
        assertSt(0, 0x403E, F80.J);
        assertTrue((x.statusWord() & 0x400) != 0);
        setUp();
        reg(0xD9, 0xEE);
        reg(0xD9, 0xF2); // FPTAN(0) = 0, pushes 1
        assertSt(0, 0x3FFF, F80.J);
        assertSt(1, 0, 0);
        assertEquals(0, x.statusWord() & 0x3F);
        setUp();
        fld(0xFFFF, F80.J);
        reg(0xD9, 0xF0); // F2XM1(-inf) = -1
        assertSt(0, 0xBFFF, F80.J);
    }

    @Test
    void sinOfPiUsesAnExactReduction() {
        // pi_80 = C90FDAA22168C235 * 2^-62 exceeds pi by 0.3B399D747F23E32ED6FD... * 2^-62, so
        // sin(pi_80) = -1.ECE675D1FC8F8CBB5B.. * 2^-65 -> BFBE:ECE675D1FC8F8CBB (a 66-bit pi would say otherwise)
        reg(0xD9, 0xEB);
        reg(0xD9, 0xFE);
        assertSt(0, 0xBFBE, 0xECE675D1FC8F8CBBL);
        assertEquals(0, x.statusWord() & 0x400);
    }

    @Test
    void transcendentalsAreCorrectlyRoundedOnKnownValues() {
        reg(0xD9, 0xE8);
        reg(0xD9, 0xE8);
        reg(0xD9, 0xF3); // FPATAN(1, 1) = pi/4
        assertSt(0, 0x3FFE, 0xC90FDAA22168C235L);
        reg(0xDD, 0xD8); // FSTP ST0: empty again
        h.write16(0, 0x780, 10);
        reg(0xD9, 0xE8); // ST1 = 1
        mem(0xDF, 0, 0x780); // FILD 10: ST0 = 10
        reg(0xD9, 0xF1); // FYL2X: 1 * log2(10) = FLDL2T (round to nearest)
        assertSt(0, 0x4000, 0xD49A784BCD1B8AFEL);
        assertTrue((x.statusWord() & 0x20) != 0);
        fld(0x4000, F80.J);
        reg(0xD9, 0xFA); // sqrt(2) = B504F333F9DE6484|597D...
        assertSt(0, 0x3FFF, 0xB504F333F9DE6484L);
        h.write32(0, 0x784, 0x3F000000); // 0.5f
        reg(0xDD, 0xD8); // FSTP ST0 (pop)
        mem(0xD9, 0, 0x784);
        reg(0xD9, 0xF0); // F2XM1(0.5) = sqrt(2) - 1 = 0.D413CCCFE7799211 65F626CD.. * 2^-1
        assertSt(0, 0x3FFD, 0xD413CCCFE7799211L);
    }

    @Test
    void fpremReportsPartialRemainderAndQuotientBits() { // SDM Vol.2 FPREM
        fld(0x3FFF, F80.J); // ST1 = 1
        fld(0x4001, 0xE000000000000000L); // ST0 = 7
        reg(0xD9, 0xF8); // 7 mod 1 = 0, q = 7 -> C0 C3 C1 = 1 1 1
        assertSt(0, 0, 0);
        assertEquals(0x4300, x.statusWord() & 0x4700);
        setUp();
        fld(0x3FFF, 0xC000000000000000L); // 1.5
        fld(0x3FFF + 100, F80.J); // 2^100: exponent difference >= 64 -> partial, C2 = 1
        reg(0xD9, 0xF8);
        assertEquals(0x0400, x.statusWord() & 0x4700);
        for (int i = 0; i < 10 && (x.statusWord() & 0x400) != 0; i++) reg(0xD9, 0xF8);
        assertEquals(0, x.statusWord() & 0x400);
        // 2^100 mod 1.5 = 1 (2^100 = 1 mod 3 -> 2^101 = 2 mod 3)
        assertSt(0, 0x3FFF, F80.J);
    }

    @Test
    void bcdRoundTrip() { // SDM Vol.1 4.7, Vol.2 FBLD/FBSTP
        byte[] bcd = {0x21, 0x43, 0x65, (byte) 0x87, 0x09, 0, 0, 0, 0, (byte) 0x80};
        for (int i = 0; i < 10; i++) h.mem[0x7A0 + i] = bcd[i];
        mem(0xDF, 4, 0x7A0);
        assertSt(0, 0xC000 | (0x3FFF + 29), 987654321L << 34);
        mem(0xDF, 6, 0x7C0);
        byte[] out = new byte[10];
        System.arraycopy(h.mem, 0x7C0, out, 0, 10);
        assertArrayEquals(bcd, out);
        assertEquals(0xFFFF, x.tagWord());
    }

    @Test
    void aliasesBehaveAsTheirDocumentedForms() {
        reg(0xD9, 0xE8);
        reg(0xD9, 0xEE);
        reg(0xDD, 0xC9); // FXCH4 = FXCH ST1
        assertSt(0, 0x3FFF, F80.J);
        reg(0xDF, 0xC9); // FXCH7
        assertSt(0, 0, 0);
        reg(0xDC, 0xD1); // FCOM2: 0 vs 1 -> C0
        assertEquals(0x0100, x.statusWord() & 0x4500);
        reg(0xDE, 0xD1); // FCOMP5: pops
        assertEquals(0x3FFF, x.tagWord());
        reg(0xD9, 0xEE);
        reg(0xDF, 0xD9); // FSTP9 ST1
        assertSt(0, 0, 0);
        assertEquals(0x7FFF, x.tagWord());
        reg(0xDF, 0xC0); // FFREEP ST0
        assertEquals(0xFFFF, x.tagWord());
    }
}
