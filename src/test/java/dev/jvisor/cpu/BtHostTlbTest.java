package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Translated code reaches guest RAM through its own host-address copy of the TLB (Vcpu.hostRead/hostWrite):
 * whatever drops an entry of the TLB drops it there too, so a unit never uses a stale translation.
 */
class BtHostTlbTest {
    private static final int PT = TestCpu.PAGE_TABLE;

    /** The bt engine (threshold 3) with paging on, the first 4 MiB identity-mapped user/writable. */
    private static TestCpu pagedBt() {
        return new TestCpu(1 << 24, "bt", 3).identityPaging();
    }

    private static byte[] le(int v) {
        return TestCpu.le(v);
    }

    @Test
    void aUnitReadsAndWritesTheNewFrameAfterInvlpg() {
        TestCpu c = pagedBt();
        c.write(0x3000, new byte[] {
            (byte) 0xa1, 0x00, 0x60, 0x00, 0x00,         // 3000: mov eax, [6000]
            (byte) 0xa3, 0x04, 0x60, 0x00, 0x00,         // 3005: mov [6004], eax
            (byte) 0xf4,                                 // 300a: hlt
        });
        c.write(0x6000, le(0x11111111));
        c.write(0x7000, le(0x22222222));
        for (int pass = 0; pass < 6; pass++) {
            assertEquals(-1, c.run(0x3000, 100));
            assertEquals(0x11111111, c.reg(Vcpu.EAX));
        }
        assertTrue(c.translatedInstructions() > 0, "the unit at 3000 is translated and ran");
        c.write(PT + 4 * 6, le(0x7000 | 7));             // linear 6000 -> frame 7000
        c.write(0x4000, new byte[] { // on a page of its own: writing code to the unit's page would drop the unit
            0x0f, 0x01, 0x3d, 0x00, 0x60, 0x00, 0x00,   // 4000: invlpg [6000]
            (byte) 0xe9, (byte) 0xf4, (byte) 0xef, (byte) 0xff, (byte) 0xff, // 4007: jmp 3000
        });
        long runs0 = c.vcpu().bt.blockRuns;
        assertEquals(-1, c.run(0x4000, 100));
        assertEquals(runs0 + 1, c.vcpu().bt.blockRuns, "the unit at 3000 ran (and missed at its load)");
        assertEquals(0x22222222, c.reg(Vcpu.EAX));
        for (int pass = 0; pass < 3; pass++) {
            c.write(0x7004, le(0));
            long t0 = c.translatedInstructions();
            assertEquals(-1, c.run(0x3000, 100));
            assertEquals(0x22222222, c.reg(Vcpu.EAX));
            assertArrayEquals(le(0x22222222), c.read(0x7004, 4), "the store reached the new frame");
            assertEquals(t0 + 2, c.translatedInstructions(), "through the unit, with the refilled entry");
        }
        assertArrayEquals(le(0x11111111), c.read(0x6004, 4), "the old frame was left alone");
        assertEquals(0, c.translationFailures());
    }

    @Test
    void aUnitsStoreToAPageThatBecameCodeDropsTheDecodedCode() {
        TestCpu c = pagedBt();
        c.write(0x5000, new byte[] {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xc3}); // 5000: mov eax, 1; ret
        c.write(0x3000, new byte[] {
            (byte) 0x88, 0x1d, 0x01, 0x50, 0x00, 0x00,   // 3000: mov [5001], bl
            (byte) 0xe8, (byte) 0xf5, 0x1f, 0x00, 0x00,  // 3006: call 5000
            (byte) 0xf4,                                 // 300b: hlt
        });
        // the first store fills a write entry for page 5; running code there makes it a code page, whose
        // write entries are dropped, so every later store to it (the unit's too) reaches the interpreter
        for (int pass = 0; pass < 8; pass++) {
            c.setReg(Vcpu.EBX, 1);
            assertEquals(-1, c.run(0x3000, 100));
            assertEquals(1, c.reg(Vcpu.EAX));
        }
        BtEngine bt = c.vcpu().bt;
        assertEquals(1, bt.translated, "the unit at 3000");
        assertTrue(bt.misses >= 4, "its store to the code page leaves it to the interpreter each time");
        c.setReg(Vcpu.EBX, 7);
        assertEquals(-1, c.run(0x3000, 100));
        assertEquals(7, c.reg(Vcpu.EAX), "the call ran the modified code");
        assertEquals(0, c.translationFailures());
    }

    @Test
    void aUnitDoesNotChainIntoCodeItsTargetPageNoLongerMaps() {
        TestCpu c = pagedBt();
        c.write(0x3000, new byte[] {
            (byte) 0x89, (byte) 0xd8,                    // 3000: mov eax, ebx
            (byte) 0xe9, (byte) 0xf9, 0x1f, 0x00, 0x00,  // 3002: jmp 5000 (another page: a checked chain)
        });
        c.write(0x5000, new byte[] {(byte) 0x83, (byte) 0xc0, 0x01, (byte) 0xf4}); // 5000: add eax, 1; hlt
        c.write(0x8000, new byte[] {(byte) 0x83, (byte) 0xc0, 0x02, (byte) 0xf4}); // 8000: add eax, 2; hlt
        for (int pass = 0; pass < 8; pass++) {
            assertEquals(-1, c.run(0x3000, 100));
            assertEquals(1, c.reg(Vcpu.EAX));
        }
        BtEngine bt = c.vcpu().bt;
        assertEquals(2, bt.translated, "the units at 3000 and 5000");
        long runs0 = bt.blockRuns;
        long returns0 = bt.dispatches;
        assertEquals(-1, c.run(0x3000, 100));
        assertEquals(runs0 + 2, bt.blockRuns, "3000 chains into 5000");
        assertEquals(returns0 + 1, bt.dispatches, "one return to the dispatcher for the two runs (--stats)");
        c.write(PT + 4 * 5, le(0x8000 | 7));             // linear 5000 -> frame 8000
        c.write(0x4000, new byte[] {
            0x0f, 0x01, 0x3d, 0x00, 0x50, 0x00, 0x00,   // 4000: invlpg [5000]
            (byte) 0xe9, (byte) 0xf4, (byte) 0xef, (byte) 0xff, (byte) 0xff, // 4007: jmp 3000
        });
        assertEquals(-1, c.run(0x4000, 100));
        assertEquals(2, c.reg(Vcpu.EAX), "the code linear 5000 maps now ran, not the unit cached for the old frame");
        assertEquals(0, c.translationFailures());
    }
}
