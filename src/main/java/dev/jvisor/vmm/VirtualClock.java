package dev.jvisor.vmm;

import dev.jvisor.bus.Clock;
import dev.jvisor.cpu.Vcpu;

/**
 * The VM's one clock (DESIGN.md section 5, and docs/ARCHITECTURE.md "Time" for why it is not host
 * time): while the guest runs, one retired instruction is one nanosecond (a 1 GHz TSC); while the
 * guest halts, the clock jumps to the next timer deadline. By default the hypervisor really waits
 * out that idle time on the host, so idle guests keep wall-clock pace; with --icount it does not
 * wait at all, so the same guest and inputs give the same output on every run.
 * Guest time therefore never stalls under the guest's feet (JIT warm-up, a slow exit), which is what
 * the guest's TSC/PIT calibrations need.
 */
public final class VirtualClock implements Clock {
    private final boolean icount;
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
        return (vcpu == null ? 0 : vcpu.icount) + skipped;
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
