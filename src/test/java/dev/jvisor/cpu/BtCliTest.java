package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * CLI in translated code: it clears IF and the unit goes on (no exit) where CPL <= IOPL; at CPL 3 with
 * IOPL 0 it raises #GP(0) at the CLI with the instructions before it retired, as the interpreter does.
 */
class BtCliTest {
    private static final byte[] CODE = {
        (byte) 0xb8, 0x01, 0x00, 0x00, 0x00,     // 1000: mov eax, 1
        (byte) 0xfa,                             // 1005: cli
        (byte) 0xbb, 0x02, 0x00, 0x00, 0x00,     // 1006: mov ebx, 2
        (byte) 0xf4,                             // 100b: hlt
    };

    private static TestCpu cpu(String accel, boolean user) {
        TestCpu c = new TestCpu(1 << 16, accel, 1);
        c.write(0x1000, CODE);
        if (user) {
            c.vcpu().setSegment(Segment.CS, 0x1b, 0, -1, 0xc0fb);
            c.vcpu().setSegment(Segment.SS, 0x23, 0, -1, 0xc0f3);
            c.vcpu().updateCpl();
        }
        c.setEflags(0x202); // IF, IOPL 0
        return c;
    }

    @Test
    void cliAtCpl0ClearsIfInsideTheUnit() {
        TestCpu bt = cpu("bt", false);
        assertEquals(-1, bt.run(0x1000, 100));
        assertEquals(1, bt.reg(Vcpu.EAX));
        assertEquals(2, bt.reg(Vcpu.EBX));
        assertEquals(0, bt.eflags() & Vcpu.IF);
        assertEquals(3, bt.translatedInstructions(), "MOV, CLI and MOV ran in one unit");
    }

    @Test
    void cliAtCpl3WithIopl0FaultsLikeTheInterpreter() {
        TestCpu bt = cpu("bt", true);
        TestCpu in = cpu("interp", true);
        assertEquals(CpuFault.GP, bt.run(0x1000, 100));
        assertEquals(CpuFault.GP, in.run(0x1000, 100));
        assertTrue(bt.translatedInstructions() >= 1, "the MOV before the CLI ran translated");
        assertEquals(1, bt.reg(Vcpu.EAX));
        assertEquals(in.reg(Vcpu.EBX), bt.reg(Vcpu.EBX));
        assertEquals(in.eip(), bt.eip());
        assertEquals(0x1005, bt.eip());
        assertEquals(Vcpu.IF, bt.eflags() & Vcpu.IF);
    }
}
