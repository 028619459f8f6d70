package dev.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.cpu.Vcpu;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bench workload on the interpreter and on the binary translator in lockstep: both run the
 * same number of instructions per step (the preemption timer bounds every step, so translated
 * blocks stop exactly there), and registers, EFLAGS, EIP, icount and all of RAM must agree after
 * every step. Step lengths vary so the boundaries fall at many places inside and between blocks.
 */
class BtBenchDifferentialTest {

    @Test
    void translatorAgreesWithInterpreterInLockstep() {
        Bench.Workload ref = new Bench.Workload("interp");
        Bench.Workload bt = new Bench.Workload("bt");
        bt.vcpu.setBtThreshold(1);
        Random rnd = new Random(42);
        for (int step = 0; step < 4000; step++) {
            int n = step < 2000 ? 1 + rnd.nextInt(40) : 1 + rnd.nextInt(5000);
            ref.run(n);
            bt.run(n);
            compare(ref.vcpu, bt.vcpu, step);
            if (step % 500 == 0) {
                assertEquals(-1, ref.ram.mismatch(bt.ram), "RAM differs after step " + step);
            }
        }
        assertEquals(-1, ref.ram.mismatch(bt.ram), "RAM differs at the end");
        assertNull(bt.check(), "the translated run's result does not match the Java model");
        String stats = bt.vcpu.btStats();
        assertTrue(stats.contains("translated code"), stats);
    }

    private static void compare(Vcpu a, Vcpu b, int step) {
        String at = " after step " + step + " (icount " + a.icount + ")";
        assertEquals(a.icount, b.icount, "icount" + at);
        assertEquals(Integer.toHexString(a.eip), Integer.toHexString(b.eip), "EIP" + at);
        for (int r = 0; r < 8; r++) {
            assertEquals(Integer.toHexString(a.reg[r]), Integer.toHexString(b.reg[r]), "register " + r + at);
        }
        assertEquals(Integer.toHexString(a.getEflags()), Integer.toHexString(b.getEflags()), "EFLAGS" + at);
    }
}
