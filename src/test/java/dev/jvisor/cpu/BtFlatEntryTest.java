package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A unit's memory accesses take the segments that were flat when it was translated as flat, without a
 * check per access: on entry the unit checks that they still are. When one is not (here DS gets a base),
 * the unit is dropped and the interpreter runs the code, with the segment's base, until the start is hot
 * again and translated for the segment as it is then.
 */
class BtFlatEntryTest {
    private static final byte[] LOOP = {
        (byte) 0x8b, 0x03,       // mov eax, [ebx]
        0x01, (byte) 0xc6,       // add esi, eax
        0x49,                    // dec ecx
        0x75, (byte) 0xf9,       // jnz -7
        (byte) 0xf4,             // hlt
    };

    @Test
    void aSegmentThatIsNoLongerFlatSendsTheUnitBackToTheInterpreter() {
        TestCpu c = new TestCpu(1 << 16, "bt", 3);
        c.write(0x1000, LOOP);
        c.write(0x2000, new byte[] {5, 0, 0, 0});
        c.write(0x2100, new byte[] {7, 0, 0, 0});
        c.setReg(Vcpu.EBX, 0x2000);
        c.setReg(Vcpu.ECX, 10);
        assertEquals(-1, c.run(0x1000, 10_000));
        assertEquals(50, c.reg(Vcpu.ESI));
        long translatedFlat = c.translatedInstructions();
        assertTrue(translatedFlat > 0, "the loop ran translated");

        c.vcpu().setSegment(Segment.DS, 0x10, 0x100, -1, 0xc093); // DS based at 0x100: not flat
        c.setReg(Vcpu.ESI, 0);
        c.setReg(Vcpu.ECX, 10);
        assertEquals(-1, c.run(0x1000, 10_000));
        assertEquals(70, c.reg(Vcpu.ESI), "every load went through DS's base");
        assertTrue(c.translatedInstructions() > translatedFlat, "translated again for the based DS");
        assertEquals(0, c.translationFailures());
    }
}
