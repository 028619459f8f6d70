package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * 16-bit loads and stores in translated code (inline TLB hit path, a slow path for an access that
 * crosses a page, stores into the unit's own page as self-modifying code) agree with the interpreter.
 */
class BtWordAccessTest {
    private static final byte[] CODE = {
        0x66, (byte) 0x8b, 0x03,                 // 1000: mov ax, [ebx]        (ebx = 0x2fff: crosses a page)
        0x66, (byte) 0x89, 0x06,                 // 1003: mov [esi], ax        (esi = 0x3fff: crosses a page)
        0x66, (byte) 0x89, 0x43, 0x10,           // 1006: mov [ebx+0x10], ax   (inside a page)
        0x66, (byte) 0xc7, 0x05, 0x15, 0x10, 0x00, 0x00, 0x34, 0x12, // 100a: mov word [0x1015], 0x1234
        0x66, (byte) 0xb9, 0x00, 0x00,           // 1013: mov cx, 0 (its immediate was just overwritten)
        0x66, (byte) 0x8b, 0x53, 0x10,           // 1017: mov dx, [ebx+0x10]
        (byte) 0xf4,                             // 101b: hlt
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
