package dev.jvisor.cpu.fpu;

import java.math.BigInteger;

/**
 * Our own IEEE 754 soft-float for the x87 double extended format (SDM Vol.1 chapter 4 and 8.5): exact
 * intermediate results in 128 bits, then one rounding step honouring the control word's rounding control
 * (RC) and, for the arithmetic that the SDM says it applies to, precision control (PC, SDM Vol.1 8.1.5.2).
 * One instance belongs to one {@link X87}; {@link #begin} sets the control word for an instruction and
 * clears the exception flags it accumulates.
 */
final class SoftFloat {
    static final int IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40;
    static final int RC_NEAR = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;

    /** Extended format exponent range (unbiased) of normal numbers. */
    static final int EMIN80 = -16382, EMAX80 = 16383;
    /** SDM Vol.1 4.9.1.4/4.9.1.5: bias adjustment for unmasked overflow/underflow with a register destination. */
    static final int BIAS_ADJUST = 24576;

    int rc;
    /** Precision control in bits (24, 53 or 64). */
    int pcBits;
    /** Exception masks (CW bits 0..5): a set bit means masked. */
    int masks;
    int flags;
    boolean roundedUp;

    // result of round(): kind, sign, exponent (unbiased) and left-aligned significand
    static final int K_ZERO = 0, K_NORMAL = 1, K_DENORMAL = 2, K_INF = 3;
    int rKind;
    boolean rSign;
    int rExp;
    long rSig;

    void begin(int cw) {
        rc = (cw >> 10) & 3;
        int pc = (cw >> 8) & 3;
        pcBits = pc == 0 ? 24 : pc == 2 ? 53 : 64; // PC=01 is reserved; treated as 64 (like QEMU)
        masks = cw & 0x3F;
        flags = 0;
        roundedUp = false;
    }

    boolean unmasked(int f) {
        return (f & ~masks & 0x3F) != 0;
    }

    /** True when an unmasked pre-computation exception (IE, DE, ZE) was raised: the result must not be stored. */
    boolean aborted() {
        return unmasked(flags & (IE | DE | ZE));
    }

    // ------------------------------------------------------------------------------------------------
    // Rounding (SDM Vol.1 4.8.4, 4.9.1.4, 4.9.1.5)

    /**
     * Rounds the value {@code (hi:lo) * 2^(exp-127)} to {@code p} significand bits for a format whose normal
     * exponents are eMin..eMax; the result lands in rKind/rSign/rExp/rSig. Tininess is detected after rounding
     * (as x87 does); a masked underflow is signalled only when the result is also inexact. When
     * {@code regDest} is set and OE/UE is unmasked the result is bias-adjusted instead (register destinations).
     */
    void round(boolean sign, int exp, long hi, long lo, int p, int eMin, int eMax, boolean regDest) {
        rSign = sign;
        if (hi == 0 && lo == 0) {
            rKind = K_ZERO;
            rExp = 0;
            rSig = 0;
            return;
        }
        int sh = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
        if (sh >= 64) {
            hi = lo << (sh - 64);
            lo = 0;
        } else if (sh > 0) {
            hi = (hi << sh) | (lo >>> (64 - sh));
            lo <<= sh;
        }
        exp -= sh;
        boolean tiny = false;
        if (exp < eMin) {
            // tininess after rounding: tiny unless rounding at the unbounded exponent reaches 2^eMin
            tiny = !(exp == eMin - 1 && roundCarries(sign, hi, lo, p));
            if (regDest && unmasked(UE)) {
                flags |= UE;
                exp += BIAS_ADJUST;
                tiny = false;
                if (exp < eMin) { // still too small: deliver the masked response
                    tiny = true;
                }
            }
        }
        if (exp < eMin) {
            int d = eMin - exp;
            if (d >= 128) {
                lo = (hi | lo) != 0 ? 1 : 0;
                hi = 0;
            } else if (d >= 64) {
                long st = (lo != 0 || (hi << (128 - d)) != 0) ? 1 : 0;
                lo = (d == 64 ? hi : hi >>> (d - 64)) | st;
                hi = 0;
            } else {
                long st = (lo << (64 - d)) != 0 ? 1 : 0;
                lo = (lo >>> d) | (hi << (64 - d)) | st;
                hi >>>= d;
            }
            exp = eMin;
        }
        int s = 64 - p;
        long keep;
        boolean rbit, sticky;
        if (s == 0) {
            keep = hi;
            rbit = lo < 0;
            sticky = (lo << 1) != 0;
        } else {
            keep = hi >>> s;
            rbit = ((hi >>> (s - 1)) & 1) != 0;
            sticky = (hi & ((1L << (s - 1)) - 1)) != 0 || lo != 0;
        }
        boolean inexact = rbit || sticky;
        boolean inc = switch (rc) {
            case RC_NEAR -> rbit && (sticky || (keep & 1) != 0);
            case RC_DOWN -> inexact && sign;
            case RC_UP -> inexact && !sign;
            default -> false;
        };
        if (inc) {
            keep++;
            if (s == 0 ? keep == 0 : keep == (1L << p)) {
                keep = 1L << (p - 1);
                exp++;
            }
            roundedUp = true;
        }
        long sig = s == 0 ? keep : keep << s;
        if (inexact) {
            flags |= PE;
            if (tiny) flags |= UE;
        } else if (tiny && unmasked(UE)) {
            flags |= UE;
        }
        if (sig == 0) {
            rKind = K_ZERO;
            rExp = 0;
            rSig = 0;
            return;
        }
        if (sig > 0) { // integer bit clear: denormal (only possible at exp == eMin)
            rKind = K_DENORMAL;
            rExp = eMin;
            rSig = sig;
            return;
        }
        if (exp > eMax) {
            if (regDest && unmasked(OE)) {
                flags |= OE;
                exp -= BIAS_ADJUST;
                if (exp <= eMax) {
                    rKind = K_NORMAL;
                    rExp = exp;
                    rSig = sig;
                    return;
                }
            }
            flags |= OE | PE;
            boolean toInf = rc == RC_NEAR || (rc == RC_UP && !sign) || (rc == RC_DOWN && sign);
            if (toInf) {
                rKind = K_INF;
                roundedUp = true;
            } else {
                rKind = K_NORMAL;
                rExp = eMax;
                rSig = s == 0 ? -1L : -1L << s;
                roundedUp = false;
            }
            return;
        }
        rKind = K_NORMAL;
        rExp = exp;
        rSig = sig;
    }

    private boolean roundCarries(boolean sign, long hi, long lo, int p) {
        int s = 64 - p;
        long keep;
        boolean rbit, sticky;
        if (s == 0) {
            keep = hi;
            rbit = lo < 0;
            sticky = (lo << 1) != 0;
        } else {
            keep = hi >>> s;
            rbit = ((hi >>> (s - 1)) & 1) != 0;
            sticky = (hi & ((1L << (s - 1)) - 1)) != 0 || lo != 0;
        }
        boolean inexact = rbit || sticky;
        boolean inc = switch (rc) {
            case RC_NEAR -> rbit && (sticky || (keep & 1) != 0);
            case RC_DOWN -> inexact && sign;
            case RC_UP -> inexact && !sign;
            default -> false;
        };
        if (!inc) return false;
        keep++;
        return s == 0 ? keep == 0 : keep == (1L << p);
    }

    /** Packs the last round() result as double extended. */
    F80 pack80() {
        int sgn = rSign ? 0x8000 : 0;
        return switch (rKind) {
            case K_ZERO -> new F80(sgn, 0);
            case K_INF -> new F80(sgn | 0x7FFF, F80.J);
            case K_DENORMAL -> new F80(sgn, rSig);
            default -> new F80(sgn | (rExp + F80.BIAS), rSig);
        };
    }

    /** Rounds to the extended format with the given precision (register destination). */
    F80 round80(boolean sign, int exp, long hi, long lo, int p) {
        round(sign, exp, hi, lo, p, EMIN80, EMAX80, true);
        return pack80();
    }

    // ------------------------------------------------------------------------------------------------
    // Operand screening (SDM Vol.1 4.8.3.5, 4.9.1.1, 4.9.1.2, Table 4-7)

    /** NaN or unsupported result for a one-operand operation, or null when a is an ordinary operand. */
    F80 nanCheck1(F80 a) {
        if (a.isUnsupported()) {
            flags |= IE;
            return F80.INDEFINITE;
        }
        if (a.isNaN()) {
            if (a.isSNaN()) flags |= IE;
            return a.quiet();
        }
        return null;
    }

    /** NaN result for a two-operand operation per SDM Vol.1 Table 4-7, or null when neither is a NaN. */
    F80 nanCheck2(F80 a, F80 b) {
        if (a.isUnsupported() || b.isUnsupported()) {
            flags |= IE;
            return F80.INDEFINITE;
        }
        boolean an = a.isNaN(), bn = b.isNaN();
        if (!an && !bn) return null;
        if (a.isSNaN() || b.isSNaN()) flags |= IE;
        if (an && bn) {
            if (a.isSNaN() != b.isSNaN()) return a.isSNaN() ? b : a; // SNaN and QNaN: the QNaN
            int c = Long.compareUnsigned(a.sig() << 1, b.sig() << 1);
            if (c == 0) return (a.sign() ? b : a).quiet(); // equal significands: the positive one
            return (c > 0 ? a : b).quiet();
        }
        return (an ? a : b).quiet();
    }

    void denormalCheck(F80 a) {
        if (a.isDenormal()) flags |= DE;
    }

    F80 invalid() {
        flags |= IE;
        return F80.INDEFINITE;
    }

    // ------------------------------------------------------------------------------------------------
    // Arithmetic (SDM Vol.1 4.8, 8.3.5): results rounded to PC precision

    F80 add(F80 a, F80 b, boolean subtract) {
        F80 n = nanCheck2(a, b);
        if (n != null) return n;
        if (subtract) b = b.negate();
        if (a.isInf() || b.isInf()) {
            if (a.isInf() && b.isInf() && a.sign() != b.sign()) return invalid();
            denormalCheck(a);
            denormalCheck(b);
            return a.isInf() ? a : b;
        }
        denormalCheck(a);
        denormalCheck(b);
        if (aborted()) return null;
        if (a.isZero() && b.isZero()) {
            boolean neg = a.sign() == b.sign() ? a.sign() : rc == RC_DOWN;
            return neg ? F80.NEG_ZERO : F80.POS_ZERO;
        }
        if (a.isZero()) return round80(b.sign(), b.normExp(), b.normSig(), 0, pcBits);
        if (b.isZero()) return round80(a.sign(), a.normExp(), a.normSig(), 0, pcBits);
        int ea = a.normExp(), eb = b.normExp();
        long sa = a.normSig(), sb = b.normSig();
        boolean signA = a.sign(), signB = b.sign();
        if (ea < eb || (ea == eb && Long.compareUnsigned(sa, sb) < 0)) { // |a| >= |b| from here on
            int te = ea; ea = eb; eb = te;
            long ts = sa; sa = sb; sb = ts;
            boolean tb = signA; signA = signB; signB = tb;
        }
        int d = ea - eb;
        long bh, bl;
        if (d == 0) { bh = sb; bl = 0; }
        else if (d < 64) { bh = sb >>> d; bl = sb << (64 - d); }
        else if (d < 128) { bh = 0; bl = (d == 64 ? sb : sb >>> (d - 64)) | ((d > 64 && (sb << (128 - d)) != 0) ? 1 : 0); }
        else { bh = 0; bl = 1; }
        long hi, lo;
        int exp = ea;
        if (signA == signB) {
            lo = bl;
            hi = sa + bh; // may carry out of bit 63
            if (Long.compareUnsigned(hi, sa) < 0) {
                lo = (lo >>> 1) | (hi << 63) | (lo & 1);
                hi = (hi >>> 1) | F80.J;
                exp++;
            }
        } else {
            lo = 0 - bl;
            hi = sa - bh - (bl != 0 ? 1 : 0);
            if (hi == 0 && lo == 0) {
                return rc == RC_DOWN ? F80.NEG_ZERO : F80.POS_ZERO;
            }
        }
        return round80(signA, exp, hi, lo, pcBits);
    }

    F80 mul(F80 a, F80 b) {
        F80 n = nanCheck2(a, b);
        if (n != null) return n;
        boolean sign = a.sign() ^ b.sign();
        if (a.isInf() || b.isInf()) {
            if (a.isZero() || b.isZero()) return invalid();
            denormalCheck(a);
            denormalCheck(b);
            return sign ? F80.NEG_INF : F80.POS_INF;
        }
        denormalCheck(a);
        denormalCheck(b);
        if (aborted()) return null;
        if (a.isZero() || b.isZero()) return sign ? F80.NEG_ZERO : F80.POS_ZERO;
        long sa = a.normSig(), sb = b.normSig();
        long hi = Math.unsignedMultiplyHigh(sa, sb), lo = sa * sb;
        return round80(sign, a.normExp() + b.normExp() + 1, hi, lo, pcBits);
    }

    F80 div(F80 a, F80 b) {
        F80 n = nanCheck2(a, b);
        if (n != null) return n;
        boolean sign = a.sign() ^ b.sign();
        if (a.isInf()) {
            if (b.isInf()) return invalid();
            denormalCheck(b);
            return sign ? F80.NEG_INF : F80.POS_INF;
        }
        if (b.isInf()) {
            denormalCheck(a);
            return sign ? F80.NEG_ZERO : F80.POS_ZERO;
        }
        if (b.isZero()) {
            if (a.isZero()) return invalid();
            denormalCheck(a);
            if (aborted()) return null;
            flags |= ZE;
            if (aborted()) return null;
            return sign ? F80.NEG_INF : F80.POS_INF;
        }
        denormalCheck(a);
        denormalCheck(b);
        if (aborted()) return null;
        if (a.isZero()) return sign ? F80.NEG_ZERO : F80.POS_ZERO;
        long sa = a.normSig(), sb = b.normSig();
        // restoring division: 128 quotient bits of sa/sb, first bit weighs 2^0
        long qh = 0, ql = 0, rem = sa;
        boolean carry = false;
        for (int i = 0; i < 128; i++) {
            boolean bit = carry || Long.compareUnsigned(rem, sb) >= 0;
            if (bit) rem -= sb;
            qh = (qh << 1) | (ql >>> 63);
            ql = (ql << 1) | (bit ? 1 : 0);
            carry = rem < 0;
            rem <<= 1;
        }
        if (rem != 0 || carry) ql |= 1;
        return round80(sign, a.normExp() - b.normExp(), qh, ql, pcBits);
    }

    F80 sqrt(F80 a) {
        F80 n = nanCheck1(a);
        if (n != null) return n;
        if (a.isZero()) return a;
        if (a.sign()) return invalid();
        if (a.isInf()) return a;
        denormalCheck(a);
        if (aborted()) return null;
        int e = a.normExp();
        BigInteger m = new BigInteger(Long.toUnsignedString(a.normSig()));
        // value = m * 2^(e-63) = (m << (192+extra)) * 2^(e-255-extra) with an even exponent
        int extra = (e - 255) & 1;
        BigInteger big = m.shiftLeft(192 + extra);
        BigInteger r = big.sqrt();
        boolean sticky = !r.multiply(r).equals(big);
        int rexp2 = (e - 255 - extra) / 2; // exact: numerator even
        return roundBig(false, r, sticky, rexp2, pcBits);
    }

    /** Rounds magnitude {@code r * 2^scale} (+ sticky) to the extended format with p bits. */
    F80 roundBig(boolean sign, BigInteger r, boolean sticky, int scale, int p) {
        int bl = r.bitLength();
        if (bl == 0) {
            if (!sticky) return sign ? F80.NEG_ZERO : F80.POS_ZERO;
            return round80(sign, scale - 127, 0, 1, p);
        }
        BigInteger top;
        if (bl > 128) {
            BigInteger low = r.subtract(r.shiftRight(bl - 128).shiftLeft(bl - 128));
            sticky |= low.signum() != 0;
            top = r.shiftRight(bl - 128);
        } else {
            top = r.shiftLeft(128 - bl);
        }
        long hi = top.shiftRight(64).longValue();
        long lo = top.longValue() | (sticky ? 1 : 0);
        return round80(sign, bl - 1 + scale, hi, lo, p);
    }

    // ------------------------------------------------------------------------------------------------
    // Comparison (SDM Vol.1 8.3.7)

    static final int CMP_LT = -1, CMP_EQ = 0, CMP_GT = 1, CMP_UN = 2;

    /** Compares a with b; quiet = FUCOM semantics (QNaN does not raise IE). */
    int compare(F80 a, F80 b, boolean quiet) {
        if (a.isUnsupported() || b.isUnsupported() || a.isSNaN() || b.isSNaN()) {
            flags |= IE;
            return CMP_UN;
        }
        if (a.isNaN() || b.isNaN()) {
            if (!quiet) flags |= IE;
            return CMP_UN;
        }
        denormalCheck(a);
        denormalCheck(b);
        if (a.isZero() && b.isZero()) return CMP_EQ;
        if (a.sign() != b.sign()) return a.sign() ? CMP_LT : CMP_GT;
        int c;
        if (a.isInf() || b.isInf()) {
            c = a.isInf() && b.isInf() ? 0 : a.isInf() ? 1 : -1;
        } else if (a.isZero() || b.isZero()) {
            c = a.isZero() ? -1 : 1;
        } else {
            int ea = a.normExp(), eb = b.normExp();
            c = ea != eb ? Integer.compare(ea, eb) : Long.compareUnsigned(a.normSig(), b.normSig());
        }
        if (a.sign()) c = -c;
        return c < 0 ? CMP_LT : c > 0 ? CMP_GT : CMP_EQ;
    }

    // ------------------------------------------------------------------------------------------------
    // Conversions (SDM Vol.1 4.2, 8.3.3, 4.8.3.7)

    F80 fromFloat32(int bits) {
        boolean sign = bits < 0;
        int e = (bits >>> 23) & 0xFF;
        long frac = bits & 0x7FFFFFL;
        int sgn = sign ? 0x8000 : 0;
        if (e == 0xFF) {
            if (frac == 0) return new F80(sgn | 0x7FFF, F80.J);
            F80 nan = new F80(sgn | 0x7FFF, F80.J | (frac << 40));
            if ((frac & 0x400000) == 0) {
                flags |= IE;
                nan = nan.quiet();
            }
            return nan;
        }
        if (e == 0) {
            if (frac == 0) return new F80(sgn, 0);
            flags |= DE;
            int sh = Long.numberOfLeadingZeros(frac);
            return new F80(sgn | (-126 - (sh - 40) + F80.BIAS), frac << sh);
        }
        return new F80(sgn | (e - 127 + F80.BIAS), F80.J | (frac << 40));
    }

    F80 fromFloat64(long bits) {
        boolean sign = bits < 0;
        int e = (int) ((bits >>> 52) & 0x7FF);
        long frac = bits & 0xFFFFFFFFFFFFFL;
        int sgn = sign ? 0x8000 : 0;
        if (e == 0x7FF) {
            if (frac == 0) return new F80(sgn | 0x7FFF, F80.J);
            F80 nan = new F80(sgn | 0x7FFF, F80.J | (frac << 11));
            if ((frac & 0x8000000000000L) == 0) {
                flags |= IE;
                nan = nan.quiet();
            }
            return nan;
        }
        if (e == 0) {
            if (frac == 0) return new F80(sgn, 0);
            flags |= DE;
            int sh = Long.numberOfLeadingZeros(frac);
            return new F80(sgn | (-1022 - (sh - 11) + F80.BIAS), frac << sh);
        }
        return new F80(sgn | (e - 1023 + F80.BIAS), F80.J | (frac << 11));
    }

    static F80 fromLong(long v) {
        if (v == 0) return F80.POS_ZERO;
        boolean neg = v < 0;
        long m = neg ? -v : v; // -2^63 stays 0x8000..., read as unsigned
        int sh = Long.numberOfLeadingZeros(m);
        return new F80((neg ? 0x8000 : 0) | (63 - sh + F80.BIAS), m << sh);
    }

    /** FST m32: returns the bits to store (rounded per RC); caller checks flags for unmasked exceptions. */
    int toFloat32(F80 a) {
        int sgn = a.sign() ? 0x80000000 : 0;
        if (a.isUnsupported()) { flags |= IE; return 0xFFC00000; }
        if (a.isNaN()) {
            if (a.isSNaN()) flags |= IE;
            return sgn | 0x7FC00000 | (int) ((a.sig() >>> 40) & 0x3FFFFF);
        }
        if (a.isInf()) return sgn | 0x7F800000;
        if (a.isZero()) return sgn;
        round(a.sign(), a.normExp(), a.normSig(), 0, 24, -126, 127, false);
        return switch (rKind) {
            case K_ZERO -> sgn;
            case K_INF -> sgn | 0x7F800000;
            case K_DENORMAL -> sgn | (int) (rSig >>> 40);
            default -> sgn | ((rExp + 127) << 23) | (int) ((rSig >>> 40) & 0x7FFFFF);
        };
    }

    long toFloat64(F80 a) {
        long sgn = a.sign() ? Long.MIN_VALUE : 0;
        if (a.isUnsupported()) { flags |= IE; return 0xFFF8000000000000L; }
        if (a.isNaN()) {
            if (a.isSNaN()) flags |= IE;
            return sgn | 0x7FF8000000000000L | ((a.sig() >>> 11) & 0x7FFFFFFFFFFFFL);
        }
        if (a.isInf()) return sgn | 0x7FF0000000000000L;
        if (a.isZero()) return sgn;
        round(a.sign(), a.normExp(), a.normSig(), 0, 53, -1022, 1023, false);
        return switch (rKind) {
            case K_ZERO -> sgn;
            case K_INF -> sgn | 0x7FF0000000000000L;
            case K_DENORMAL -> sgn | (rSig >>> 11);
            default -> sgn | ((long) (rExp + 1023) << 52) | ((rSig >>> 11) & 0xFFFFFFFFFFFFFL);
        };
    }

    /**
     * Rounds a finite value to an integer per RC (SDM Vol.1 4.8.4). Returns the magnitude as unsigned long
     * and sets {@link #intOverflow} when it does not fit in 64 bits; sets PE/roundedUp for inexact results.
     */
    boolean intOverflow;

    long roundToInt(F80 a, int mode) {
        intOverflow = false;
        if (a.isZero()) return 0;
        int e = a.normExp();
        long sig = a.normSig();
        if (e >= 64) { intOverflow = true; return 0; }
        if (e == 63) return sig;
        int shift = 63 - e; // >= 1
        long ip;
        boolean rbit, sticky;
        if (shift >= 65) {
            ip = 0; rbit = false; sticky = true;
        } else if (shift == 64) {
            ip = 0; rbit = sig < 0; sticky = (sig << 1) != 0;
        } else {
            ip = sig >>> shift;
            long frac = sig << (64 - shift);
            rbit = frac < 0;
            sticky = (frac << 1) != 0;
        }
        boolean inexact = rbit || sticky;
        boolean inc = switch (mode) {
            case RC_NEAR -> rbit && (sticky || (ip & 1) != 0);
            case RC_DOWN -> inexact && a.sign();
            case RC_UP -> inexact && !a.sign();
            default -> false;
        };
        if (inexact) flags |= PE;
        if (inc) {
            ip++;
            roundedUp = true;
            if (ip == 0) intOverflow = true;
        }
        return ip;
    }

    /** FRNDINT (SDM Vol.2 FRNDINT): round to integral value per RC, precision control not applied. */
    F80 roundInt(F80 a) {
        F80 n = nanCheck1(a);
        if (n != null) return n;
        if (a.isInf() || a.isZero()) return a;
        denormalCheck(a);
        if (aborted()) return null;
        if (a.normExp() >= 63) return a;
        long m = roundToInt(a, rc);
        if (intOverflow) return new F80((a.sign() ? 0x8000 : 0) | (64 + F80.BIAS), F80.J); // 2^64
        if (m == 0) return a.sign() ? F80.NEG_ZERO : F80.POS_ZERO;
        int sh = Long.numberOfLeadingZeros(m);
        return new F80((a.sign() ? 0x8000 : 0) | (63 - sh + F80.BIAS), m << sh);
    }

    /** Converts to a signed integer of {@code bits} (16/32/64) for FIST; returns null on invalid. */
    Long toInt(F80 a, int bits) {
        if (a.isNaN() || a.isInf() || a.isUnsupported()) {
            flags |= IE;
            return null;
        }
        int savedFlags = flags;
        boolean savedUp = roundedUp;
        long m = roundToInt(a, rc);
        long limit = 1L << (bits - 1); // magnitude limit for positive; negative may reach limit
        boolean ok = !intOverflow && (a.sign() ? Long.compareUnsigned(m, limit) <= 0 : Long.compareUnsigned(m, limit) < 0);
        if (bits == 64 && !intOverflow) ok = a.sign() ? Long.compareUnsigned(m, Long.MIN_VALUE) <= 0 : m >= 0;
        if (!ok) {
            flags = savedFlags | IE; // invalid takes precedence over inexact
            roundedUp = savedUp;
            return null;
        }
        return a.sign() ? -m : m;
    }
}
