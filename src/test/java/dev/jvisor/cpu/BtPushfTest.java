package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * PUSHF in translated code pushes EFLAGS with the arithmetic flags of the instruction before it (the
 * lazy record evaluated) and the system flags, as the interpreter does.
 */
class BtPushfTest {
    private static final byte[] CODE = {
        0x01, (byte) 0xd8,       // 1000: add eax, ebx   (flags in the unit's lazy record)
        (byte) 0x9c,             // 1002: pushfd
        0x59,                    // 1003: pop ecx
        0x39, (byte) 0xd0,       // 1004: cmp eax, edx
        (byte) 0x9c,             // 1006: pushfd
        0x5e,                    // 1007: pop esi
        (byte) 0xf4,             // 1008: hlt
    };

    private static TestCpu run(String accel, int eax, int ebx, int edx) {
        TestCpu c = new TestCpu(1 << 16, accel, 1);
        c.write(0x1000, CODE);
        c.setReg(Vcpu.ESP, 0x9000);
        c.setEflags(0x202 | Vcpu.DF); // IF and DF: system flags ride along
        for (int pass = 0; pass < 2; pass++) { // the first pass fills the TLB for the stack
            c.setReg(Vcpu.EAX, eax);
            c.setReg(Vcpu.EBX, ebx);
            c.setReg(Vcpu.EDX, edx);
            assertEquals(-1, c.run(0x1000, 100));
        }
        return c;
    }

    @Test
    void pushfMatchesTheInterpreter() {
        int[][] cases = {{0x7fffffff, 1, 0}, {-1, 1, 5}, {0, 0, 0}, {0x80, 0x80, 0x101}, {5, -6, -1}};
        for (int[] k : cases) {
            TestCpu bt = run("bt", k[0], k[1], k[2]);
            TestCpu in = run("interp", k[0], k[1], k[2]);
            assertTrue(bt.translatedInstructions() >= 6, "the snippet ran translated");
            assertEquals(in.reg(Vcpu.ECX), bt.reg(Vcpu.ECX), "EFLAGS after ADD");
            assertEquals(in.reg(Vcpu.ESI), bt.reg(Vcpu.ESI), "EFLAGS after CMP");
            assertEquals(in.reg(Vcpu.ESP), bt.reg(Vcpu.ESP));
            assertEquals(in.eflags(), bt.eflags());
        }
    }
}
