package dev.jvisor.vmm;

/**
 * The host timer slack of the calling thread (Linux {@code prctl(PR_SET_TIMERSLACK)}). Linux lets a
 * timed sleep of a normal thread end up to 50 us late (the default slack) so that wake-ups can be
 * batched. A vCPU that halts sleeps until the guest's next timer deadline, so that slack is added
 * to every guest timer the idle guest waits for: on the 2-core development machine a 1.05 ms
 * {@code LockSupport.parkNanos} overslept by a median of ~105 us with the default slack and ~60 us
 * with a slack of 1 ns (the rest is the wake-up itself). The vCPU thread therefore asks for the
 * least slack while it runs the guest in real time. It costs no host CPU (no spinning). Elsewhere
 * than Linux, or when native access is refused, this does nothing.
 */
final class HostTimerSlack {
    private HostTimerSlack() { }

    private static final int PR_SET_TIMERSLACK = 29, PR_GET_TIMERSLACK = 30; // <linux/prctl.h>

    /** Sets the calling thread's timer slack; true if the host accepted it. */
    static boolean set(long nanos) {
        return LinuxSyscall.available() && LinuxSyscall.call(LinuxSyscall.PRCTL, PR_SET_TIMERSLACK, nanos, 0, 0, 0, 0) == 0;
    }

    /** The calling thread's timer slack in nanoseconds; -1 if unknown. */
    static long get() {
        return LinuxSyscall.available() ? LinuxSyscall.call(LinuxSyscall.PRCTL, PR_GET_TIMERSLACK, 0, 0, 0, 0, 0) : -1;
    }
}
