package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * A loop whose body is longer than a unit (40 instructions) but closes within 128 becomes one unit, a JVM
 * loop, instead of a chain of units; a longer one stays split at 40.
 */
class BtLoopUnitTest {
    /** INC EAX x body, DEC ECX, JNZ back to the start, HLT: runs the body ECX times. */
    private static long loopUnits(int body, int passes) {
        byte[] code = new byte[body + 8];
        for (int i = 0; i < body; i++) {
            code[i] = 0x40;                                  // inc eax
        }
        code[body] = 0x49;                                   // dec ecx
        code[body + 1] = 0x0f;                               // jnz rel32 back to the start
        code[body + 2] = (byte) 0x85;
        int rel = -(body + 7);
        for (int i = 0; i < 4; i++) {
            code[body + 3 + i] = (byte) (rel >> (8 * i));
        }
        code[body + 7] = (byte) 0xf4;                        // hlt
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
}
