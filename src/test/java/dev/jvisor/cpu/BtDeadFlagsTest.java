package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A shift or rotate whose flags are overwritten before anything can see them is translated without
 * computing them; wherever they can be seen (a flag reader, a fault, the unit's end) they are exact.
 */
class BtDeadFlagsTest {
    private static final int CF = 1, ZF = 0x40, SF = 0x80, OF = 0x800;

    /** Runs code at 0x1000 on both engines (bt: translated from the first execution) and returns {bt, interp}. */
    private static TestCpu[] run(byte[] code, int expectStop) {
        return run(code, expectStop, false);
    }

    private static TestCpu[] run(byte[] code, int expectStop, boolean smallDs) {
        TestCpu[] r = new TestCpu[2];
        String[] engines = {"bt", "interp"};
        for (int e = 0; e < 2; e++) {
            TestCpu c = new TestCpu(1 << 16, engines[e], 1);
            c.write(0x1000, code);
            c.setReg(Vcpu.EAX, 0x80000001);
            c.setReg(Vcpu.EBX, 5);
            c.setReg(Vcpu.ECX, -5);
            c.setReg(Vcpu.ESI, 0x20000);
            c.setEflags(2);
            if (smallDs) {
                c.vcpu().setSegment(Segment.DS, 0x10, 0, 0xffff, 0x4093); // 64 KiB limit: [esi] is outside
            }
            assertEquals(expectStop, c.run(0x1000, 1000), engines[e]);
            r[e] = c;
        }
        assertTrue(r[0].translatedInstructions() > 0, "ran translated");
        for (int reg = 0; reg < 8; reg++) {
            assertEquals(r[1].reg(reg), r[0].reg(reg), "register " + reg);
        }
        assertEquals(r[1].eflags(), r[0].eflags(), "EFLAGS");
        assertEquals(r[1].eip(), r[0].eip(), "EIP");
        assertEquals(r[1].vcpu().icount, r[0].vcpu().icount, "instructions retired");
        return r;
    }

    @Test
    void rotateBeforeAFullFlagWriterLeavesThatWritersFlags() {
        TestCpu[] r = run(new byte[] {
            (byte) 0xd1, (byte) 0xc0,       // rol eax, 1   (CF=1, OF=1)
            (byte) 0x8d, 0x14, 0x18,        // lea edx, [eax+ebx]
            0x01, (byte) 0xcb,              // add ebx, ecx (5 + -5 = 0: ZF, CF)
            (byte) 0xf4,                    // hlt
        }, -1);
        assertEquals(3, r[0].reg(Vcpu.EAX));
        assertEquals(ZF | CF, r[0].eflags() & (ZF | CF | SF | OF));
    }

    @Test
    void rotateFlagsSeenByAConditionalAreExact() {
        TestCpu[] r = run(new byte[] {
            (byte) 0xc1, (byte) 0xc0, 0x01, // rol eax, 1
            0x72, 0x01,                     // jc +1 (taken: CF=1)
            (byte) 0xf4,                    // hlt (skipped)
            (byte) 0x8d, 0x14, 0x18,        // lea edx, [eax+ebx]
            (byte) 0xf4,                    // hlt
        }, -1);
        assertEquals(0x100a, r[0].eip());
        assertEquals(CF | OF, r[0].eflags() & (CF | OF));
    }

    @Test
    void rotateFlagsSeenByAFaultAreExact() {
        TestCpu[] r = run(new byte[] {
            (byte) 0xd1, (byte) 0xc8,       // ror eax, 1 (CF=1)
            (byte) 0x8b, 0x16,              // mov edx, [esi]: beyond the 64 KiB data segment limit set below
            0x01, (byte) 0xcb,              // add ebx, ecx
            (byte) 0xf4,
        }, 13, true);
        assertEquals(0x1002, r[0].eip());
        assertEquals(CF, r[0].eflags() & CF);
    }

    @Test
    void rotateFlagsPastALoadAreOverwrittenWhenNothingFaults() {
        TestCpu[] r = run(new byte[] {
            (byte) 0xd1, (byte) 0xc0,       // rol eax, 1 (CF=1, OF=1)
            (byte) 0x8b, 0x13,              // mov edx, [ebx]: a load that can fault, and does not
            0x01, (byte) 0xcb,              // add ebx, ecx (0: ZF, CF; OF clear)
            (byte) 0xf4,
        }, -1, true);
        assertEquals(ZF | CF, r[0].eflags() & (ZF | CF | SF | OF));
    }

    @Test
    void aFaultAfterTheOverwritingInstructionSeesItsFlags() {
        TestCpu[] r = run(new byte[] {
            (byte) 0xd1, (byte) 0xc8,       // ror eax, 1 (CF=1, OF=0)
            (byte) 0x8b, 0x13,              // mov edx, [ebx]
            0x01, (byte) 0xdb,              // add ebx, ebx (10: CF, ZF, SF, OF clear)
            (byte) 0x8b, 0x16,              // mov edx, [esi]: beyond the data segment limit
            (byte) 0xf4,
        }, 13, true);
        assertEquals(0x1006, r[0].eip());
        assertEquals(0, r[0].eflags() & (ZF | CF | SF | OF));
    }

    @Test
    void aFaultingMemoryOperandOfTheOverwritingInstructionSeesTheRotatesFlags() {
        TestCpu[] r = run(new byte[] {
            (byte) 0xc1, (byte) 0xc0, 0x01, // rol eax, 1 (CF=1, OF=1)
            0x39, 0x1e,                     // cmp [esi], ebx: beyond the data segment limit
            (byte) 0xf4,
        }, 13, true);
        assertEquals(0x1003, r[0].eip());
        assertEquals(CF | OF, r[0].eflags() & (CF | OF));
    }
}
