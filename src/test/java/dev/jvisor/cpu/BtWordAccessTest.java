package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * 16-bit loads and stores in translated code (the TLB hit path; an access that crosses a page leaves the
 * unit for the interpreter at that instruction; stores into the unit's own page as self-modifying code)
 * agree with the interpreter.
 */
class BtWordAccessTest {
    private static final byte[] CODE = {
        (byte) 0xbf, 0x07, 0x00, 0x00, 0x00,     // 1000: mov edi, 7            (translated; the unit starts here)
        0x66, (byte) 0x8b, 0x03,                 // 1005: mov ax, [ebx]        (ebx = 0x2fff: crosses a page)
        0x66, (byte) 0x89, 0x06,                 // 1008: mov [esi], ax        (esi = 0x3fff: crosses a page)
        0x66, (byte) 0x89, 0x43, 0x10,           // 100b: mov [ebx+0x10], ax   (inside a page)
        0x66, (byte) 0xc7, 0x05, 0x1a, 0x10, 0x00, 0x00, 0x34, 0x12, // 100f: mov word [0x101a], 0x1234
        0x66, (byte) 0xb9, 0x00, 0x00,           // 1018: mov cx, 0 (its immediate was just overwritten)
        0x66, (byte) 0x8b, 0x53, 0x10,           // 101c: mov dx, [ebx+0x10]
        (byte) 0xf4,                             // 1020: hlt
    };

    private static TestCpu run(String accel) {
        TestCpu c = new TestCpu(1 << 16, accel, 1);
        c.write(0x1000, CODE);
        c.write(0x2ffe, new byte[] {0x11, 0x22, 0x33, 0x44});
        c.setReg(Vcpu.EBX, 0x2fff);
        c.setReg(Vcpu.ESI, 0x3fff);
        c.setReg(Vcpu.EAX, 0xaaaa0000);
        c.setReg(Vcpu.ECX, 0xcccc0000);
        c.setReg(Vcpu.EDX, 0xdddd0000);
        assertEquals(-1, c.run(0x1000, 1000));
        return c;
    }

    @Test
    void translatedWordAccessesMatchTheInterpreter() {
        TestCpu bt = run("bt");
        TestCpu in = run("interp");
        assertTrue(bt.translatedInstructions() > 0, "the snippet ran translated");
        assertEquals(1, bt.vcpu().bt.misses, "the page-crossing load left the unit once");
        assertEquals(0xaaaa3322, bt.reg(Vcpu.EAX));
        assertEquals(0xcccc1234, bt.reg(Vcpu.ECX), "the store into the unit's own page is seen by the next instruction");
        assertEquals(0xdddd3322, bt.reg(Vcpu.EDX));
        for (int r = 0; r < 8; r++) {
            assertEquals(in.reg(r), bt.reg(r), "register " + r);
        }
        assertArrayEquals(in.read(0x3ffe, 4), bt.read(0x3ffe, 4));
        assertArrayEquals(new byte[] {0, 0x22, 0x33, 0}, bt.read(0x3ffe, 4));
        assertArrayEquals(in.read(0x300e, 4), bt.read(0x300e, 4));
        assertArrayEquals(in.read(0x1000, CODE.length), bt.read(0x1000, CODE.length));
    }
}
