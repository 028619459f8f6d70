package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * A loop whose body is longer than a unit (40 instructions) but closes within 128 becomes one unit, a JVM
 * loop, instead of a chain of units; a longer one stays split at 40. Code that runs into a loop takes the loop
 * into its unit, as a JVM loop inside it.
 */
class BtLoopUnitTest {
    /** A loop (INC EAX x body, DEC ECX, JNZ back to the start), HLT: runs the body ECX times. */
    private static long loopUnits(int body, int passes) {
        byte[] code = codeThenLoop(0, body);
        TestCpu c = new TestCpu(1 << 16, "bt", 3);
        c.write(0x1000, code);
        c.setReg(Vcpu.ECX, passes);
        assertEquals(-1, c.run(0x1000, 1_000_000));
        assertEquals(passes * body, c.reg(Vcpu.EAX));
        assertEquals(0, c.translationFailures());
        return c.vcpu().bt.loopUnits();
    }

    @Test
    void aLoopOf62InstructionsIsOneUnit() {
        assertEquals(1, loopUnits(60, 10));
    }

    @Test
    void aLoopLongerThan128StaysSplit() {
        assertEquals(0, loopUnits(200, 10));
    }

    /** INC EDX x before, then a loop (INC EAX x body, DEC ECX, JNZ back to the loop head), HLT. */
    private static byte[] codeThenLoop(int before, int body) {
        byte[] code = new byte[before + body + 8];
        for (int i = 0; i < before; i++) {
            code[i] = 0x42;                                  // inc edx
        }
        for (int i = before; i < before + body; i++) {
            code[i] = 0x40;                                  // inc eax
        }
        int end = before + body;
        code[end] = 0x49;                                    // dec ecx
        code[end + 1] = 0x0f;                                // jnz rel32 back to the loop head
        code[end + 2] = (byte) 0x85;
        int rel = -(body + 7);
        for (int i = 0; i < 4; i++) {
            code[end + 3 + i] = (byte) (rel >> (8 * i));
        }
        code[end + 7] = (byte) 0xf4;                         // hlt
        return code;
    }

    /** Runs codeThenLoop(before, body) `runs` times from its start; returns the unit runs of the last run. */
    private static long unitRunsOfCodeThenLoop(int before, int body, int passes, int runs) {
        byte[] code = codeThenLoop(before, body);
        TestCpu c = new TestCpu(1 << 16, "bt", 3);
        c.write(0x1000, code);
        c.setReg(Vcpu.EDX, 0); // holds the CPU signature after reset
        long unitRuns = 0;
        for (int r = 1; r <= runs; r++) {
            c.setReg(Vcpu.ECX, passes);
            c.setReg(Vcpu.EAX, 0);
            long runs0 = c.vcpu().bt.blockRuns;
            assertEquals(-1, c.run(0x1000, 1_000_000));
            unitRuns = c.vcpu().bt.blockRuns - runs0;
            assertEquals(passes * body, c.reg(Vcpu.EAX), "run " + r);
            assertEquals(r * before, c.reg(Vcpu.EDX), "run " + r);
            assertEquals(0, c.reg(Vcpu.ECX));
        }
        assertEquals(0, c.translationFailures());
        return unitRuns;
    }

    @Test
    void codeRunningIntoALoopTakesTheLoopIntoItsUnit() {
        // 30 + 20 + 2 instructions: cut at 40 the trace would leave the first pass of the loop for a unit of its
        // own; taken up to the loop's back-edge, one unit runs the code before and every pass
        assertEquals(1, unitRunsOfCodeThenLoop(30, 20, 50, 8));
    }

    @Test
    void aShortLoopInsideATraceIsAJvmLoop() {
        // 5 + 10 + 2 instructions: within 40, the back-edge to the loop head stays inside the unit
        assertEquals(1, unitRunsOfCodeThenLoop(5, 10, 50, 8));
    }

    @Test
    void theLoopInsideAUnitLeavesAtTheBudget() {
        // more passes than the run's instruction budget: the unit leaves at its inner back-edge, and the
        // dispatcher goes on at the loop head (the interpreter, then a unit there) until the budget ends
        byte[] code = codeThenLoop(5, 10);
        TestCpu bt = new TestCpu(1 << 16, "bt", 3);
        TestCpu ref = new TestCpu(1 << 16);
        for (TestCpu c : new TestCpu[] {bt, ref}) {
            c.write(0x1000, code);
            c.setReg(Vcpu.EDX, 0);
            for (int r = 0; r < 6; r++) {
                c.setReg(Vcpu.ECX, 1000);
                c.run(0x1000, 1_000_000);
            }
            c.setReg(Vcpu.ECX, 100_000);
            assertEquals(-2, c.run(0x1000, 5_003));
        }
        assertEquals(ref.eip(), bt.eip());
        assertEquals(ref.reg(Vcpu.EAX), bt.reg(Vcpu.EAX));
        assertEquals(ref.reg(Vcpu.ECX), bt.reg(Vcpu.ECX));
        assertEquals(ref.reg(Vcpu.EDX), bt.reg(Vcpu.EDX));
        assertEquals(ref.vcpu().icount, bt.vcpu().icount);
        assertEquals(0, bt.translationFailures());
    }
}
