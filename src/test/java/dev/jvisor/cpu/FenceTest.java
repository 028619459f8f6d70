package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * LFENCE, MFENCE and SFENCE execute (as no-ops for a single CPU) although CPUID shows no SSE2:
 * Linux issues MFENCE after programming the TSC-deadline timer; the other group-15 register forms
 * stay #UD.
 */
class FenceTest {
    @Test
    void fencesExecuteOnBothEngines() {
        for (String accel : new String[] {"interp", "bt"}) {
            TestCpu c = new TestCpu(1 << 16, accel, 1);
            // lfence; mfence; sfence; inc eax; hlt  (run twice so bt translates the block)
            c.write(0x1000, new byte[] {0x0f, (byte) 0xae, (byte) 0xe8, 0x0f, (byte) 0xae, (byte) 0xf0,
                    0x0f, (byte) 0xae, (byte) 0xf8, 0x40, (byte) 0xf4});
            for (int i = 1; i <= 3; i++) {
                assertEquals(-1, c.run(0x1000, 100), accel + ": ran to HLT");
                assertEquals(i, c.reg(Vcpu.EAX), accel);
            }
        }
    }

    @Test
    void otherRegisterFormsOfGroup15AreUndefined() {
        TestCpu c = new TestCpu(1 << 16);
        c.write(0x1000, new byte[] {0x0f, (byte) 0xae, (byte) 0xc0, (byte) 0xf4}); // 0F AE /0 with mod 3
        assertEquals(CpuFault.UD, c.run(0x1000, 100));
        c.write(0x1000, new byte[] {0x0f, (byte) 0xae, (byte) 0xe0, (byte) 0xf4}); // /4 mod 3
        assertEquals(CpuFault.UD, c.run(0x1000, 100));
    }
}
