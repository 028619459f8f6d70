package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * A unit cut at the translator's size limit leaves for code that is as hot as the unit itself: the
 * engine translates that continuation when it is first reached from the unit, instead of counting
 * another threshold's worth of runs for it.
 */
class BtContinuationTest {
    @Test
    void aLoopBodyLongerThanAUnitIsTranslatedWholeOnceItsHeadIsHot() {
        int body = 3 * BtTranslator.MAX_INSNS + 5; // INC EAX x body: four units
        byte[] code = new byte[body + 4];
        for (int i = 0; i < body; i++) {
            code[i] = 0x40; // inc eax
        }
        code[body] = 0x49;                                   // dec ecx
        code[body + 1] = 0x75;                               // jnz start
        code[body + 2] = (byte) -(body + 3);
        code[body + 3] = (byte) 0xf4;                        // hlt
        TestCpu c = new TestCpu(1 << 16, "bt", 3);
        c.write(0x1000, code);
        c.setReg(Vcpu.ECX, 6);
        assertEquals(-1, c.run(0x1000, 100_000));
        assertEquals(6 * body, c.reg(Vcpu.EAX));
        // the head becomes hot on its third run: passes 3 to 6 run translated from start to end (each pass:
        // the body, DEC and JNZ); the last JNZ falls through to HLT, a callout the interpreter runs
        assertEquals(4L * (body + 2), c.translatedInstructions());
    }
}
