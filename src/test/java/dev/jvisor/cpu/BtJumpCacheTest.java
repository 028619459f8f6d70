package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * An indirect exit whose target changes from run to run (a function returning to two callers) goes on
 * into the unit at its target through the engine's jump cache, not through the dispatcher.
 */
class BtJumpCacheTest {
    @Test
    void returnToTwoCallersChainsThroughTheJumpCache() {
        byte[] loop = {
            (byte) 0xb9, 100, 0, 0, 0,                // 1000: mov ecx, 100
            (byte) 0xe8, (byte) 0xf6, 0x0f, 0, 0,     // 1005: call 2000 (another page: the trace stops here)
            (byte) 0xe8, (byte) 0xf1, 0x0f, 0, 0,     // 100a: call 2000
            0x49,                                     // 100f: dec ecx
            0x75, (byte) 0xf3,                        // 1010: jnz 1005
            (byte) 0xf4,                              // 1012: hlt
        };
        byte[] f = {
            0x40,                                     // 2000: inc eax
            (byte) 0xc3,                              // 2001: ret (to 100a and to 100f in turn)
        };
        TestCpu c = new TestCpu(1 << 16, "bt", 2);
        c.write(0x1000, loop);
        c.write(0x2000, f);
        c.setReg(Vcpu.EAX, 0);
        c.setReg(Vcpu.ESP, 0x8000);
        assertEquals(-1, c.run(0x1000, 10_000));
        assertEquals(200, c.reg(Vcpu.EAX));
        assertEquals(0, c.reg(Vcpu.ECX));
        assertEquals(0x8000, c.reg(Vcpu.ESP));
        long hits = c.vcpu().bt.jumpCacheHits;
        // the RET's own cached successor (the dispatcher's last find) serves one caller, the jump cache the other:
        // one return an iteration goes through the cache once both are translated
        assertTrue(hits >= 90, "returns through the jump cache: " + hits);
        assertTrue(c.translatedInstructions() > 400, "ran translated");
    }
}
