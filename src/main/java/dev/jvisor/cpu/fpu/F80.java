package dev.jvisor.cpu.fpu;

/**
 * A raw double extended-precision value as the x87 holds it (SDM Vol.1 4.2.2, Figure 4-3): {@code se} is
 * the sign (bit 15) and 15-bit biased exponent, {@code sig} the 64-bit significand with its explicit
 * integer bit J (bit 63). Classification follows SDM Vol.1 8.2.2 (Table 8-3) including the encodings
 * the 387 and later reject as unsupported (pseudo-NaN, pseudo-infinity, unnormal).
 */
record F80(int se, long sig) {
    static final int BIAS = 16383;
    static final long J = 0x8000000000000000L;
    static final long QUIET = 0x4000000000000000L;

    static final F80 POS_ZERO = new F80(0, 0);
    static final F80 NEG_ZERO = new F80(0x8000, 0);
    static final F80 ONE = new F80(0x3FFF, J);
    static final F80 POS_INF = new F80(0x7FFF, J);
    static final F80 NEG_INF = new F80(0xFFFF, J);
    /** The default "real indefinite" QNaN (SDM Vol.1 4.8.3.7). */
    static final F80 INDEFINITE = new F80(0xFFFF, 0xC000000000000000L);

    F80 {
        se &= 0xFFFF;
    }

    boolean sign() { return (se & 0x8000) != 0; }
    int exp() { return se & 0x7FFF; }
    boolean isZero() { return exp() == 0 && sig == 0; }
    boolean isInf() { return exp() == 0x7FFF && sig == J; }
    boolean isNaN() { return exp() == 0x7FFF && sig < 0 && (sig << 1) != 0; }
    boolean isSNaN() { return isNaN() && (sig & QUIET) == 0; }
    boolean isQNaN() { return isNaN() && (sig & QUIET) != 0; }
    /** Denormal or pseudo-denormal (exponent 0, nonzero significand). */
    boolean isDenormal() { return exp() == 0 && sig != 0; }
    /** Unnormal, pseudo-NaN, pseudo-infinity: J bit clear with a nonzero exponent (SDM Vol.1 8.2.2). */
    boolean isUnsupported() { return exp() != 0 && sig >= 0; }
    boolean isFiniteNonZero() { return exp() != 0x7FFF && !isZero() && !isUnsupported(); }

    F80 negate() { return new F80(se ^ 0x8000, sig); }
    F80 abs() { return new F80(se & 0x7FFF, sig); }
    F80 withSign(boolean neg) { return new F80(neg ? se | 0x8000 : se & 0x7FFF, sig); }
    F80 quiet() { return new F80(se, sig | QUIET); }

    /** Unbiased exponent of the value normalised so that bit 63 of {@link #normSig()} is set. */
    int normExp() {
        if (exp() != 0) return exp() - BIAS;
        return 1 - BIAS - Long.numberOfLeadingZeros(sig);
    }

    long normSig() {
        return exp() != 0 ? sig : sig << Long.numberOfLeadingZeros(sig);
    }

    /** Tag per SDM Vol.1 8.1.7: 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unsupported). */
    int tag() {
        if (isZero()) return 1;
        if (exp() == 0 || exp() == 0x7FFF || sig >= 0) return 2;
        return 0;
    }

    @Override
    public String toString() {
        return String.format("%04X:%016X", se, sig);
    }
}
