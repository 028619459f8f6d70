package dev.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The vCPU thread's host timer slack (Linux prctl), which bounds how late a halted guest's timer wakes it. */
class HostTimerSlackTest {
    @Test
    void setsTheCallingThreadsSlackOnLinux() {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"));
        try {
            assertTrue(HostTimerSlack.set(1), "prctl(PR_SET_TIMERSLACK) refused");
            assertEquals(1, HostTimerSlack.get());
        } finally {
            HostTimerSlack.set(0); // 0: back to the thread's default
        }
    }

    @Test
    void realTimeVmLowersItsThreadsSlackWhileItRunsAndIcountDoesNot() throws Exception {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"));
        for (boolean icount : new boolean[] {true, false}) {
            long[] seen = new long[2];
            Thread t = new Thread(() -> {
                HostTimerSlack.set(50_000); // a new thread inherits its creator's slack: start from Linux's default
                Vm vm = new Vm(2 << 20, icount);
                vm.addTimed(new dev.jvisor.bus.Timed() { // a device that looks at the slack while the guest runs
                    @Override
                    public long nextDeadline() {
                        seen[0] = HostTimerSlack.get();
                        return Long.MAX_VALUE;
                    }

                    @Override
                    public void advanceTo(long nowNanos) { }
                });
                vm.stop(Vm.StopReason.HOST_REQUEST, 0); // run() returns at once
                vm.run();
                seen[1] = HostTimerSlack.get();
            });
            t.start();
            t.join();
            assertEquals(icount ? 50_000 : 1, seen[0], "slack while running, icount " + icount);
            assertEquals(50_000, seen[1], "slack restored when run() returns");
        }
    }
}
