package dev.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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

    @Test
    void engineListMeasuresEachInTurnAndRejectsUnknownOnesFirst() {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int ok, bad;
        try {
            ok = new CommandLine(new Main()).execute("bench", "--accel", "interp,bt", "--instructions", "200000",
                    "--runs", "1", "--warmup", "0");
            bad = new CommandLine(new Main()).execute("bench", "--accel", "interp,jit", "--instructions", "200000",
                    "--runs", "1", "--warmup", "0");
        } finally {
            System.setOut(oldOut);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, ok, text);
        assertTrue(text.indexOf("interpreter") >= 0 && text.indexOf("interpreter") < text.indexOf("binary translator"), text);
        assertEquals(2, text.split("result verified", -1).length - 1, text);
        assertEquals(1, bad);
        assertEquals(2, text.split("jvisor bench:", -1).length - 1, "nothing measured for a list with an unknown engine:\n" + text);
    }
}
