package dev.jvisor.vmm;

import dev.jvisor.bus.Clock;
import dev.jvisor.cpu.Vcpu;

/**
 * The VM's one clock (DESIGN.md section 5). Host mode: monotonic host time since creation.
 * Instruction-count mode (--icount): one retired guest instruction is one nanosecond, plus the
 * time skipped while the guest halts (the hypervisor jumps the clock to the next timer instead of
 * waiting), so the same guest and inputs give the same output on every run.
 */
public final class VirtualClock implements Clock {
    private final boolean icount;
    private final long start = System.nanoTime();
    private Vcpu vcpu;
    private long skipped;

    public VirtualClock(boolean icount) {
        this.icount = icount;
    }

    void attach(Vcpu vcpu) {
        this.vcpu = vcpu;
    }

    public boolean deterministic() {
        return icount;
    }

    @Override
    public long nanos() {
        if (icount) {
            return (vcpu == null ? 0 : vcpu.icount) + skipped;
        }
        return System.nanoTime() - start;
    }

    /** Instruction-count mode: advance the clock to t while the guest idles. */
    void skipTo(long t) {
        long now = nanos();
        if (t > now) {
            skipped += t - now;
        }
    }

    /** Converts a clock deadline to an instruction-count deadline (icount mode only). */
    long icountAt(long nanosDeadline) {
        return nanosDeadline - skipped;
    }
}
