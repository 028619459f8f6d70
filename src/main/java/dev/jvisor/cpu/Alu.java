package dev.jvisor.cpu;

import static dev.jvisor.cpu.Vcpu.AF;
import static dev.jvisor.cpu.Vcpu.CF;
import static dev.jvisor.cpu.Vcpu.OF;
import static dev.jvisor.cpu.Vcpu.PF;
import static dev.jvisor.cpu.Vcpu.SF;
import static dev.jvisor.cpu.Vcpu.ZF;

/**
 * Integer arithmetic with lazy flags (DESIGN.md section 3). An operation records its kind, its
 * operands and its result (all zero-extended to the operand size) and the sign-bit mask of the
 * size; CF/PF/AF/ZF/SF/OF are derived only when something reads them. The carry and overflow
 * formulas hold for ADD/ADC and SUB/SBB alike, so one record covers each pair.
 * Flags the SDM leaves undefined follow QEMU (noted at each place).
 */
final class Alu {
    private Alu() { }

    static final int OP_NONE = 0, OP_ADD = 1, OP_SUB = 2, OP_LOGIC = 3, OP_INC = 4, OP_DEC = 5;
    /**
     * The six arithmetic flags are concrete in lfA (b, res unused): what translated code records
     * after a shift or rotate, so the flags stay in JVM locals and HotSpot drops them when dead.
     */
    static final int OP_FLAGS = 6;

    static final byte[] PARITY = new byte[256];

    static {
        for (int i = 0; i < 256; i++) {
            PARITY[i] = (byte) ((Integer.bitCount(i) & 1) == 0 ? PF : 0);
        }
    }

    static int mask(int size) {
        return size == 4 ? -1 : size == 2 ? 0xffff : 0xff;
    }

    static int signBit(int size) {
        return size == 4 ? 0x80000000 : size == 2 ? 0x8000 : 0x80;
    }

    static void set(Vcpu c, int op, int a, int b, int res, int size) {
        c.lfOp = op;
        c.lfA = a;
        c.lfB = b;
        c.lfRes = res;
        c.lfMask = signBit(size);
    }

    /** Before INC/DEC (which keep CF), make CF concrete in the flags word. */
    static void saveCarry(Vcpu c) {
        if (c.lfOp != OP_NONE && c.lfOp != OP_INC && c.lfOp != OP_DEC) {
            c.flags = (c.flags & ~CF) | (cf(c) ? CF : 0);
        }
    }

    static boolean cf(Vcpu c) {
        int a = c.lfA, b = c.lfB, r = c.lfRes;
        return switch (c.lfOp) {
            case OP_ADD -> (((a & b) | ((a | b) & ~r)) & c.lfMask) != 0;
            case OP_SUB -> (((~a & b) | ((~a | b) & r)) & c.lfMask) != 0;
            case OP_LOGIC -> false;
            case OP_FLAGS -> (c.lfA & CF) != 0;
            default -> (c.flags & CF) != 0;
        };
    }

    static boolean zf(Vcpu c) {
        return c.lfOp == OP_NONE ? (c.flags & ZF) != 0 : c.lfOp == OP_FLAGS ? (c.lfA & ZF) != 0 : c.lfRes == 0;
    }

    static boolean sf(Vcpu c) {
        return c.lfOp == OP_NONE ? (c.flags & SF) != 0 : c.lfOp == OP_FLAGS ? (c.lfA & SF) != 0 : (c.lfRes & c.lfMask) != 0;
    }

    static boolean of(Vcpu c) {
        int a = c.lfA, b = c.lfB, r = c.lfRes;
        return switch (c.lfOp) {
            case OP_ADD, OP_INC -> (((a ^ r) & (b ^ r)) & c.lfMask) != 0;
            case OP_SUB, OP_DEC -> (((a ^ b) & (a ^ r)) & c.lfMask) != 0;
            case OP_LOGIC -> false;
            case OP_FLAGS -> (c.lfA & OF) != 0;
            default -> (c.flags & OF) != 0;
        };
    }

    static boolean pf(Vcpu c) {
        return c.lfOp == OP_NONE ? (c.flags & PF) != 0 : c.lfOp == OP_FLAGS ? (c.lfA & PF) != 0 : PARITY[c.lfRes & 0xff] != 0;
    }

    /** All six arithmetic flags from the lazy record. */
    static int arithFlags(Vcpu c) {
        if (c.lfOp == OP_NONE) {
            return c.flags & Vcpu.ARITH;
        }
        return flagsOf(c.lfOp, c.lfA, c.lfB, c.lfRes, c.lfMask, c.flags);
    }

    /**
     * The six arithmetic flags of a lazy record given as values (op not OP_NONE; flags is the
     * flags word, whose CF INC/DEC keep). A pure function, so translated code can call it on the
     * record in its locals and HotSpot removes the call when the result is unused.
     */
    static int flagsOf(int op, int a, int b, int r, int m, int flags) {
        if (op == OP_FLAGS) {
            return a & Vcpu.ARITH;
        }
        int f = PARITY[r & 0xff];
        boolean cf = switch (op) {
            case OP_ADD -> (((a & b) | ((a | b) & ~r)) & m) != 0;
            case OP_SUB -> (((~a & b) | ((~a | b) & r)) & m) != 0;
            case OP_LOGIC -> false;
            default -> (flags & CF) != 0;
        };
        if (cf) {
            f |= CF;
        }
        if (op != OP_LOGIC) {
            f |= (a ^ b ^ r) & AF; // AF after logic ops: undefined, 0 as QEMU
        }
        if (r == 0) {
            f |= ZF;
        }
        if ((r & m) != 0) {
            f |= SF;
        }
        boolean of = switch (op) {
            case OP_ADD, OP_INC -> (((a ^ r) & (b ^ r)) & m) != 0;
            case OP_SUB, OP_DEC -> (((a ^ b) & (a ^ r)) & m) != 0;
            case OP_LOGIC -> false;
            default -> (flags & OF) != 0;
        };
        if (of) {
            f |= OF;
        }
        return f;
    }

    /** Condition codes tttn (SDM Vol. 2, Appendix B.1.4.7). */
    static boolean cond(Vcpu c, int cc) {
        if (c.lfOp == OP_SUB) {
            // fast paths after CMP/SUB: compare the operands directly
            int a = c.lfA, b = c.lfB;
            int sh = c.lfMask == 0x80 ? 24 : c.lfMask == 0x8000 ? 16 : 0;
            switch (cc) {
                case 4: return c.lfRes == 0;
                case 5: return c.lfRes != 0;
                default: break;
            }
            if (((c.lfRes - ((a - b) & Alu.maskFromSign(c.lfMask))) & Alu.maskFromSign(c.lfMask)) == 0) {
                // plain SUB/CMP (no borrow in): the unsigned/signed relations hold directly
                switch (cc) {
                    case 2: return Integer.compareUnsigned(a, b) < 0;
                    case 3: return Integer.compareUnsigned(a, b) >= 0;
                    case 6: return Integer.compareUnsigned(a, b) <= 0;
                    case 7: return Integer.compareUnsigned(a, b) > 0;
                    case 12: return (a << sh) < (b << sh);
                    case 13: return (a << sh) >= (b << sh);
                    case 14: return (a << sh) <= (b << sh);
                    case 15: return (a << sh) > (b << sh);
                    default: break;
                }
            }
        }
        boolean r = switch (cc >> 1) {
            case 0 -> of(c);
            case 1 -> cf(c);
            case 2 -> zf(c);
            case 3 -> cf(c) || zf(c);
            case 4 -> sf(c);
            case 5 -> pf(c);
            case 6 -> sf(c) != of(c);
            default -> zf(c) || (sf(c) != of(c));
        };
        return (cc & 1) != 0 ? !r : r;
    }

    static int maskFromSign(int signMask) {
        return signMask == 0x80000000 ? -1 : (signMask << 1) - 1;
    }

    /**
     * The eight ALU operations of opcode rows 00-3F and group 1 (ADD OR ADC SBB AND SUB XOR CMP).
     * Returns the result; CMP returns it too (the caller does not store it).
     */
    static int alu(Vcpu c, int op, int a, int b, int size) {
        int m = mask(size);
        a &= m;
        b &= m;
        int r;
        switch (op) {
            case 0 -> { r = (a + b) & m; set(c, OP_ADD, a, b, r, size); }
            case 1 -> { r = a | b; set(c, OP_LOGIC, a, b, r, size); }
            case 2 -> {
                int carry = c.getCF() ? 1 : 0;
                r = (a + b + carry) & m;
                set(c, OP_ADD, a, b, r, size);
            }
            case 3 -> {
                int carry = c.getCF() ? 1 : 0;
                r = (a - b - carry) & m;
                set(c, OP_SUB, a, b, r, size);
            }
            case 4 -> { r = a & b; set(c, OP_LOGIC, a, b, r, size); }
            case 5, 7 -> { r = (a - b) & m; set(c, OP_SUB, a, b, r, size); }
            default -> { r = a ^ b; set(c, OP_LOGIC, a, b, r, size); }
        }
        return r;
    }

    static int inc(Vcpu c, int a, int size) {
        saveCarry(c);
        int m = mask(size);
        int r = (a + 1) & m;
        set(c, OP_INC, a & m, 1, r, size);
        return r;
    }

    static int dec(Vcpu c, int a, int size) {
        saveCarry(c);
        int m = mask(size);
        int r = (a - 1) & m;
        set(c, OP_DEC, a & m, 1, r, size);
        return r;
    }

    static int neg(Vcpu c, int a, int size) {
        int m = mask(size);
        int r = (-a) & m;
        set(c, OP_SUB, 0, a & m, r, size);
        return r;
    }

    static void logic(Vcpu c, int r, int size) {
        set(c, OP_LOGIC, 0, 0, r & mask(size), size);
    }

    /** Stores concrete arithmetic flags (for operations computed eagerly: shifts, multiply, BCD). */
    static void setArith(Vcpu c, int f) {
        c.getEflags();
        c.flags = (c.flags & ~Vcpu.ARITH) | (f & Vcpu.ARITH);
    }

    /** SAHF: SF, ZF, AF, PF, CF from AH (ah in bits 0-7); OF and the rest unchanged. */
    static void sahf(Vcpu c, int ah) {
        int m = Vcpu.SF | Vcpu.ZF | Vcpu.AF | Vcpu.PF | Vcpu.CF;
        c.flags = (c.getEflags() & ~m) | (ah & m);
    }

    /** PF, ZF, SF of a result (helper for eager flag computation). */
    static int szp(int r, int size) {
        int m = mask(size);
        int f = PARITY[r & 0xff];
        if ((r & m) == 0) {
            f |= ZF;
        }
        if ((r & signBit(size)) != 0) {
            f |= SF;
        }
        return f;
    }

    // ---- shifts and rotates (SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR) ----

    /**
     * Group 2: op = ROL ROR RCL RCR SHL SHR SAL SAR. Count already masked to 5 bits. A zero count
     * leaves flags unchanged. Flags the SDM leaves undefined (OF for counts above 1, AF) follow
     * QEMU: OF is computed with the count-1 formula for every count; AF is 0 for shifts.
     */
    static int shift(Vcpu c, int op, int v, int count, int size) {
        int m = mask(size);
        v &= m;
        if (count == 0) {
            return v;
        }
        if (op == 2 || op == 3) {
            return rotateThroughCarry(c, op, v, count, size);
        }
        int f = c.getEflags();
        int r = shiftValue(op, v, count, size);
        Alu.setArith(c, shiftFlags(op, v, count, size, f));
        return r;
    }

    /**
     * Group 2 result for ROL ROR SHL SHR SAL SAR (not RCL/RCR); v zero-extended to the size, count
     * masked to 5 bits (0 gives v). Pure, shared by the interpreter and translated code.
     */
    static int shiftValue(int op, int v, int count, int size) {
        int m = mask(size);
        int bits = size * 8;
        switch (op) {
            case 0 -> { // ROL
                int n = count & (bits - 1);
                return n == 0 ? v : ((v << n) | (v >>> (bits - n))) & m;
            }
            case 1 -> { // ROR
                int n = count & (bits - 1);
                return n == 0 ? v : ((v >>> n) | (v << (bits - n))) & m;
            }
            case 4, 6 -> { // SHL/SAL
                return (int) ((v & 0xffffffffL) << count) & m;
            }
            case 5 -> { // SHR
                return count >= bits ? 0 : v >>> count;
            }
            default -> { // SAR
                int sv = size == 4 ? v : size == 2 ? (short) v : (byte) v;
                return (sv >> Math.min(count, 31)) & m;
            }
        }
    }

    /**
     * The arithmetic flags after {@link #shiftValue} (f: the flags before, which a zero count keeps
     * and rotates keep except CF and OF). Rotates: CF and OF only; OF is defined for count 1 and
     * QEMU's count-1 formula is used for every count. Shifts: CF, OF, SF, ZF, PF; AF 0 (undefined,
     * as QEMU). Pure.
     */
    static int shiftFlags(int op, int v, int count, int size, int f) {
        if (count == 0) {
            return f & Vcpu.ARITH;
        }
        int bits = size * 8;
        int r = shiftValue(op, v, count, size);
        int cf;
        int of;
        switch (op) {
            case 0 -> { // ROL
                cf = r & 1;
                of = ((r >>> (bits - 1)) & 1) ^ cf;
                return (f & Vcpu.ARITH & ~(CF | OF)) | cf | (of != 0 ? OF : 0);
            }
            case 1 -> { // ROR
                cf = (r >>> (bits - 1)) & 1;
                of = cf ^ ((r >>> (bits - 2)) & 1);
                return (f & Vcpu.ARITH & ~(CF | OF)) | cf | (of != 0 ? OF : 0);
            }
            case 4, 6 -> { // SHL/SAL
                long wide = (v & 0xffffffffL) << count;
                cf = count > bits ? 0 : (int) (wide >>> bits) & 1;
                of = ((r >>> (bits - 1)) & 1) ^ cf;
            }
            case 5 -> { // SHR
                cf = count > bits ? 0 : (int) (((v & 0xffffffffL) >>> (count - 1)) & 1);
                // SDM: OF = MSB of the original operand for count 1; QEMU's formula gives 0 beyond
                of = count == 1 ? (v >>> (bits - 1)) & 1 : 0;
            }
            default -> { // SAR
                int sv = size == 4 ? v : size == 2 ? (short) v : (byte) v;
                cf = (sv >> Math.min(count - 1, 31)) & 1;
                of = 0;
            }
        }
        return szp(r, size) | cf | (of != 0 ? OF : 0);
    }

    /** RCL/RCR: rotate through carry, modulo size+1 (count already masked, not 0). */
    private static int rotateThroughCarry(Vcpu c, int op, int v, int count, int size) {
        int m = mask(size);
        int bits = size * 8;
        int f = c.getEflags();
        int r;
        int cf;
        int of;
        if (op == 2) { // RCL
            int n = size == 4 ? count : count % (bits + 1);
            if (n == 0) {
                return v;
            }
            long wide = (v & 0xffffffffL) | ((long) (f & CF) << bits);
            long full = (1L << (bits + 1)) - 1;
            long rot = ((wide << n) | (wide >>> (bits + 1 - n))) & full;
            r = (int) rot & m;
            cf = (int) (rot >>> bits) & 1;
            of = ((r ^ v) >>> (bits - 1)) & 1; // = MSB(result) XOR CF for count 1; QEMU's choice beyond
        } else { // RCR
            int n = size == 4 ? count : count % (bits + 1);
            if (n == 0) {
                return v;
            }
            long wide = (v & 0xffffffffL) | ((long) (f & CF) << bits);
            long full = (1L << (bits + 1)) - 1;
            long rot = ((wide >>> n) | (wide << (bits + 1 - n))) & full;
            r = (int) rot & m;
            cf = (int) (rot >>> bits) & 1;
            of = ((r ^ v) >>> (bits - 1)) & 1;
        }
        Alu.setArith(c, (f & ~(CF | OF)) | cf | (of != 0 ? OF : 0));
        return r;
    }

    /** SHLD/SHRD (SDM Vol. 2B): count masked to 5 bits; for 16-bit counts above 16 the result is undefined (QEMU's). */
    static int doubleShift(Vcpu c, boolean left, int dst, int src, int count, int size) {
        count &= 31;
        int m = mask(size);
        int bits = size * 8;
        dst &= m;
        src &= m;
        if (count == 0) {
            return dst;
        }
        int r;
        int cf;
        if (size == 4) {
            long wide = left ? ((dst & 0xffffffffL) << 32) | (src & 0xffffffffL)
                    : ((src & 0xffffffffL) << 32) | (dst & 0xffffffffL);
            if (left) {
                r = (int) (wide << count >>> 32);
                cf = (int) (wide >>> (64 - count)) & 1;
            } else {
                r = (int) (wide >>> count);
                cf = (int) (wide >>> (count - 1)) & 1;
            }
        } else {
            // 16-bit: QEMU forms the 48-bit value dst:src:dst and shifts it, so counts 17..31 are defined there
            long wide = left ? ((long) dst << 32) | ((long) src << 16) | dst : ((long) dst << 32) | ((long) dst << 16) | src;
            if (left) {
                long s = wide << count;
                r = (int) (s >>> 32) & m;
                cf = (int) (s >>> 48) & 1;
            } else {
                wide = ((long) dst << 32) | ((long) src << 16) | dst;
                long w2 = ((long) dst) | ((long) src << 16) | ((long) dst << 32);
                long s = w2 >>> count;
                r = (int) s & m;
                cf = (int) (w2 >>> (count - 1)) & 1;
            }
        }
        // OF: defined for count 1 (sign change); for larger counts QEMU compares with the count-1 result
        int prev = count == 1 ? dst : doubleShiftValue(left, dst, src, count - 1, size);
        int of = ((r ^ prev) >>> (bits - 1)) & 1;
        int f = c.getEflags();
        Alu.setArith(c, (f & ~Vcpu.ARITH) | szp(r, size) | cf | (of != 0 ? OF : 0));
        return r;
    }

    private static int doubleShiftValue(boolean left, int dst, int src, int count, int size) {
        if (size == 4) {
            long wide = left ? ((dst & 0xffffffffL) << 32) | (src & 0xffffffffL)
                    : ((src & 0xffffffffL) << 32) | (dst & 0xffffffffL);
            return left ? (int) (wide << count >>> 32) : (int) (wide >>> count);
        }
        if (left) {
            long wide = ((long) dst << 32) | ((long) src << 16) | dst;
            return (int) ((wide << count) >>> 32) & 0xffff;
        }
        long w2 = ((long) dst) | ((long) src << 16) | ((long) dst << 32);
        return (int) (w2 >>> count) & 0xffff;
    }
}
