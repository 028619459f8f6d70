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
    void realTimeVmLowersItsThreadsSlackAndIcountDoesNot() throws Exception {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"));
        for (boolean icount : new boolean[] {true, false}) {
            long[] seen = new long[1];
            Thread t = new Thread(() -> {
                Vm vm = new Vm(2 << 20, icount);
                vm.stop(Vm.StopReason.HOST_REQUEST, 0); // run() returns at once
                vm.run();
                seen[0] = HostTimerSlack.get();
            });
            t.start();
            t.join();
            if (icount) {
                assertTrue(seen[0] > 1, "icount never sleeps on host timers: slack left alone, was " + seen[0]);
            } else {
                assertEquals(1, seen[0]);
            }
        }
    }
}
