package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The unit profile behind --stats' top-units table: each unit counts its runs and the guest instructions
 * retired in it, and the counts add up to the engine's own count of translated instructions.
 */
class BtUnitProfileTest {
    private static long sum(Map<Integer, long[]> profiles) {
        return profiles.values().stream().mapToLong(p -> p[1]).sum();
    }

    /** A loop of 10 INC EAX, DEC ECX, JNZ (12 instructions a pass) becomes one unit that retires whole passes. */
    @Test
    void aLoopUnitRetiresWholePasses() {
        byte[] code = new byte[19];
        for (int i = 0; i < 10; i++) {
            code[i] = 0x40;                                  // inc eax
        }
        code[10] = 0x49;                                     // dec ecx
        code[11] = 0x0f;                                     // jnz rel32 back to the start
        code[12] = (byte) 0x85;
        int rel = -17;
        for (int i = 0; i < 4; i++) {
            code[13 + i] = (byte) (rel >> (8 * i));
        }
        code[17] = (byte) 0xf4;                              // hlt
        TestCpu c = new TestCpu(1 << 16, "bt", 3);
        c.vcpu().setBtProfile(true);
        c.write(0x1000, code);
        c.setReg(Vcpu.ECX, 1000);
        assertEquals(-1, c.run(0x1000, 1_000_000));
        assertEquals(10_000, c.reg(Vcpu.EAX));
        Map<Integer, long[]> profiles = c.vcpu().bt.unitProfiles();
        long[] loop = profiles.get(0x1000);
        assertNotNull(loop, "the loop's unit has a profile");
        assertTrue(loop[0] >= 1 && loop[1] > 0 && loop[1] % 12 == 0, "runs " + loop[0] + ", retired " + loop[1]);
        assertEquals(c.vcpu().bt.btInsns, sum(profiles));
        assertTrue(BtStats.topUnits(profiles, c.vcpu().bt.btInsns).contains("00001000"));
    }

    /** A loop calling a function on another page: three chained units, the function's retiring 2 a run. */
    @Test
    void chainedUnitsCountTheirOwnRuns() {
        TestCpu c = new TestCpu(1 << 16, "bt", 3);
        c.vcpu().setBtProfile(true);
        // 0x1000: call 0x2000; dec ecx; jnz 0x1000; hlt
        c.write(0x1000, new byte[] {(byte) 0xe8, (byte) 0xfb, 0x0f, 0, 0, 0x49, 0x75, (byte) 0xf8, (byte) 0xf4});
        // 0x2000: inc eax; ret
        c.write(0x2000, new byte[] {0x40, (byte) 0xc3});
        c.setReg(Vcpu.ESP, 0x8000);
        c.setReg(Vcpu.ECX, 500);
        assertEquals(-1, c.run(0x1000, 1_000_000));
        assertEquals(500, c.reg(Vcpu.EAX));
        Map<Integer, long[]> profiles = c.vcpu().bt.unitProfiles();
        long[] function = profiles.get(0x2000);
        assertNotNull(function, "the function's unit has a profile");
        assertTrue(function[0] > 400, "runs " + function[0]);
        assertEquals(2 * function[0], function[1]);
        assertEquals(c.vcpu().bt.btInsns, sum(profiles));
    }

    @Test
    void withoutTheProfileUnitsCountNothing() {
        TestCpu c = new TestCpu(1 << 16, "bt", 3);
        c.write(0x1000, new byte[] {0x40, 0x49, 0x75, (byte) 0xfc, (byte) 0xf4}); // inc eax; dec ecx; jnz; hlt
        c.setReg(Vcpu.ECX, 100);
        assertEquals(-1, c.run(0x1000, 100_000));
        assertTrue(c.vcpu().bt.btInsns > 0);
        assertTrue(c.vcpu().bt.unitProfiles().isEmpty());
    }
}
