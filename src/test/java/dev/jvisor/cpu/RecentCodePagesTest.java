package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The interpreter's recent code pages are cached translations: a remapped code page is fetched from its
 * new frame after INVLPG or a CR3 load, and a page cached while running at CPL 0 gives CPL 3 no way
 * around the page's supervisor-only protection.
 */
class RecentCodePagesTest {
    private static final int PD = TestCpu.PAGE_DIRECTORY, PT = TestCpu.PAGE_TABLE;

    /** Paging on (16 MiB of RAM), the first 4 MiB identity-mapped user/writable, except the given pages supervisor-only. */
    private static TestCpu pagedCpu(int... supervisorPages) {
        return new TestCpu(1 << 24).identityPaging(supervisorPages);
    }

    private static byte[] le(int v) {
        return TestCpu.le(v);
    }

    private static final byte[] CALL_6000_HLT = {
        (byte) 0xe8, (byte) 0xfb, 0x2f, 0x00, 0x00,  // 3000: call 6000
        (byte) 0xf4,                                   // 3005: hlt
    };

    /**
     * Runs a call from page 3000 to page 6000 (mov eax, 1) twice, so both pages are recent, then maps linear
     * 6000 to frame 7000 (mov eax, 2) in the page table and runs the given code at 3100, which must reach
     * the new frame.
     */
    private static void assertNewFrameRunsAfter(byte[] invalidateThenCall6000Hlt) {
        TestCpu c = pagedCpu();
        c.write(0x3000, CALL_6000_HLT);
        c.write(0x6000, new byte[] {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xc3}); // mov eax, 1; ret
        c.write(0x7000, new byte[] {(byte) 0xb8, 2, 0, 0, 0, (byte) 0xc3}); // mov eax, 2; ret
        for (int pass = 0; pass < 2; pass++) {
            assertEquals(-1, c.run(0x3000, 100));
            assertEquals(1, c.reg(Vcpu.EAX));
        }
        c.write(PT + 4 * 6, le(0x7000 | 7));
        c.write(0x3100, invalidateThenCall6000Hlt);
        assertEquals(-1, c.run(0x3100, 100));
        assertEquals(2, c.reg(Vcpu.EAX));
    }

    @Test
    void aRemappedCodePageRunsItsNewFrameAfterInvlpg() {
        assertNewFrameRunsAfter(new byte[] {
            0x0f, 0x01, 0x3d, 0x00, 0x60, 0x00, 0x00,   // 3100: invlpg [6000]
            (byte) 0xe8, (byte) 0xf4, 0x2e, 0x00, 0x00, // 3107: call 6000
            (byte) 0xf4,                                // 310c: hlt
        });
    }

    @Test
    void aRemappedCodePageRunsItsNewFrameAfterACr3Load() {
        assertNewFrameRunsAfter(new byte[] {
            0x0f, 0x20, (byte) 0xd8,                    // 3100: mov eax, cr3
            0x0f, 0x22, (byte) 0xd8,                    // 3103: mov cr3, eax
            (byte) 0xe8, (byte) 0xf5, 0x2e, 0x00, 0x00, // 3106: call 6000
            (byte) 0xf4,                                // 310b: hlt
        });
    }

    @Test
    void invlpgInA4MibPageForgetsEveryRecentPageOfIt() {
        TestCpu c = pagedCpu();
        c.write(PD + 4, le(0x400000 | 0x87)); // linear 4 MiB-8 MiB: one 4 MiB page at 4 MiB
        c.vcpu().writeCr(4, Vcpu.CR4_PSE);
        byte[] callNextPage = {(byte) 0xe8, (byte) 0xfb, 0x0f, 0x00, 0x00, (byte) 0xc3}; // x6000: call x7000; ret
        c.write(0x406000, callNextPage);
        c.write(0x407000, new byte[] {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xc3});
        c.write(0x806000, callNextPage);
        c.write(0x807000, new byte[] {(byte) 0xb8, 2, 0, 0, 0, (byte) 0xc3});
        c.write(0x3000, new byte[] {(byte) 0xe8, (byte) 0xfb, 0x2f, 0x40, 0x00, (byte) 0xf4}); // call 406000; hlt
        assertEquals(-1, c.run(0x3000, 100));
        assertEquals(1, c.reg(Vcpu.EAX));

        c.write(PD + 4, le(0x800000 | 0x87)); // the 4 MiB page moves to 8 MiB
        c.write(0x3100, new byte[] {
            0x0f, 0x01, 0x3d, 0x00, 0x60, 0x40, 0x00,   // 3100: invlpg [406000] (not 407000)
            (byte) 0xe8, (byte) 0xf4, 0x2e, 0x40, 0x00, // 3107: call 406000
            (byte) 0xf4,                                // 310c: hlt
        });
        assertEquals(-1, c.run(0x3100, 100));
        assertEquals(2, c.reg(Vcpu.EAX));
    }

    @Test
    void aSupervisorCodePageRunAtCpl0FaultsAtCpl3() {
        TestCpu c = pagedCpu(5);
        c.write(0x5000, new byte[] {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xf4}); // mov eax, 1; hlt
        assertEquals(-1, c.run(0x5000, 100));
        assertEquals(1, c.reg(Vcpu.EAX));

        Vcpu v = c.vcpu();
        v.setSegment(Segment.CS, 0x1b, 0, -1, 0xc0fb);
        v.setSegment(Segment.SS, 0x23, 0, -1, 0xc0f3);
        v.updateCpl();
        assertEquals(3, v.cpl);
        c.setReg(Vcpu.EAX, 0);
        assertEquals(CpuFault.PF, c.run(0x5000, 100));
        assertEquals(0, c.reg(Vcpu.EAX));
        assertEquals(0x5000, v.cr2);
    }
}
