package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A trace follows a Jcc the interpreter mostly took in its recent runs, when that closes a loop back to
 * the trace's start; when the branch is not taken in translated code, the unit leaves for the
 * fall-through address.
 */
class BtFollowedBranchTest {
    private static final byte[] CODE = {
        0x3c, 0x28,                    // 1000: cmp al, 0x28
        0x74, 0x10,                    // 1002: je 1014
        0x7e, 0x05,                    // 1004: jle 100b (followed: taken when first interpreted)
        0x3c, 0x2c,                    // 1006: cmp al, 0x2c
        (byte) 0xb3, 0x01,             // 1008: mov bl, 1
        (byte) 0xf4,                   // 100a: hlt
        0x49,                          // 100b: dec ecx
        0x75, (byte) 0xf2,             // 100c: jnz 1000 (the loop back to the trace start)
        (byte) 0xb3, 0x02,             // 100e: mov bl, 2
        (byte) 0xf4,                   // 1010: hlt
        (byte) 0x90, (byte) 0x90, (byte) 0x90,
        (byte) 0xb3, 0x03,             // 1014: mov bl, 3
        (byte) 0xf4,                   // 1016: hlt
    };

    private static int runWith(TestCpu c, int al, int ecx) {
        c.setReg(Vcpu.EAX, al);
        c.setReg(Vcpu.EBX, 0);
        c.setReg(Vcpu.ECX, ecx);
        assertEquals(-1, c.run(0x1000, 1000));
        return c.reg(Vcpu.EBX);
    }

    @Test
    void followedBranchNotTakenLeavesForTheFallThrough() {
        TestCpu c = new TestCpu(1 << 16, "bt", 2);
        c.write(0x1000, CODE);
        assertEquals(2, runWith(c, 0x20, 1)); // interpreted: the JLE is taken, the trace will follow it
        assertEquals(2, runWith(c, 0x20, 5)); // translated at the second execution, following the JLE: a loop
        assertEquals(0, c.reg(Vcpu.ECX));
        long before = c.translatedInstructions();
        assertEquals(1, runWith(c, 0x5c, 5)); // JLE not taken: the fall-through
        assertEquals(5, c.reg(Vcpu.ECX));
        assertEquals(3, runWith(c, 0x28, 5)); // JE taken
        assertEquals(2, runWith(c, 0x21, 3)); // JLE taken again
        assertTrue(c.translatedInstructions() > before, "ran translated");
    }

    @Test
    void traceFollowsTheWayTheBranchMostlyWentNotTheLastOne() {
        // threshold 5: the start is reached three times with the JLE taken, once not taken (the run just before
        // translation), then translated on the fifth arrival; the trace follows the JLE (taken 3 of 4 times)
        // into the loop, and the whole loop runs in one unit run (following the last run's way, it would not
        // close a loop: a unit entered once per iteration)
        TestCpu c = new TestCpu(1 << 16, "bt", 5);
        c.write(0x1000, CODE);
        for (int i = 0; i < 3; i++) {
            assertEquals(2, runWith(c, 0x20, 1));
        }
        assertEquals(1, runWith(c, 0x2a, 1)); // JLE not taken
        long runs = c.vcpu().bt.blockRuns;
        assertEquals(2, runWith(c, 0x20, 5));
        assertEquals(0, c.reg(Vcpu.ECX));
        assertEquals(1, c.vcpu().bt.blockRuns - runs, "unit runs for five iterations");
        assertTrue(c.translatedInstructions() >= 5 * 4, "ran translated");
    }

    @Test
    void followedBranchAtTheEndOfTheTraceLeavesForTheRightSide() {
        // the trace ends right after following the JLE: the instruction at its target is a callout (HLT)
        byte[] code = {
            0x49,                      // 1ff8: dec ecx
            0x74, (byte) 0xfd,         // 1ff9: jz 1ff8 (a back-edge: the trace is a loop, so it keeps the JLE followed)
            0x3c, 0x28,                // 1ffb: cmp al, 0x28
            0x7e, (byte) 0x81,         // 1ffd: jle 1f80
            (byte) 0xf4,               // 1fff: hlt
        };
        TestCpu c = new TestCpu(1 << 16, "bt", 2);
        c.write(0x1ff8, code);
        c.write(0x1f80, new byte[] {(byte) 0xf4}); // hlt
        for (int al : new int[] {0x20, 0x20, 0x5c, 0x21, 0x5c}) {
            c.setReg(Vcpu.EAX, al);
            c.setReg(Vcpu.ECX, 5);
            assertEquals(-1, c.run(0x1ff8, 100));
            assertEquals(al <= 0x28 ? 0x1f81 : 0x2000, c.eip(), "al=" + Integer.toHexString(al));
        }
        assertTrue(c.translatedInstructions() > 0, "ran translated");
    }
}
