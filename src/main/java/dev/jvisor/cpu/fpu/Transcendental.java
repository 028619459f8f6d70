package dev.jvisor.cpu.fpu;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * High-precision kernels for the x87 transcendental instructions (SDM Vol.1 8.3.10, Vol.2 F2XM1, FYL2X,
 * FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS, FPTAN). Everything is computed with {@link BigDecimal} to about
 * 190 bits and then rounded once into the 64-bit significand, so results are correctly rounded except in
 * astronomically rare near-tie cases (far better than the SDM's 1-ulp bound). Trigonometric arguments are
 * reduced exactly modulo pi/2 with a ~600-bit pi (like QEMU's host libm; a real P6 uses a 66-bit pi).
 * Speed is secondary here.
 */
final class Transcendental {
    private Transcendental() {}

    static final MathContext MC = new MathContext(60, RoundingMode.HALF_EVEN);
    private static final MathContext WIDE = new MathContext(200, RoundingMode.HALF_EVEN);
    static final BigDecimal PI = computePi();
    static final BigDecimal HALF_PI = PI.divide(BigDecimal.valueOf(2), WIDE);
    static final BigDecimal LN2 = atanhSeries(BigDecimal.ONE.divide(BigDecimal.valueOf(3), MC), MC).multiply(BigDecimal.valueOf(2), MC);

    /** pi by Machin's formula, pi = 16 atan(1/5) - 4 atan(1/239), to 200 digits. */
    private static BigDecimal computePi() {
        BigDecimal a = atanInv(5, WIDE), b = atanInv(239, WIDE);
        return a.multiply(BigDecimal.valueOf(16)).subtract(b.multiply(BigDecimal.valueOf(4))).round(WIDE);
    }

    private static BigDecimal atanInv(int n, MathContext mc) {
        BigDecimal x = BigDecimal.ONE.divide(BigDecimal.valueOf(n), mc);
        BigDecimal x2 = x.multiply(x, mc), term = x, sum = x;
        BigDecimal eps = BigDecimal.ONE.movePointLeft(mc.getPrecision() + 5);
        for (int k = 1; term.abs().compareTo(eps) > 0; k++) {
            term = term.multiply(x2, mc).negate();
            sum = sum.add(term.divide(BigDecimal.valueOf(2L * k + 1), mc), mc);
        }
        return sum;
    }

    /** Exact value of a finite F80. */
    static BigDecimal toBig(F80 a) {
        if (a.isZero()) return BigDecimal.ZERO;
        BigDecimal m = new BigDecimal(new BigInteger(Long.toUnsignedString(a.normSig())));
        int e = a.normExp() - 63;
        BigDecimal v = e >= 0 ? m.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(e)))
                : m.multiply(BigDecimal.valueOf(5).pow(-e)).scaleByPowerOfTen(e);
        return a.sign() ? v.negate() : v;
    }

    /** Rounds an (inexact, irrational) value into the extended format with 64-bit precision. */
    static F80 fromBig(SoftFloat sf, BigDecimal v, boolean inexact) {
        if (v.signum() == 0) return F80.POS_ZERO;
        boolean neg = v.signum() < 0;
        BigDecimal a = v.abs();
        // estimate log2(a), then scale to ~140 integer bits
        long est = a.unscaledValue().bitLength() - (long) Math.ceil(a.scale() * 3.321928094887362);
        int k = (int) (140 - est);
        BigDecimal scaled = k >= 0 ? a.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(k)))
                : a.multiply(BigDecimal.valueOf(5).pow(-k)).scaleByPowerOfTen(k);
        BigInteger n = scaled.toBigInteger();
        boolean sticky = inexact || scaled.compareTo(new BigDecimal(n)) != 0;
        return sf.roundBig(neg, n, sticky, -k, 64);
    }

    // ---------------------------------------------------------------------------------------------
    // series kernels

    /** atanh(z) = z + z^3/3 + z^5/5 + ... for |z| <= 1/3. */
    static BigDecimal atanhSeries(BigDecimal z, MathContext mc) {
        BigDecimal z2 = z.multiply(z, mc), p = z, sum = z;
        BigDecimal eps = z.abs().movePointLeft(mc.getPrecision() + 3);
        for (int k = 1; ; k++) {
            p = p.multiply(z2, mc);
            BigDecimal t = p.divide(BigDecimal.valueOf(2L * k + 1), mc);
            sum = sum.add(t, mc);
            if (t.abs().compareTo(eps) <= 0 || k > 2000) return sum;
        }
    }

    /** log2(x) for finite x > 0: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m-1)/(m+1)). */
    static BigDecimal log2(F80 x) {
        int e = x.normExp();
        BigDecimal m = scale2(new BigDecimal(new BigInteger(Long.toUnsignedString(x.normSig()))), -63);
        if (Long.compareUnsigned(x.normSig(), 0xB504F333F9DE6484L) > 0) {
            m = scale2(m, -1);
            e++;
        }
        BigDecimal z = m.subtract(BigDecimal.ONE).divide(m.add(BigDecimal.ONE), MC);
        BigDecimal lnm = atanhSeries(z, MC).multiply(BigDecimal.valueOf(2), MC);
        return lnm.divide(LN2, MC).add(BigDecimal.valueOf(e), MC);
    }

    /** ln(1+x) with full relative precision near zero, x > -1. */
    static BigDecimal ln1p(BigDecimal x) {
        BigDecimal z = x.divide(BigDecimal.valueOf(2).add(x), MC);
        return atanhSeries(z, MC).multiply(BigDecimal.valueOf(2), MC);
    }

    /** e^y - 1 with full relative precision, |y| <= ~1. */
    static BigDecimal expm1(BigDecimal y) {
        BigDecimal term = y, sum = y;
        BigDecimal eps = y.abs().movePointLeft(MC.getPrecision() + 3);
        for (int k = 2; k < 500; k++) {
            term = term.multiply(y, MC).divide(BigDecimal.valueOf(k), MC);
            sum = sum.add(term, MC);
            if (term.abs().compareTo(eps) <= 0) break;
        }
        return sum;
    }

    /** atan(x) for any real x, full relative precision. */
    static BigDecimal atan(BigDecimal x) {
        if (x.signum() < 0) return atan(x.negate()).negate();
        if (x.signum() == 0) return BigDecimal.ZERO;
        if (x.compareTo(BigDecimal.ONE) > 0) {
            return HALF_PI.subtract(atan(BigDecimal.ONE.divide(x, MC)), MC);
        }
        // halve the argument until small: atan(x) = 2 atan(x / (1 + sqrt(1 + x^2)))
        int doublings = 0;
        while (x.compareTo(BigDecimal.valueOf(0.05)) > 0) {
            x = x.divide(BigDecimal.ONE.add(BigDecimal.ONE.add(x.multiply(x, MC)).sqrt(MC)), MC);
            doublings++;
        }
        BigDecimal x2 = x.multiply(x, MC), p = x, sum = x;
        BigDecimal eps = x.movePointLeft(MC.getPrecision() + 3);
        for (int k = 1; k < 2000; k++) {
            p = p.multiply(x2, MC).negate();
            BigDecimal t = p.divide(BigDecimal.valueOf(2L * k + 1), MC);
            sum = sum.add(t, MC);
            if (t.abs().compareTo(eps) <= 0) break;
        }
        return sum.multiply(BigDecimal.valueOf(1L << doublings));
    }

    /** sin(r) and cos(r) for |r| <= pi/4: returns {sin, cos}. */
    static BigDecimal[] sinCosSmall(BigDecimal r) {
        BigDecimal r2 = r.multiply(r, MC);
        BigDecimal s = r, c = BigDecimal.ONE, ts = r, tc = BigDecimal.ONE;
        BigDecimal eps = BigDecimal.ONE.movePointLeft(MC.getPrecision() + 3);
        BigDecimal epsS = r.abs().movePointLeft(MC.getPrecision() + 3);
        for (int k = 1; k < 500; k++) {
            ts = ts.multiply(r2, MC).divide(BigDecimal.valueOf((2L * k) * (2L * k + 1)), MC).negate();
            tc = tc.multiply(r2, MC).divide(BigDecimal.valueOf((2L * k - 1) * (2L * k)), MC).negate();
            s = s.add(ts, MC);
            c = c.add(tc, MC);
            if (ts.abs().compareTo(epsS) <= 0 && tc.abs().compareTo(eps) <= 0) break;
        }
        return new BigDecimal[] {s, c};
    }

    /**
     * sin(x), cos(x) by exact reduction x = k*pi/2 + r, |r| <= pi/4 (|x| < 2^63).
     */
    static BigDecimal[] sinCos(BigDecimal x) {
        BigDecimal q = x.divide(HALF_PI, new MathContext(40, RoundingMode.HALF_EVEN));
        BigInteger k = q.setScale(0, RoundingMode.HALF_EVEN).toBigIntegerExact();
        BigDecimal r = x.subtract(HALF_PI.multiply(new BigDecimal(k)), WIDE).round(MC);
        BigDecimal[] sc = r.signum() == 0 ? new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ONE} : sinCosSmall(r);
        BigDecimal s = sc[0], c = sc[1];
        return switch (k.intValue() & 3) {
            case 0 -> new BigDecimal[] {s, c};
            case 1 -> new BigDecimal[] {c, s.negate()};
            case 2 -> new BigDecimal[] {s.negate(), c.negate()};
            default -> new BigDecimal[] {c.negate(), s};
        };
    }

    /** x * 2^n exactly. */
    static BigDecimal scale2(BigDecimal x, int n) {
        if (n >= 0) return x.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(n)));
        return x.multiply(BigDecimal.valueOf(5).pow(-n)).scaleByPowerOfTen(n);
    }
}
