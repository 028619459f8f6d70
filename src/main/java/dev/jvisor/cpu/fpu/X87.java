package dev.jvisor.cpu.fpu;

import dev.jvisor.cpu.CpuFault;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The x87 FPU of a P6-class processor (SDM Vol.1 chapter 8, Vol.2 instruction pages D8..DF), executed one
 * instruction at a time for the CPU interpreter. Arithmetic is true double extended precision through our
 * own {@link SoftFloat}; transcendentals through {@link Transcendental}.
 *
 * <p>Memory operands are read (and store ranges checked with {@link FpuHost#checkWrite}) before any FPU
 * state changes, so a fault thrown by the host leaves the FPU untouched.
 */
public final class X87 {
    // status word bits (SDM Vol.1 8.1.3, Figure 8-4)
    static final int SW_ES = 0x80, SW_C0 = 0x100, SW_C1 = 0x200, SW_C2 = 0x400, SW_C3 = 0x4000, SW_B = 0x8000;
    static final int SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;

    private final long[] sig = new long[8];
    private final int[] se = new int[8];
    /** Bit i set: physical register i is empty (tag 11). */
    private int emptyMask;
    private int cw;
    /** Status word without TOP (bits 11..13 are kept in {@link #top}). */
    private int sw;
    private int top;
    private int fip, fcs, fop, fdp, fds;
    private final SoftFloat sf = new SoftFloat();

    public X87() {
        reset();
    }

    /** FNINIT (SDM Vol.2 FINIT/FNINIT): CW=037F, SW=0, all tags empty, pointers cleared. */
    public void reset() {
        cw = 0x037F;
        sw = 0;
        top = 0;
        emptyMask = 0xFF;
        fip = fcs = fop = fdp = fds = 0;
    }

    public int controlWord() { return cw; }

    public int statusWord() { return (sw & ~0x3800) | (top << 11); }

    /** Full tag word (SDM Vol.1 8.1.7), computed from register contents like FSTENV does. */
    public int tagWord() {
        int tw = 0;
        for (int p = 0; p < 8; p++) {
            int t = (emptyMask >> p & 1) != 0 ? 3 : new F80(se[p], sig[p]).tag();
            tw |= t << (2 * p);
        }
        return tw;
    }

    public long significand(int i) { return sig[(top + i) & 7]; }

    public int signExponent(int i) { return se[(top + i) & 7]; }

    public boolean hasPendingException() { return (sw & SW_ES) != 0; }

    // ---------------------------------------------------------------------------------------------
    // register stack (SDM Vol.1 8.1.2)

    private int phys(int i) { return (top + i) & 7; }

    private boolean isEmpty(int i) { return (emptyMask >> phys(i) & 1) != 0; }

    private F80 st(int i) {
        int p = phys(i);
        return new F80(se[p], sig[p]);
    }

    private void set(int i, F80 v) {
        int p = phys(i);
        se[p] = v.se();
        sig[p] = v.sig();
        emptyMask &= ~(1 << p);
    }

    private void push(F80 v) {
        top = (top - 1) & 7;
        set(0, v);
    }

    private void pop() {
        emptyMask |= 1 << top;
        top = (top + 1) & 7;
    }

    private void setC1(boolean on) { sw = on ? sw | SW_C1 : sw & ~SW_C1; }

    private void setCc(int c3, int c2, int c1, int c0) {
        sw = (sw & ~SW_CC) | (c3 != 0 ? SW_C3 : 0) | (c2 != 0 ? SW_C2 : 0) | (c1 != 0 ? SW_C1 : 0) | (c0 != 0 ? SW_C0 : 0);
    }

    /** Stack underflow (SDM Vol.1 8.5.1.1): IE+SF, C1=0. Returns true when it was unmasked (nothing more to do). */
    private boolean stackUnderflow() {
        sf.flags |= SoftFloat.IE | SoftFloat.SF;
        setC1(false);
        return sf.unmasked(SoftFloat.IE);
    }

    /** Stack overflow (SDM Vol.1 8.5.1.1): IE+SF, C1=1. Returns true when unmasked. */
    private boolean stackOverflow() {
        sf.flags |= SoftFloat.IE | SoftFloat.SF;
        setC1(true);
        return sf.unmasked(SoftFloat.IE);
    }

    /** Merges the instruction's exception flags into SW; an unmasked one sets ES and B (SDM Vol.1 8.1.3.1). */
    private void finish() {
        sw |= sf.flags & 0x7F;
        updateEs();
    }

    private void updateEs() {
        if ((sw & ~cw & 0x3F) != 0) sw |= SW_ES | SW_B;
        else sw &= ~(SW_ES | SW_B);
    }

    // ---------------------------------------------------------------------------------------------
    // decoder

    /**
     * Executes one x87 instruction (first opcode byte 0xD8..0xDF). See the class documentation for the
     * operand conventions; raises {@link CpuFault#ud()} for encodings a P6 rejects.
     */
    public void execute(int opcode, int modrm, int seg, int offset, boolean operand32, int insnEip, int insnCs,
                        FpuHost host) {
        opcode &= 0xFF;
        modrm &= 0xFF;
        int reg = (modrm >> 3) & 7;
        sf.begin(cw);
        if ((modrm & 0xC0) != 0xC0) {
            executeMemory(opcode, reg, seg, offset, operand32, host);
            if (!isControl(opcode, reg)) {
                fdp = offset;
                fds = host.selector(seg);
                pointers(opcode, modrm, insnEip, insnCs);
            }
        } else {
            executeRegister(opcode, modrm, host);
            if (!(opcode == 0xDB && (modrm == 0xE2 || modrm == 0xE3)) && !(opcode == 0xDF && modrm == 0xE0)) {
                pointers(opcode, modrm, insnEip, insnCs);
            }
        }
        finish();
    }

    /** Control instructions do not update FIP/FDP/FOP (SDM Vol.1 8.1.8). */
    private static boolean isControl(int opcode, int reg) {
        return (opcode == 0xD9 && reg >= 4) || (opcode == 0xDD && (reg == 4 || reg == 6 || reg == 7));
    }

    private void pointers(int opcode, int modrm, int eip, int cs) {
        fip = eip;
        fcs = cs & 0xFFFF;
        fop = ((opcode & 7) << 8) | modrm; // SDM Vol.1 8.1.9: 11-bit last opcode
    }

    private void executeMemory(int op, int reg, int seg, int off, boolean op32, FpuHost h) {
        switch (op) {
            case 0xD8 -> arithMem(reg, sf.fromFloat32(h.read32(seg, off)));
            case 0xDC -> {
                long v = readLong(h, seg, off);
                arithMem(reg, sf.fromFloat64(v));
            }
            case 0xDA -> arithMem(reg, SoftFloat.fromLong(h.read32(seg, off)));
            case 0xDE -> arithMem(reg, SoftFloat.fromLong((short) h.read16(seg, off)));
            case 0xD9 -> {
                switch (reg) {
                    case 0 -> { // FLD m32real
                        int v = h.read32(seg, off);
                        loadConverted(() -> sf.fromFloat32(v));
                    }
                    case 2, 3 -> { // FST/FSTP m32real
                        h.checkWrite(seg, off, 4);
                        storeReal(h, seg, off, 4, reg == 3);
                    }
                    case 4 -> fldenv(h, seg, off, op32);
                    case 5 -> { // FLDCW: reserved bits read back as in Figure 8-6 (bit 6 set)
                        cw = (h.read16(seg, off) & 0x1F3F) | 0x40;
                        sf.begin(cw);
                    }
                    case 6 -> { // FNSTENV, then mask all exceptions (SDM Vol.2 FSTENV)
                        h.checkWrite(seg, off, op32 ? 28 : 14);
                        writeEnv(h, seg, off, op32);
                        cw |= 0x3F;
                        sf.begin(cw);
                    }
                    case 7 -> h.write16(seg, off, cw);
                    default -> throw CpuFault.ud(); // D9 /1 is not defined
                }
            }
            case 0xDB -> {
                switch (reg) {
                    case 0 -> {
                        int v = h.read32(seg, off);
                        loadConverted(() -> SoftFloat.fromLong(v));
                    }
                    case 2, 3 -> {
                        h.checkWrite(seg, off, 4);
                        storeInt(h, seg, off, 32, reg == 3);
                    }
                    case 5 -> { // FLD m80: no conversion, no exceptions for SNaN/denormal
                        long s = readLong(h, seg, off);
                        int e = h.read16(seg, off + 8);
                        F80 v = new F80(e, s);
                        loadConverted(() -> v);
                    }
                    case 7 -> { // FSTP m80
                        h.checkWrite(seg, off, 10);
                        if (isEmpty(0)) {
                            if (stackUnderflow()) return;
                            writeF80(h, seg, off, F80.INDEFINITE);
                        } else {
                            writeF80(h, seg, off, st(0));
                            setC1(false);
                        }
                        pop();
                    }
                    default -> throw CpuFault.ud(); // DB /1 FISTTP is SSE3; /4 and /6 undefined
                }
            }
            case 0xDD -> {
                switch (reg) {
                    case 0 -> {
                        long v = readLong(h, seg, off);
                        loadConverted(() -> sf.fromFloat64(v));
                    }
                    case 2, 3 -> {
                        h.checkWrite(seg, off, 8);
                        storeReal(h, seg, off, 8, reg == 3);
                    }
                    case 4 -> frstor(h, seg, off, op32);
                    case 6 -> fnsave(h, seg, off, op32);
                    case 7 -> h.write16(seg, off, statusWord());
                    default -> throw CpuFault.ud(); // DD /1 FISTTP is SSE3; /5 undefined
                }
            }
            case 0xDF -> {
                switch (reg) {
                    case 0 -> {
                        short v = (short) h.read16(seg, off);
                        loadConverted(() -> SoftFloat.fromLong(v));
                    }
                    case 2, 3 -> {
                        h.checkWrite(seg, off, 2);
                        storeInt(h, seg, off, 16, reg == 3);
                    }
                    case 4 -> { // FBLD
                        byte[] b = new byte[10];
                        for (int i = 0; i < 10; i++) b[i] = (byte) h.read8(seg, off + i);
                        loadConverted(() -> fromBcd(b));
                    }
                    case 5 -> {
                        long v = readLong(h, seg, off);
                        loadConverted(() -> SoftFloat.fromLong(v));
                    }
                    case 6 -> {
                        h.checkWrite(seg, off, 10);
                        fbstp(h, seg, off);
                    }
                    case 7 -> {
                        h.checkWrite(seg, off, 8);
                        storeInt(h, seg, off, 64, true);
                    }
                    default -> throw CpuFault.ud(); // DF /1 FISTTP is SSE3
                }
            }
            default -> throw CpuFault.ud();
        }
    }

    private void executeRegister(int op, int modrm, FpuHost h) {
        int reg = (modrm >> 3) & 7, i = modrm & 7;
        switch (op) {
            case 0xD8 -> {
                if (reg == 2 || reg == 3) compare(i, false, reg == 3 ? 1 : 0);
                else arithReg(reg, i, 0, false);
            }
            case 0xDC -> {
                if (reg == 2 || reg == 3) compare(i, false, reg == 3 ? 1 : 0); // FCOM2/FCOMP3 aliases
                else arithReg(reg, i, i, false);
            }
            case 0xDE -> {
                if (reg == 2) compare(i, false, 1); // FCOMP5 alias
                else if (reg == 3) {
                    if (i != 1) throw CpuFault.ud(); // only DE D9 (FCOMPP) is defined
                    compare(1, false, 2);
                } else arithReg(reg, i, i, true);
            }
            case 0xD9 -> executeD9(modrm, reg, i);
            case 0xDA -> {
                if (reg <= 3) fcmov(reg, false, i, h);
                else if (modrm == 0xE9) compare(1, true, 2); // FUCOMPP
                else throw CpuFault.ud();
            }
            case 0xDB -> {
                if (reg <= 3) fcmov(reg, true, i, h);
                else if (reg == 5) comi(i, true, false, h); // FUCOMI
                else if (reg == 6) comi(i, false, false, h); // FCOMI
                else if (modrm == 0xE2) sw &= ~(0x80FF); // FNCLEX: exception flags, SF, ES, B
                else if (modrm == 0xE3) { reset(); sf.begin(cw); }
                else if (modrm == 0xE0 || modrm == 0xE1 || modrm == 0xE4) {
                    // FNENI/FNDISI (8087) and FNSETPM (287) execute as no-ops on the 387 and later
                } else throw CpuFault.ud();
            }
            case 0xDD -> {
                switch (reg) {
                    case 0 -> emptyMask |= 1 << phys(i); // FFREE
                    case 1 -> fxch(i); // FXCH4 alias
                    case 2 -> fstReg(i, false);
                    case 3 -> fstReg(i, true);
                    case 4 -> compare(i, true, 0); // FUCOM
                    case 5 -> compare(i, true, 1); // FUCOMP
                    default -> throw CpuFault.ud();
                }
            }
            case 0xDF -> {
                switch (reg) {
                    case 0 -> { emptyMask |= 1 << phys(i); pop(); } // FFREEP
                    case 1 -> fxch(i); // FXCH7 alias
                    case 2, 3 -> fstReg(i, true); // FSTP8/FSTP9 aliases
                    case 4 -> {
                        if (i != 0) throw CpuFault.ud();
                        h.setAx(statusWord()); // FNSTSW AX
                    }
                    case 5 -> comi(i, true, true, h); // FUCOMIP
                    case 6 -> comi(i, false, true, h); // FCOMIP
                    default -> throw CpuFault.ud();
                }
            }
            default -> throw CpuFault.ud();
        }
    }

    private void executeD9(int modrm, int reg, int i) {
        switch (reg) {
            case 0 -> { // FLD ST(i)
                if (isEmpty(i)) {
                    if (stackUnderflow()) return;
                    pushChecked(F80.INDEFINITE);
                    return;
                }
                pushChecked(st(i));
            }
            case 1 -> fxch(i);
            case 2 -> {
                if (i != 0) throw CpuFault.ud(); // D9 D1..D7 undefined
                // FNOP
            }
            case 3 -> fstReg(i, true); // FSTP1 alias
            default -> {
                switch (modrm) {
                    case 0xE0, 0xE1 -> { // FCHS, FABS: sign only, no NaN processing
                        if (isEmpty(0)) {
                            if (stackUnderflow()) return;
                            set(0, F80.INDEFINITE);
                            return;
                        }
                        F80 v = st(0);
                        set(0, modrm == 0xE0 ? v.negate() : v.abs());
                        setC1(false);
                    }
                    case 0xE4 -> ftst();
                    case 0xE5 -> fxam();
                    case 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE -> pushChecked(constant(modrm));
                    case 0xF0 -> unaryTranscendental(modrm);
                    case 0xF1, 0xF3, 0xF9 -> binaryTranscendental(modrm);
                    case 0xF2, 0xFB -> tanOrSinCos(modrm == 0xFB);
                    case 0xF4 -> fxtract();
                    case 0xF5, 0xF8 -> fprem(modrm == 0xF5);
                    case 0xF6, 0xF7 -> { // FDECSTP/FINCSTP: C1=0 (C0,C2,C3 cleared as QEMU does)
                        top = (top + (modrm == 0xF7 ? 1 : -1)) & 7;
                        sw &= ~SW_CC;
                    }
                    case 0xFA -> unaryArith(modrm);
                    case 0xFC -> unaryArith(modrm);
                    case 0xFD -> fscale();
                    case 0xFE, 0xFF -> unaryTranscendental(modrm);
                    default -> throw CpuFault.ud(); // D9 E2,E3,E6,E7,EF
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // loads and stores (SDM Vol.2 FLD, FILD, FBLD, FST, FIST, FBSTP)

    private interface Loader { F80 load(); }

    private void pushChecked(F80 v) {
        if (!isEmpty(7)) {
            if (stackOverflow()) return;
            push(F80.INDEFINITE);
            return;
        }
        setC1(false);
        push(v);
    }

    private void loadConverted(Loader l) {
        if (!isEmpty(7)) {
            if (stackOverflow()) return;
            push(F80.INDEFINITE);
            return;
        }
        F80 v = l.load();
        if (sf.aborted()) return;
        setC1(false);
        push(v);
    }

    private static long readLong(FpuHost h, int seg, int off) {
        long lo = h.read32(seg, off) & 0xFFFFFFFFL;
        long hi = h.read32(seg, off + 4) & 0xFFFFFFFFL;
        return lo | hi << 32;
    }

    private static void writeLong(FpuHost h, int seg, int off, long v) {
        h.write32(seg, off, (int) v);
        h.write32(seg, off + 4, (int) (v >>> 32));
    }

    private static void writeF80(FpuHost h, int seg, int off, F80 v) {
        writeLong(h, seg, off, v.sig());
        h.write16(seg, off + 8, v.se());
    }

    private void storeReal(FpuHost h, int seg, int off, int size, boolean pop) {
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            if (size == 4) h.write32(seg, off, 0xFFC00000);
            else writeLong(h, seg, off, 0xFFF8000000000000L);
            if (pop) pop();
            return;
        }
        F80 v = st(0);
        int b32 = 0;
        long b64 = 0;
        if (size == 4) b32 = sf.toFloat32(v);
        else b64 = sf.toFloat64(v);
        // an unmasked invalid, overflow or underflow leaves memory and the stack alone (SDM Vol.1 4.9.1.4)
        if (sf.unmasked(sf.flags & (SoftFloat.IE | SoftFloat.OE | SoftFloat.UE))) return;
        if (size == 4) h.write32(seg, off, b32);
        else writeLong(h, seg, off, b64);
        setC1(sf.roundedUp);
        if (pop) pop();
    }

    private void storeInt(FpuHost h, int seg, int off, int bits, boolean pop) {
        long val;
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            val = Long.MIN_VALUE >> (64 - bits); // integer indefinite
        } else {
            Long r = sf.toInt(st(0), bits);
            if (r == null) {
                if (sf.unmasked(SoftFloat.IE)) return;
                val = Long.MIN_VALUE >> (64 - bits);
                setC1(false);
            } else {
                val = r;
                setC1(sf.roundedUp);
            }
        }
        switch (bits) {
            case 16 -> h.write16(seg, off, (int) val & 0xFFFF);
            case 32 -> h.write32(seg, off, (int) val);
            default -> writeLong(h, seg, off, val);
        }
        if (pop) pop();
    }

    /** Packed BCD (SDM Vol.1 4.7, Figure 4-10): 18 digits in bytes 0..8, sign in bit 7 of byte 9. */
    private static F80 fromBcd(byte[] b) {
        long v = 0;
        for (int i = 8; i >= 0; i--) v = v * 100 + ((b[i] >> 4) & 0xF) * 10 + (b[i] & 0xF);
        F80 r = SoftFloat.fromLong(v);
        return (b[9] & 0x80) != 0 ? r.negate() : r;
    }

    private void fbstp(FpuHost h, int seg, int off) {
        byte[] out = new byte[10];
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            bcdIndefinite(out);
        } else {
            F80 v = st(0);
            Long r = (v.isNaN() || v.isInf() || v.isUnsupported()) ? null : sf.toInt(v, 64);
            if (r == null || r >= 1_000_000_000_000_000_000L || r <= -1_000_000_000_000_000_000L) {
                if (r != null) sf.flags &= ~(SoftFloat.PE); // invalid takes precedence
                sf.flags |= SoftFloat.IE;
                if (sf.unmasked(SoftFloat.IE)) return;
                bcdIndefinite(out);
                setC1(false);
            } else {
                long m = Math.abs(r);
                for (int i = 0; i < 9; i++) {
                    int d = (int) (m % 100);
                    m /= 100;
                    out[i] = (byte) (((d / 10) << 4) | (d % 10));
                }
                out[9] = (byte) (v.sign() ? 0x80 : 0);
                setC1(sf.roundedUp);
            }
        }
        for (int i = 0; i < 10; i++) h.write8(seg, off + i, out[i] & 0xFF);
        pop();
    }

    /** Packed BCD indefinite: FFFF C000 0000 0000 0000 (bytes 9..0). */
    private static void bcdIndefinite(byte[] out) {
        java.util.Arrays.fill(out, (byte) 0);
        out[7] = (byte) 0xC0;
        out[8] = (byte) 0xFF;
        out[9] = (byte) 0xFF;
    }

    private void fstReg(int i, boolean pop) {
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            set(i, F80.INDEFINITE);
        } else {
            set(i, st(0));
            setC1(false);
        }
        if (pop) pop();
    }

    private void fxch(int i) {
        if (isEmpty(0) || isEmpty(i)) {
            if (stackUnderflow()) return;
            if (isEmpty(0)) set(0, F80.INDEFINITE);
            if (isEmpty(i)) set(i, F80.INDEFINITE);
        }
        F80 a = st(0), b = st(i);
        set(0, b);
        set(i, a);
        setC1(false);
    }

    /** FCMOVcc (SDM Vol.2 FCMOVcc): conditions B, E, BE, U and their negations on CF, ZF, PF. */
    private void fcmov(int cond, boolean negate, int i, FpuHost h) {
        int f = h.eflags();
        boolean cf = (f & 1) != 0, zf = (f & 0x40) != 0, pf = (f & 4) != 0;
        boolean c = switch (cond) {
            case 0 -> cf;
            case 1 -> zf;
            case 2 -> cf || zf;
            default -> pf;
        };
        if (negate) c = !c;
        if (isEmpty(0) || isEmpty(i)) {
            if (stackUnderflow()) return;
            if (isEmpty(0)) set(0, F80.INDEFINITE); // masked response: destination gets the indefinite
            return;
        }
        if (c) set(0, st(i));
        setC1(false);
    }

    /** Constants (SDM Vol.1 8.3.8): the 66-bit internal constants rounded per RC. */
    private F80 constant(int modrm) {
        int rc = (cw >> 10) & 3;
        boolean downOrChop = rc == SoftFloat.RC_DOWN || rc == SoftFloat.RC_ZERO;
        return switch (modrm) {
            case 0xE8 -> F80.ONE;
            case 0xE9 -> new F80(0x4000, rc == SoftFloat.RC_UP ? 0xD49A784BCD1B8AFFL : 0xD49A784BCD1B8AFEL); // log2(10)
            case 0xEA -> new F80(0x3FFF, downOrChop ? 0xB8AA3B295C17F0BBL : 0xB8AA3B295C17F0BCL); // log2(e)
            case 0xEB -> new F80(0x4000, downOrChop ? 0xC90FDAA22168C234L : 0xC90FDAA22168C235L); // pi
            case 0xEC -> new F80(0x3FFD, downOrChop ? 0x9A209A84FBCFF798L : 0x9A209A84FBCFF799L); // log10(2)
            case 0xED -> new F80(0x3FFE, downOrChop ? 0xB17217F7D1CF79ABL : 0xB17217F7D1CF79ACL); // ln(2)
            default -> F80.POS_ZERO;
        };
    }

    // ---------------------------------------------------------------------------------------------
    // arithmetic (SDM Vol.2 FADD, FSUB, FSUBR, FMUL, FDIV, FDIVR and their I/P forms)

    /** result = op(x = ST0, y): 0 add, 1 mul, 4 x-y, 5 y-x, 6 x/y, 7 y/x. */
    private F80 compute(int op, F80 x, F80 y) {
        return switch (op) {
            case 0 -> sf.add(x, y, false);
            case 1 -> sf.mul(x, y);
            case 4 -> sf.add(x, y, true);
            case 5 -> sf.add(y, x, true);
            case 6 -> sf.div(x, y);
            default -> sf.div(y, x);
        };
    }

    private void arithMem(int reg, F80 operand) {
        if (reg == 2 || reg == 3) { // FCOM/FCOMP/FICOM/FICOMP with a memory operand
            if (isEmpty(0)) {
                if (stackUnderflow()) return;
                setCc(1, 1, 0, 1);
                if (reg == 3) pop();
                return;
            }
            if (sf.aborted()) return;
            setCompareCc(sf.compare(st(0), operand, false));
            if (reg == 3) pop();
            return;
        }
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            set(0, F80.INDEFINITE);
            return;
        }
        if (sf.aborted()) return; // SNaN/denormal memory operand with the exception unmasked
        F80 r = compute(reg, st(0), operand);
        if (r == null || sf.aborted()) return;
        set(0, r);
        setC1(sf.roundedUp);
    }

    private void arithReg(int reg, int i, int dst, boolean pop) {
        if (isEmpty(0) || isEmpty(i)) {
            if (stackUnderflow()) return;
            set(dst, F80.INDEFINITE);
            if (pop) pop();
            return;
        }
        F80 r = compute(reg, st(0), st(i));
        if (r == null || sf.aborted()) return;
        set(dst, r);
        setC1(sf.roundedUp);
        if (pop) pop();
    }

    private void setCompareCc(int r) {
        switch (r) {
            case SoftFloat.CMP_GT -> setCc(0, 0, 0, 0);
            case SoftFloat.CMP_LT -> setCc(0, 0, 0, 1);
            case SoftFloat.CMP_EQ -> setCc(1, 0, 0, 0);
            default -> setCc(1, 1, 0, 1);
        }
    }

    /** FCOM/FCOMP/FCOMPP/FUCOM/FUCOMP/FUCOMPP (SDM Vol.2): compare ST0 with ST(i), then pop `pops` times. */
    private void compare(int i, boolean quiet, int pops) {
        if (isEmpty(0) || isEmpty(i)) {
            if (stackUnderflow()) return;
            setCc(1, 1, 0, 1);
        } else {
            int r = sf.compare(st(0), st(i), quiet);
            if (sf.unmasked(sf.flags & (SoftFloat.IE | SoftFloat.DE))) return; // CCs not set, no pop
            setCompareCc(r);
        }
        for (int k = 0; k < pops; k++) pop();
    }

    /** FCOMI/FCOMIP/FUCOMI/FUCOMIP (SDM Vol.2): ZF, PF, CF from the comparison. */
    private void comi(int i, boolean quiet, boolean pop, FpuHost h) {
        if (isEmpty(0) || isEmpty(i)) {
            if (stackUnderflow()) return;
            h.setComiFlags(true, true, true);
        } else {
            int r = sf.compare(st(0), st(i), quiet);
            if (sf.unmasked(sf.flags & (SoftFloat.IE | SoftFloat.DE))) return;
            switch (r) {
                case SoftFloat.CMP_GT -> h.setComiFlags(false, false, false);
                case SoftFloat.CMP_LT -> h.setComiFlags(false, false, true);
                case SoftFloat.CMP_EQ -> h.setComiFlags(true, false, false);
                default -> h.setComiFlags(true, true, true);
            }
            setC1(false);
        }
        if (pop) pop();
    }

    private void ftst() {
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            setCc(1, 1, 0, 1);
            return;
        }
        int r = sf.compare(st(0), F80.POS_ZERO, false);
        if (sf.unmasked(sf.flags & (SoftFloat.IE | SoftFloat.DE))) return;
        setCompareCc(r);
    }

    /** FXAM (SDM Vol.2 FXAM): class in C3,C2,C0; sign in C1. */
    private void fxam() {
        F80 v = st(0);
        int c1 = v.sign() ? 1 : 0;
        if (isEmpty(0)) setCc(1, 0, c1, 1);
        else if (v.isUnsupported()) setCc(0, 0, c1, 0);
        else if (v.isNaN()) setCc(0, 0, c1, 1);
        else if (v.isInf()) setCc(0, 1, c1, 1);
        else if (v.isZero()) setCc(1, 0, c1, 0);
        else if (v.isDenormal()) setCc(1, 1, c1, 0);
        else setCc(0, 1, c1, 0);
    }

    private void unaryArith(int modrm) {
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            set(0, F80.INDEFINITE);
            return;
        }
        F80 r;
        if (modrm == 0xFA) {
            // C0, C2, C3 are undefined (SDM Vol.2 FSQRT); like QEMU, a negative operand leaves C2=1, C0=C3=0
            if (st(0).sign()) sw = (sw & ~(SW_C0 | SW_C3)) | SW_C2;
            r = sf.sqrt(st(0));
        } else { // FRNDINT ignores precision control
            r = sf.roundInt(st(0));
        }
        if (r == null || sf.aborted()) return;
        set(0, r);
        setC1(sf.roundedUp);
    }

    /** FSCALE (SDM Vol.2): ST0 * 2^trunc(ST1), not affected by precision control. */
    private void fscale() {
        if (isEmpty(0) || isEmpty(1)) {
            if (stackUnderflow()) return;
            set(0, F80.INDEFINITE);
            return;
        }
        F80 a = st(0), b = st(1), r;
        F80 n = sf.nanCheck2(a, b);
        if (n != null) {
            // a NaN scale factor wins over a NaN ST0 (as QEMU does; Table 4-7 does not cover FSCALE's operands)
            r = b.isNaN() && !a.isUnsupported() ? b.quiet() : n;
        } else if (b.isInf()) {
            if (b.sign()) r = a.isInf() ? sf.invalid() : (a.sign() ? F80.NEG_ZERO : F80.POS_ZERO);
            else r = a.isZero() ? sf.invalid() : (a.sign() ? F80.NEG_INF : F80.POS_INF);
        } else if (a.isInf() || a.isZero()) {
            sf.denormalCheck(b);
            r = a;
        } else {
            sf.denormalCheck(a);
            sf.denormalCheck(b);
            if (sf.aborted()) return;
            int saved = sf.flags;
            long k = sf.roundToInt(b, SoftFloat.RC_ZERO);
            sf.flags = saved; // truncating ST1 raises nothing
            int scale = sf.intOverflow || k < 0 || k > 70000 ? 70000 : (int) k;
            if (b.sign()) scale = -scale;
            r = sf.round80(a.sign(), a.normExp() + scale, a.normSig(), 0, 64);
        }
        if (sf.aborted()) return;
        set(0, r);
        setC1(sf.roundedUp);
    }

    /** FXTRACT (SDM Vol.2): ST0 becomes the exponent (as a real) and the significand is pushed. */
    private void fxtract() {
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            set(0, F80.INDEFINITE);
            pushChecked(F80.INDEFINITE);
            return;
        }
        if (!isEmpty(7)) {
            if (stackOverflow()) return;
            set(0, F80.INDEFINITE);
            push(F80.INDEFINITE);
            return;
        }
        F80 a = st(0), exp, sig;
        F80 n = sf.nanCheck1(a);
        if (n != null) {
            exp = n;
            sig = n;
        } else if (a.isZero()) {
            sf.flags |= SoftFloat.ZE;
            exp = F80.NEG_INF;
            sig = a;
        } else if (a.isInf()) {
            exp = F80.POS_INF;
            sig = a;
        } else {
            sf.denormalCheck(a);
            exp = SoftFloat.fromLong(a.normExp());
            sig = new F80((a.sign() ? 0x8000 : 0) | F80.BIAS, a.normSig());
        }
        if (sf.aborted()) return;
        set(0, exp);
        push(sig);
        setC1(false);
    }

    /** FPREM/FPREM1 (SDM Vol.2): partial remainder; C2 = incomplete, C0/C3/C1 = quotient bits 2/1/0. */
    private void fprem(boolean ieee) {
        if (isEmpty(0) || isEmpty(1)) {
            if (stackUnderflow()) return;
            set(0, F80.INDEFINITE);
            return;
        }
        F80 a = st(0), b = st(1), r;
        long q = 0;
        boolean partial = false;
        F80 n = sf.nanCheck2(a, b);
        if (n != null) {
            r = n;
        } else if (a.isInf() || b.isZero()) {
            r = sf.invalid();
        } else if (b.isInf() || a.isZero()) {
            sf.denormalCheck(a);
            sf.denormalCheck(b);
            // the dividend comes back normalised (a pseudo-denormal gets exponent 1)
            r = a.isZero() ? a : sf.round80(a.sign(), a.normExp(), a.normSig(), 0, 64);
        } else {
            sf.denormalCheck(a);
            sf.denormalCheck(b);
            if (sf.aborted()) return;
            int ea = a.normExp(), eb = b.normExp(), d = ea - eb;
            BigInteger x = new BigInteger(Long.toUnsignedString(a.normSig()));
            BigInteger y = new BigInteger(Long.toUnsignedString(b.normSig()));
            int scale; // result = rem * 2^(scale - 63)
            BigInteger rem;
            boolean neg = a.sign();
            if (d >= 64) {
                // partial: reduce the exponent difference to 32..63 (the AMD-documented choice QEMU follows)
                partial = true;
                int nbits = 32 + d % 32;
                rem = x.shiftLeft(nbits).mod(y);
                scale = eb + (d - nbits);
            } else if (d >= 0) {
                BigInteger[] qr = x.shiftLeft(d).divideAndRemainder(y);
                rem = qr[1];
                BigInteger qq = qr[0];
                if (ieee) {
                    int c = rem.shiftLeft(1).compareTo(y);
                    if (c > 0 || (c == 0 && qq.testBit(0))) {
                        qq = qq.add(BigInteger.ONE);
                        rem = y.subtract(rem);
                        neg = !neg;
                    }
                }
                q = qq.longValue();
                scale = eb;
            } else if (ieee && d == -1 && x.compareTo(y) > 0) { // |a| > |b|/2: quotient 1
                rem = y.shiftLeft(1).subtract(x);
                neg = !neg;
                q = 1;
                scale = ea;
            } else {
                rem = x;
                scale = ea;
            }
            r = rem.signum() == 0 ? (a.sign() ? F80.NEG_ZERO : F80.POS_ZERO)
                    : sf.roundBig(neg, rem, false, scale - 63, 64);
        }
        if (sf.aborted()) return;
        set(0, r);
        setCc((int) (q >> 1) & 1, partial ? 1 : 0, (int) q & 1, (int) (q >> 2) & 1);
    }

    // ---------------------------------------------------------------------------------------------
    // transcendentals (SDM Vol.1 8.3.10)

    /** F2XM1, FSIN, FCOS: one operand, result in ST0. */
    private void unaryTranscendental(int modrm) {
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            set(0, F80.INDEFINITE);
            return;
        }
        F80 a = st(0), r;
        F80 n = sf.nanCheck1(a);
        if (modrm == 0xF0) { // F2XM1
            if (n != null) r = n;
            else if (a.isZero()) r = a;
            else if (a.isInf()) r = a.sign() ? new F80(0xBFFF, F80.J) : a;
            else {
                sf.denormalCheck(a);
                if (sf.aborted()) return;
                r = exp2m1(a);
            }
        } else { // FSIN, FCOS
            if (n != null) r = n;
            else if (a.isInf()) r = sf.invalid();
            else if (a.isZero()) r = modrm == 0xFE ? a : F80.ONE;
            else if (a.normExp() >= 63) {
                sw |= SW_C2; // out of range: operand unchanged
                return;
            } else {
                sf.denormalCheck(a);
                if (sf.aborted()) return;
                BigDecimal[] sc = Transcendental.sinCos(Transcendental.toBig(a));
                r = Transcendental.fromBig(sf, modrm == 0xFE ? sc[0] : sc[1], true);
            }
            sw &= ~SW_C2;
        }
        if (sf.aborted()) return;
        set(0, r);
        setC1(sf.roundedUp);
    }

    private F80 exp2m1(F80 a) {
        if (a.equals(F80.ONE)) return F80.ONE; // the only exact cases besides zero: 2^1 - 1, 2^-1 - 1
        if (a.equals(F80.ONE.negate())) return new F80(0xBFFE, F80.J);
        BigDecimal x = Transcendental.toBig(a);
        if (x.abs().compareTo(BigDecimal.ONE) <= 0) {
            return Transcendental.fromBig(sf, Transcendental.expm1(x.multiply(Transcendental.LN2, Transcendental.MC)), true);
        }
        // outside the architectural domain [-1, 1] (result undefined by the SDM): compute 2^x - 1 anyway
        if (x.compareTo(BigDecimal.valueOf(20000)) > 0) return sf.round80(false, 20000, F80.J, 0, 64);
        if (x.compareTo(BigDecimal.valueOf(-200)) < 0) return Transcendental.fromBig(sf, BigDecimal.ONE.negate(), true);
        BigDecimal ip = x.setScale(0, java.math.RoundingMode.FLOOR);
        BigDecimal f = x.subtract(ip);
        BigDecimal p = Transcendental.expm1(f.multiply(Transcendental.LN2, Transcendental.MC)).add(BigDecimal.ONE);
        p = Transcendental.scale2(p, ip.intValueExact());
        return Transcendental.fromBig(sf, p.subtract(BigDecimal.ONE), true);
    }

    /** NaN screening in the order QEMU applies it for FYL2X, FYL2XP1 and FPATAN (x = ST0, y = ST1). */
    private F80 nanXy(F80 x, F80 y) {
        if (x.isSNaN()) { sf.flags |= SoftFloat.IE; return x.quiet(); }
        if (y.isSNaN()) { sf.flags |= SoftFloat.IE; return y.quiet(); }
        if (x.isUnsupported() || y.isUnsupported()) return sf.invalid();
        if (x.isNaN()) return x;
        if (y.isNaN()) return y;
        return null;
    }

    /** FYL2X (D9 F1), FPATAN (D9 F3), FYL2XP1 (D9 F9): result to ST1, then pop. */
    private void binaryTranscendental(int modrm) {
        if (isEmpty(0) || isEmpty(1)) {
            if (stackUnderflow()) return;
            set(1, F80.INDEFINITE);
            pop();
            return;
        }
        F80 x = st(0), y = st(1);
        F80 r = nanXy(x, y);
        if (r == null) {
            r = switch (modrm) {
                case 0xF1 -> fyl2x(x, y);
                case 0xF9 -> fyl2xp1(x, y);
                default -> fpatan(x, y);
            };
        }
        if (r == null || sf.aborted()) return;
        set(1, r);
        pop();
        setC1(sf.roundedUp);
    }

    private F80 fyl2x(F80 x, F80 y) {
        if (x.sign() && !x.isZero()) return sf.invalid();
        int cmp1 = x.isInf() ? 1 : sf.compare(x, F80.ONE, true);
        if (y.isInf()) {
            if (cmp1 == SoftFloat.CMP_EQ) return sf.invalid();
            return cmp1 == SoftFloat.CMP_LT ? y.negate() : y;
        }
        if (x.isInf()) {
            if (y.isZero()) return sf.invalid();
            return y.sign() ? F80.NEG_INF : F80.POS_INF;
        }
        if (x.isZero()) {
            if (y.isZero()) return sf.invalid();
            sf.flags |= SoftFloat.ZE;
            return y.sign() ? F80.POS_INF : F80.NEG_INF;
        }
        sf.denormalCheck(x);
        sf.denormalCheck(y);
        if (sf.aborted()) return null;
        if (y.isZero()) return cmp1 == SoftFloat.CMP_LT ? y.negate() : y;
        if (cmp1 == SoftFloat.CMP_EQ) return y.sign() ? F80.NEG_ZERO : F80.POS_ZERO;
        if (x.normSig() == F80.J) { // exact power of two: y * k, rounded once
            int saved = sf.pcBits;
            sf.pcBits = 64;
            F80 r = sf.mul(SoftFloat.fromLong(x.normExp()), y);
            sf.pcBits = saved;
            return r;
        }
        BigDecimal v = Transcendental.log2(x).multiply(Transcendental.toBig(y), Transcendental.MC);
        return Transcendental.fromBig(sf, v, true);
    }

    private F80 fyl2xp1(F80 x, F80 y) {
        if (x.isInf() || (x.sign() && !x.isZero() && sf.compare(x, F80.ONE.negate(), true) != SoftFloat.CMP_GT)) {
            return sf.invalid(); // outside the domain x > -1 (SDM: undefined outside |x| < 1 - sqrt(2)/2)
        }
        if (x.isZero()) {
            if (y.isInf()) return sf.invalid();
            sf.denormalCheck(y);
            return (x.sign() ^ y.sign()) ? F80.NEG_ZERO : F80.POS_ZERO;
        }
        if (y.isInf()) {
            sf.denormalCheck(x);
            return (x.sign() ^ y.sign()) ? F80.NEG_INF : F80.POS_INF;
        }
        sf.denormalCheck(x);
        sf.denormalCheck(y);
        if (sf.aborted()) return null;
        if (y.isZero()) return (x.sign() ^ y.sign()) ? F80.NEG_ZERO : F80.POS_ZERO;
        BigDecimal l = Transcendental.ln1p(Transcendental.toBig(x)).divide(Transcendental.LN2, Transcendental.MC);
        return Transcendental.fromBig(sf, l.multiply(Transcendental.toBig(y), Transcendental.MC), true);
    }

    private F80 fpatan(F80 x, F80 y) {
        boolean ys = y.sign();
        if (y.isZero()) {
            sf.denormalCheck(x);
            if (!x.sign()) return y;
            return signed(Transcendental.PI, ys);
        }
        if (y.isInf()) {
            if (x.isInf()) {
                BigDecimal q = Transcendental.PI.divide(BigDecimal.valueOf(4), Transcendental.MC);
                return signed(x.sign() ? q.multiply(BigDecimal.valueOf(3)) : q, ys);
            }
            sf.denormalCheck(x);
            return signed(Transcendental.HALF_PI, ys);
        }
        if (x.isInf()) {
            sf.denormalCheck(y);
            return x.sign() ? signed(Transcendental.PI, ys) : (ys ? F80.NEG_ZERO : F80.POS_ZERO);
        }
        if (x.isZero()) {
            sf.denormalCheck(y);
            return signed(Transcendental.HALF_PI, ys);
        }
        sf.denormalCheck(x);
        sf.denormalCheck(y);
        if (sf.aborted()) return null;
        BigDecimal bx = Transcendental.toBig(x).abs(), by = Transcendental.toBig(y).abs();
        BigDecimal t = Transcendental.atan(by.divide(bx, Transcendental.MC));
        if (x.sign()) t = Transcendental.PI.subtract(t, Transcendental.MC);
        return signed(t, ys);
    }

    private F80 signed(BigDecimal v, boolean neg) {
        return Transcendental.fromBig(sf, neg ? v.negate() : v, true);
    }

    /** FPTAN (push 1.0 after tan) and FSINCOS (ST0 = sin, then push cos). */
    private void tanOrSinCos(boolean sincos) {
        if (isEmpty(0)) {
            if (stackUnderflow()) return;
            set(0, F80.INDEFINITE);
            push(F80.INDEFINITE);
            return;
        }
        if (!isEmpty(7)) {
            if (stackOverflow()) return;
            set(0, F80.INDEFINITE);
            push(F80.INDEFINITE);
            return;
        }
        F80 a = st(0), r0, r1;
        F80 n = sf.nanCheck1(a);
        if (n != null) {
            r0 = n;
            r1 = n;
        } else if (a.isInf()) {
            r0 = sf.invalid();
            r1 = r0;
        } else if (!a.isZero() && a.normExp() >= 63) {
            sw |= SW_C2; // out of range: operand unchanged, nothing pushed
            return;
        } else if (a.isZero()) {
            r0 = a;
            r1 = sincos ? F80.ONE : F80.ONE;
        } else {
            sf.denormalCheck(a);
            if (sf.aborted()) return;
            BigDecimal[] sc = Transcendental.sinCos(Transcendental.toBig(a));
            if (sincos) {
                r0 = Transcendental.fromBig(sf, sc[0], true);
                boolean up0 = sf.roundedUp;
                sf.roundedUp = false;
                r1 = Transcendental.fromBig(sf, sc[1], true);
                sf.roundedUp |= up0;
            } else {
                r0 = Transcendental.fromBig(sf, sc[0].divide(sc[1], Transcendental.MC), true);
                r1 = F80.ONE;
            }
        }
        if (sf.aborted()) return;
        sw &= ~SW_C2;
        if (sincos) {
            set(0, r0);
            push(r1);
        } else {
            set(0, r0);
            push(r1);
        }
        setC1(sf.roundedUp);
    }

    // ---------------------------------------------------------------------------------------------
    // environment and state images (SDM Vol.1 8.1.10, Figures 8-9 to 8-12; Vol.1 10.5.1 for FXSAVE)

    private void writeEnv(FpuHost h, int seg, int off, boolean op32) {
        int swv = statusWord(), tw = tagWord();
        boolean pm = h.protectedMode();
        if (op32) {
            // reserved upper halves are stored as ones
            h.write32(seg, off, 0xFFFF0000 | cw);
            h.write32(seg, off + 4, 0xFFFF0000 | swv);
            h.write32(seg, off + 8, 0xFFFF0000 | tw);
            if (pm) { // Figure 8-9
                h.write32(seg, off + 12, fip);
                h.write32(seg, off + 16, fcs | (fop << 16));
                h.write32(seg, off + 20, fdp);
                h.write32(seg, off + 24, 0xFFFF0000 | fds);
            } else { // Figure 8-10: linear 32-bit addresses
                int ip = (fcs << 4) + fip, dp = (fds << 4) + fdp;
                h.write32(seg, off + 12, 0xFFFF0000 | (ip & 0xFFFF));
                h.write32(seg, off + 16, ((ip >>> 16) << 12) | fop);
                h.write32(seg, off + 20, 0xFFFF0000 | (dp & 0xFFFF));
                h.write32(seg, off + 24, (dp >>> 16) << 12);
            }
        } else {
            h.write16(seg, off, cw);
            h.write16(seg, off + 2, swv);
            h.write16(seg, off + 4, tw);
            if (pm) { // Figure 8-11
                h.write16(seg, off + 6, fip);
                h.write16(seg, off + 8, fcs);
                h.write16(seg, off + 10, fdp);
                h.write16(seg, off + 12, fds);
            } else { // Figure 8-12: 20-bit linear addresses
                int ip = (fcs << 4) + fip, dp = (fds << 4) + fdp;
                h.write16(seg, off + 6, ip);
                h.write16(seg, off + 8, ((ip >>> 16) & 0xF) << 12 | fop);
                h.write16(seg, off + 10, dp);
                h.write16(seg, off + 12, ((dp >>> 16) & 0xF) << 12);
            }
        }
    }

    /** Reads an environment image; returns {cw, sw, tw, fip, fcs, fop, fdp, fds}. */
    private static int[] readEnv(FpuHost h, int seg, int off, boolean op32) {
        boolean pm = h.protectedMode();
        int[] e = new int[8];
        if (op32) {
            e[0] = h.read16(seg, off);
            e[1] = h.read16(seg, off + 4);
            e[2] = h.read16(seg, off + 8);
            if (pm) {
                e[3] = h.read32(seg, off + 12);
                int w = h.read32(seg, off + 16);
                e[4] = w & 0xFFFF;
                e[5] = (w >>> 16) & 0x7FF;
                e[6] = h.read32(seg, off + 20);
                e[7] = h.read16(seg, off + 24);
            } else {
                int w = h.read32(seg, off + 16);
                e[3] = (h.read16(seg, off + 12) & 0xFFFF) | ((w >>> 12) & 0xFFFF) << 16;
                e[5] = w & 0x7FF;
                e[6] = (h.read16(seg, off + 20) & 0xFFFF) | ((h.read32(seg, off + 24) >>> 12) & 0xFFFF) << 16;
            }
        } else {
            e[0] = h.read16(seg, off);
            e[1] = h.read16(seg, off + 2);
            e[2] = h.read16(seg, off + 4);
            if (pm) {
                e[3] = h.read16(seg, off + 6) & 0xFFFF;
                e[4] = h.read16(seg, off + 8) & 0xFFFF;
                e[6] = h.read16(seg, off + 10) & 0xFFFF;
                e[7] = h.read16(seg, off + 12) & 0xFFFF;
            } else {
                int w = h.read16(seg, off + 8);
                e[3] = (h.read16(seg, off + 6) & 0xFFFF) | ((w >>> 12) & 0xF) << 16;
                e[5] = w & 0x7FF;
                e[6] = (h.read16(seg, off + 10) & 0xFFFF) | ((h.read16(seg, off + 12) >>> 12) & 0xF) << 16;
            }
        }
        return e;
    }

    private void applyEnv(int[] e) {
        cw = (e[0] & 0x1F3F) | 0x40;
        int s = e[1] & 0xFFFF;
        top = (s >> 11) & 7;
        sw = s & ~0x3800;
        // only "empty" is taken from the tag word; the other tags follow from the contents (SDM Vol.1 8.1.7)
        int tw = e[2];
        emptyMask = 0;
        for (int p = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) == 3) emptyMask |= 1 << p;
        fip = e[3];
        fcs = e[4];
        fop = e[5];
        fdp = e[6];
        fds = e[7];
        updateEs();
        sf.begin(cw);
    }

    private void fldenv(FpuHost h, int seg, int off, boolean op32) {
        applyEnv(readEnv(h, seg, off, op32));
    }

    private void fnsave(FpuHost h, int seg, int off, boolean op32) {
        int envSize = op32 ? 28 : 14;
        h.checkWrite(seg, off, envSize + 80);
        writeEnv(h, seg, off, op32);
        for (int i = 0; i < 8; i++) writeF80(h, seg, off + envSize + 10 * i, st(i));
        reset(); // FSAVE then initializes the FPU (SDM Vol.2 FSAVE)
        sf.begin(cw);
    }

    private void frstor(FpuHost h, int seg, int off, boolean op32) {
        int envSize = op32 ? 28 : 14;
        int[] e = readEnv(h, seg, off, op32);
        long[] s = new long[8];
        int[] x = new int[8];
        for (int i = 0; i < 8; i++) {
            s[i] = readLong(h, seg, off + envSize + 10 * i);
            x[i] = h.read16(seg, off + envSize + 10 * i + 8) & 0xFFFF;
        }
        applyEnv(e);
        for (int i = 0; i < 8; i++) {
            int p = phys(i);
            sig[p] = s[i];
            se[p] = x[i];
        }
    }

    /** FXSAVE (0F AE /0, SDM Vol.1 10.5.1 Table 10-2, 32-bit layout) without SSE state. */
    public void fxsave(int seg, int offset, FpuHost host) {
        host.checkWrite(seg, offset, 512);
        host.write16(seg, offset, cw);
        host.write16(seg, offset + 2, statusWord());
        host.write8(seg, offset + 4, ~emptyMask & 0xFF); // abridged tag: 1 = not empty
        host.write8(seg, offset + 5, 0);
        host.write16(seg, offset + 6, fop);
        host.write32(seg, offset + 8, fip);
        host.write16(seg, offset + 12, fcs);
        host.write16(seg, offset + 14, 0);
        host.write32(seg, offset + 16, fdp);
        host.write16(seg, offset + 20, fds);
        host.write16(seg, offset + 22, 0);
        host.write32(seg, offset + 24, 0x1F80); // MXCSR (no SSE unit)
        host.write32(seg, offset + 28, 0); // MXCSR_MASK
        for (int i = 0; i < 8; i++) {
            int o = offset + 32 + 16 * i;
            writeF80(host, seg, o, st(i));
            host.write16(seg, o + 10, 0);
            host.write32(seg, o + 12, 0);
        }
        for (int o = 160; o < 288; o += 4) host.write32(seg, offset + o, 0); // XMM0..7
    }

    /** FXRSTOR (0F AE /1, SDM Vol.1 10.5.1). */
    public void fxrstor(int seg, int offset, FpuHost host) {
        int c = host.read16(seg, offset) & 0xFFFF;
        int s = host.read16(seg, offset + 2) & 0xFFFF;
        int t = host.read8(seg, offset + 4) & 0xFF;
        int op = host.read16(seg, offset + 6) & 0x7FF;
        int ip = host.read32(seg, offset + 8);
        int cs = host.read16(seg, offset + 12) & 0xFFFF;
        int dp = host.read32(seg, offset + 16);
        int ds = host.read16(seg, offset + 20) & 0xFFFF;
        long[] sg = new long[8];
        int[] ex = new int[8];
        for (int i = 0; i < 8; i++) {
            sg[i] = readLong(host, seg, offset + 32 + 16 * i);
            ex[i] = host.read16(seg, offset + 32 + 16 * i + 8) & 0xFFFF;
        }
        cw = (c & 0x1F3F) | 0x40;
        top = (s >> 11) & 7;
        sw = s & ~0x3800;
        emptyMask = ~t & 0xFF;
        fop = op;
        fip = ip;
        fcs = cs;
        fdp = dp;
        fds = ds;
        for (int i = 0; i < 8; i++) {
            int p = phys(i);
            sig[p] = sg[i];
            se[p] = ex[i];
        }
        updateEs();
    }
}
