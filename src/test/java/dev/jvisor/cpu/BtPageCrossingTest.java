package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Units stay within one page, so an instruction that crosses into the next page is interpreted; the
 * straight-line code after it, on the new page, may start a unit of its own.
 */
class BtPageCrossingTest {
    @Test
    void codeAfterAPageCrossingInstructionIsTranslated() {
        byte[] code = {
            0x40, 0x40, 0x40, 0x40,                               // 1ff7: inc eax x4
            (byte) 0x8b, (byte) 0x93, 0x00, 0x30, 0x00, 0x00,     // 1ffb: mov edx, [ebx+0x3000] (2000 is its last byte)
            0x42, 0x42, 0x42, 0x42,                               // 2001: inc edx x4
            0x49,                                                 // 2005: dec ecx
            0x75, (byte) 0xef,                                    // 2006: jnz 1ff7
            (byte) 0xf4,                                          // 2008: hlt
        };
        TestCpu c = new TestCpu(1 << 16, "bt", 2);
        c.write(0x1ff7, code);
        c.setReg(Vcpu.EBX, 0);
        c.setReg(Vcpu.ECX, 6);
        assertEquals(-1, c.run(0x1ff7, 1000));
        assertEquals(24, c.reg(Vcpu.EAX));
        // passes 2 to 6 run translated the four INC EAX and the six instructions on the next page (INC EDX x4,
        // DEC, JNZ: their start became a candidate after the MOV in pass 1 and is hot in pass 2); the MOV always
        // runs in the interpreter, and the last JNZ falls through to HLT
        assertEquals(5L * 4 + 5L * 6, c.translatedInstructions());
    }
}
