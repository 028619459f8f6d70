package dev.jvisor.devices.apic;

import dev.jvisor.bus.Clock;
import java.util.function.LongSupplier;

/**
 * The local APIC timer (SDM Vol. 3A 11.5.4): the LVT timer register's mode (bits 18:17), the
 * initial-count, current-count and divide-configuration registers, and the TSC-deadline mode with
 * IA32_TSC_DEADLINE (11.5.4.1). It only keeps time; the {@link LocalApic} raises the LVT vector when
 * {@link #expire} reports an expiry.
 *
 * <p>The counter decrements once per bus clock divided by the divide configuration. Our bus clock
 * is 1 GHz of virtual time (one tick per virtual nanosecond, as KVM's APIC_BUS_CYCLE_NS = 1), so an
 * initial count N with divide D lasts N*D ns. Deadlines are virtual-clock nanoseconds; the guest
 * TSC is the virtual clock plus the vCPU's TSC offset, read through {@code tsc} when a deadline is
 * armed.
 */
final class ApicTimer {
    static final int MODE_ONE_SHOT = 0, MODE_PERIODIC = 1, MODE_TSC_DEADLINE = 2;
    static final int LVT_MASKED = 1 << 16;
    /** Writable LVT timer bits: vector 7:0, mask 16, timer mode 18:17. */
    static final int LVT_WRITABLE = 0xff | LVT_MASKED | 3 << 17;
    /**
     * Shortest period of the periodic mode (our choice, not architectural): a guest asking for a
     * 1-tick period would otherwise take a timer exit every few instructions.
     */
    static final long MIN_PERIOD_NANOS = 1_000;
    /**
     * A TSC deadline further than this (2^62 ns, 146 years) is treated as never: the virtual clock
     * must not be asked to skip to the end of its range.
     */
    static final long FAR_NANOS = 1L << 62;

    private final Clock clock;
    private final LongSupplier tsc;
    private int lvt = LVT_MASKED;
    private int initialCount;
    private int divideConfig;
    /** Virtual time at which the current count reaches 0, or Long.MAX_VALUE when not armed. */
    private long deadline = Long.MAX_VALUE;
    /** Nanoseconds of one full count (initial count times divisor), for the periodic reload. */
    private long period;
    private long tscDeadline;

    ApicTimer(Clock clock, LongSupplier tsc) {
        this.clock = clock;
        this.tsc = tsc;
    }

    int lvt() {
        return lvt;
    }

    int mode() {
        int m = (lvt >>> 17) & 3;
        return m == 3 ? MODE_ONE_SHOT : m; // 11b is reserved: counted as one-shot
    }

    int vector() {
        return lvt & 0xff;
    }

    boolean masked() {
        return (lvt & LVT_MASKED) != 0;
    }

    /** A write of the LVT timer register. Changing the mode disarms the timer (as KVM's apic_update_lvtt). */
    void writeLvt(int value) {
        int oldMode = mode();
        lvt = value & LVT_WRITABLE;
        if (mode() != oldMode) {
            initialCount = 0;
            tscDeadline = 0;
            deadline = Long.MAX_VALUE;
        }
    }

    /** Sets the mask bit (the software-disabled APIC masks every LVT entry, SDM 11.4.7.2). */
    void mask() {
        lvt |= LVT_MASKED;
    }

    int initialCount() {
        return initialCount;
    }

    /** A write of the initial-count register starts the count (0 stops it); ignored in TSC-deadline mode (11.5.4.1). */
    void writeInitialCount(int value) {
        if (mode() == MODE_TSC_DEADLINE) {
            return;
        }
        initialCount = value;
        if (value == 0) {
            deadline = Long.MAX_VALUE;
            return;
        }
        period = fullCountNanos(value);
        deadline = clock.nanos() + period;
    }

    int divideConfig() {
        return divideConfig;
    }

    /** Bits 0, 1 and 3 select divide by 2, 4, 8, 16, 32, 64, 128 or 1 (Figure 11-10). */
    int divisor() {
        int v = (divideConfig & 3) | (divideConfig & 8) >> 1;
        return v == 7 ? 1 : 2 << v;
    }

    /** A new divisor takes effect at once: the current count carries on at the new rate. */
    void writeDivideConfig(int value) {
        long now = clock.nanos();
        int current = currentCount(now);
        divideConfig = value & 0xb;
        if (mode() != MODE_TSC_DEADLINE && deadline != Long.MAX_VALUE) {
            deadline = now + (long) Math.max(current, 1) * divisor();
            period = fullCountNanos(initialCount);
        }
    }

    /** The current-count register: what is left of the count, 0 once a one-shot count expired and in TSC-deadline mode. */
    int currentCount(long now) {
        if (mode() == MODE_TSC_DEADLINE || deadline == Long.MAX_VALUE || now >= deadline) {
            return 0;
        }
        long ticks = (deadline - now + divisor() - 1) / divisor();
        return (int) Math.min(ticks, initialCount & 0xffffffffL);
    }

    /** IA32_TSC_DEADLINE write: arms at that TSC value, 0 disarms; ignored outside TSC-deadline mode (11.5.4.1). */
    void writeTscDeadline(long value) {
        if (mode() != MODE_TSC_DEADLINE) {
            return;
        }
        tscDeadline = value;
        if (value == 0) {
            deadline = Long.MAX_VALUE;
            return;
        }
        long now = clock.nanos();
        long tscNow = tsc.getAsLong();
        long delta = value - tscNow;
        if (Long.compareUnsigned(value, tscNow) <= 0) {
            deadline = now; // already passed: fires at once
        } else if (delta < 0 || delta > FAR_NANOS) {
            deadline = Long.MAX_VALUE; // centuries away: never in this VM's life (the MSR still reads the value)
        } else {
            deadline = now + delta;
        }
    }

    /** IA32_TSC_DEADLINE read: the armed value, 0 after it fired and outside TSC-deadline mode. */
    long readTscDeadline() {
        return mode() == MODE_TSC_DEADLINE ? tscDeadline : 0;
    }

    long nextDeadline() {
        return deadline;
    }

    /**
     * Called with the current time: true if the timer expired at or before {@code now}. A periodic
     * count reloads (missed periods are merged into one interrupt, as an IRR bit merges them); a
     * one-shot count stops at 0; a TSC deadline disarms and its MSR reads 0.
     */
    boolean expire(long now) {
        if (deadline > now) {
            return false;
        }
        switch (mode()) {
            case MODE_PERIODIC -> {
                long p = Math.max(period, MIN_PERIOD_NANOS);
                deadline += ((now - deadline) / p + 1) * p;
            }
            case MODE_TSC_DEADLINE -> {
                tscDeadline = 0;
                deadline = Long.MAX_VALUE;
            }
            default -> deadline = Long.MAX_VALUE;
        }
        return true;
    }

    /** Back to the power-up state (11.4.7.1): masked one-shot, counts 0. */
    void reset() {
        lvt = LVT_MASKED;
        initialCount = 0;
        divideConfig = 0;
        tscDeadline = 0;
        deadline = Long.MAX_VALUE;
    }

    private long fullCountNanos(int count) {
        long n = (count & 0xffffffffL) * divisor();
        return mode() == MODE_PERIODIC ? Math.max(n, MIN_PERIOD_NANOS) : n;
    }
}
