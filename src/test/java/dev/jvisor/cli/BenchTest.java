package dev.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The benchmark workload computes what its Java model says (so `jvisor bench` measures real work, not a fault loop). */
class BenchTest {
    @Test
    void workloadMatchesModelAndTakesNoException() {
        Bench.Workload w = new Bench.Workload();
        w.run(100_000); // throws if any exception or unexpected exit happens
        assertNull(w.check());
        assertTrue(w.iterations() > 50, "iterations " + w.iterations());
        assertEquals(Bench.CODE, w.vcpu.eip);
    }

    @Test
    void checkDetectsCorruptedResult() {
        Bench.Workload w = new Bench.Workload();
        w.run(10_000);
        assertNull(w.check());
        w.ram.set(ValueLayout.JAVA_BYTE, Bench.ARR + 8, (byte) (w.ram.get(ValueLayout.JAVA_BYTE, Bench.ARR + 8) ^ 1));
        assertTrue(w.check() != null);
    }
}
