package dev.jvisor.vmm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

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
    private static final MethodHandle PRCTL;

    static {
        MethodHandle prctl = null;
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                // int prctl(int option, ...): the second argument is variadic (an unsigned long)
                prctl = linker.downcallHandle(linker.defaultLookup().find("prctl").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                        Linker.Option.firstVariadicArg(1));
            } catch (RuntimeException e) {
                prctl = null; // native access refused or no prctl: keep the default slack
            }
        }
        PRCTL = prctl;
    }

    /** Sets the calling thread's timer slack; true if the host accepted it. */
    static boolean set(long nanos) {
        if (PRCTL == null) {
            return false;
        }
        try {
            return (int) PRCTL.invokeExact(PR_SET_TIMERSLACK, nanos) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The calling thread's timer slack in nanoseconds; -1 if unknown. */
    static long get() {
        if (PRCTL == null) {
            return -1;
        }
        try {
            return (int) PRCTL.invokeExact(PR_GET_TIMERSLACK, 0L);
        } catch (Throwable t) {
            return -1;
        }
    }
}
