package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * By default a block start's heat is the number of instructions the interpreter ran from it (on the
 * straight line to the next start), so one long run of code behind a start that is entered rarely
 * becomes hot as soon as many short ones.
 */
class BtHeatTest {
    private static final int BODY = 120; // JNZ rel8 reaches back over it

    /** A loop of BODY x INC EAX, DEC ECX, JNZ; ECX passes; returns the vCPU after it ran. */
    private static TestCpu loop(int threshold, boolean byInstructions, int passes) {
        byte[] code = new byte[BODY + 4];
        for (int i = 0; i < BODY; i++) {
            code[i] = 0x40; // inc eax
        }
        code[BODY] = 0x49;                       // dec ecx
        code[BODY + 1] = 0x75;                   // jnz start
        code[BODY + 2] = (byte) -(BODY + 3);
        code[BODY + 3] = (byte) 0xf4;            // hlt
        TestCpu c = new TestCpu(1 << 16, "bt", threshold);
        c.vcpu().bt.heatByInstructions = byInstructions;
        c.write(0x1000, code);
        c.setReg(Vcpu.ECX, passes);
        assertEquals(-1, c.run(0x1000, 100_000));
        assertEquals(passes * BODY, c.reg(Vcpu.EAX));
        return c;
    }

    @Test
    void instructionsRunFromAStartMakeItHot() {
        // three interpreted passes credit 3 x 122 instructions to the start, past 300: passes 4 to 6 run
        // translated (the last JNZ falls through to HLT, a callout)
        assertEquals(3L * (BODY + 2), loop(300, true, 6).translatedInstructions());
    }

    @Test
    void countedInExecutionsTheSameLoopStaysInterpreted() {
        assertEquals(0L, loop(300, false, 6).translatedInstructions());
    }
}
