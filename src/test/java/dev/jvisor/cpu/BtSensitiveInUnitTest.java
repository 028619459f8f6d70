package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * STI, POPF, RDTSC and data segment loads run inside a unit ({@code BtRt.sensitive}) instead of ending it: the
 * unit goes on when nothing waits for the interrupt window they may open and the flat segments stay flat, and
 * otherwise everything happens where the interpreter has it happen: the window exit after STI's shadow, the
 * single-step trap after the instruction that follows a POPF setting TF, RDTSC's exit under RDTSC exiting, a
 * load through a segment that got a base. Each case runs on both engines.
 */
class BtSensitiveInUnitTest {
    private static TestCpu cpu(String accel, byte[] code) {
        TestCpu c = new TestCpu(1 << 16, accel, 1);
        c.write(0x1000, code);
        c.setReg(Vcpu.ESP, 0x9000);
        c.setEflags(0x2);
        return c;
    }

    @Test
    void stiAndRdtscGoOnInsideTheUnitWhenNothingWaits() {
        byte[] code = {
            (byte) 0xfa,                         // cli
            (byte) 0xbe, 0x01, 0x00, 0x00, 0x00, // mov esi, 1
            (byte) 0xfb,                         // sti
            (byte) 0xbb, 0x02, 0x00, 0x00, 0x00, // mov ebx, 2
            0x0f, 0x31,                          // rdtsc (the test CPU's TSC is its instruction count)
            (byte) 0xb9, 0x03, 0x00, 0x00, 0x00, // mov ecx, 3
            (byte) 0xf4,                         // hlt
        };
        TestCpu bt = cpu("bt", code);
        TestCpu in = cpu("interp", code);
        assertEquals(-1, bt.run(0x1000, 100));
        assertEquals(-1, in.run(0x1000, 100));
        for (int r : new int[] {Vcpu.EAX, Vcpu.EDX, Vcpu.EBX, Vcpu.ECX, Vcpu.ESI}) {
            assertEquals(in.reg(r), bt.reg(r), "register " + r);
        }
        assertEquals(4, bt.reg(Vcpu.EAX), "RDTSC read the count of the instructions before it");
        assertEquals(in.eflags(), bt.eflags());
        assertEquals(6, bt.translatedInstructions(), "CLI to MOV ECX ran in one unit");
        assertEquals(1, bt.vcpu().bt.calloutsInUnits[0xfb]);
        assertEquals(1, bt.vcpu().bt.calloutsInUnits[0x131]);
    }

    @Test
    void stiLeavesTheUnitForAWaitingInterruptAfterItsShadow() {
        byte[] code = {
            (byte) 0xfa,       // cli
            (byte) 0xfb,       // sti
            0x40,              // inc eax (the shadow)
            0x40,              // inc eax
            0x40,              // inc eax
            (byte) 0xf4,       // hlt
        };
        List<String> seen = stateAtExit(code, ExitReason.INTERRUPT_WINDOW,
                v -> v.setInterruptWindowExiting(true)); // an interrupt waits, held back while IF is clear
        assertEquals("interp: eip 1003 eax 1 icount 3", seen.get(0));
        assertEquals(seen.get(0).replace("interp", "bt"), seen.get(1));
    }

    @Test
    void aKickDuringAnExitIsLookedAtAtTheNextBoundary() {
        List<String> seen = stateAtExit(KICK_CODE, ExitReason.EXTERNAL_INTERRUPT, v -> v.controls.externalInterruptExiting = true);
        assertEquals("interp: eip 1003 eax 0 icount 2", seen.get(0), "the exit right after the OUT whose exit kicked");
        assertEquals(seen.get(0).replace("interp", "bt"), seen.get(1));
    }

    @Test
    void stiLeavesTheUnitForAKickNotYetLookedAt() {
        // the kick raced with the vCPU's own checkpoint update (a device thread's kick): only the flag is left
        List<String> seen = stateAtExit(KICK_CODE, ExitReason.EXTERNAL_INTERRUPT, v -> v.controls.externalInterruptExiting = true, true);
        assertEquals("interp: eip 1004 eax 0 icount 3", seen.get(0), "the kick is looked at right after STI");
        assertEquals(seen.get(0).replace("interp", "bt"), seen.get(1));
    }

    private static final byte[] KICK_CODE = {
        (byte) 0xfa,       // cli
        (byte) 0xe6, 0x70, // out 0x70, al: its exit kicks the vCPU (an interrupt line rose)
        (byte) 0xfb,       // sti
        0x40,              // inc eax
        0x40,              // inc eax
        (byte) 0xf4,       // hlt
    };

    private static List<String> stateAtExit(byte[] code, ExitReason reason, java.util.function.Consumer<Vcpu> setup) {
        return stateAtExit(code, reason, setup, false);
    }

    /**
     * Runs code on the interpreter, then on the translator; at the first exit for reason on each, the state as
     * "ENGINE: eip E eax A icount N" (the run stops there). An I/O exit kicks the vCPU, as a device whose
     * interrupt line rose would (racing: as a kick from another thread whose reset of the checkpoint the vCPU
     * overwrote); any other exit fails the test.
     */
    private static List<String> stateAtExit(byte[] code, ExitReason reason, java.util.function.Consumer<Vcpu> setup,
            boolean racing) {
        List<String> seen = new ArrayList<>();
        for (String accel : new String[] {"interp", "bt"}) {
            TestCpu c = cpu(accel, code);
            setup.accept(c.vcpu());
            c.otherExits = (v, x) -> {
                if (x.reason == ExitReason.IO_INSTRUCTION) {
                    long checkpoint = v.checkpoint;
                    v.kick();
                    if (racing) {
                        v.checkpoint = checkpoint;
                    }
                    return;
                }
                assertEquals(reason, x.reason);
                seen.add(accel + ": eip " + Integer.toHexString(v.eip) + " eax " + v.reg[Vcpu.EAX] + " icount " + v.icount);
                v.setInterruptWindowExiting(false);
                v.requestStop();
            };
            c.run(0x1000, 100);
        }
        assertEquals(2, seen.size(), "each engine took the exit");
        return seen;
    }

    @Test
    void popfSettingTfLeavesTheUnitAndTrapsAfterTheNextInstruction() {
        byte[] code = {
            (byte) 0x9c,                                           // pushfd
            (byte) 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00,       // or dword [esp], 0x100 (TF)
            (byte) 0x9d,                                           // popfd
            0x40,                                                  // inc eax
            0x40,                                                  // inc eax
            (byte) 0xf4,                                           // hlt
        };
        // the trap is delivered through the IDT: gate 1 leads to a HLT at 0x2000
        TestCpu bt = withDbHandler(cpu("bt", code));
        TestCpu in = withDbHandler(cpu("interp", code));
        assertEquals(-1, bt.run(0x1000, 100));
        assertEquals(-1, in.run(0x1000, 100));
        int ret = bt.reg(Vcpu.ESP);
        assertEquals(0x100a, le32(in.read(in.reg(Vcpu.ESP), 4)), "the trap comes after the INC that follows POPF");
        assertEquals(0x100a, le32(bt.read(ret, 4)));
        assertEquals(1, bt.reg(Vcpu.EAX));
        assertEquals(in.vcpu().icount, bt.vcpu().icount);
        assertTrue(bt.translatedInstructions() >= 3, "PUSHFD, OR and POPFD ran in a unit");
    }

    private static TestCpu withDbHandler(TestCpu c) {
        c.write(0x3000 + 8, new byte[] {0x00, 0x20, 0x08, 0x00, 0x00, (byte) 0x8e, 0x00, 0x00}); // interrupt gate 1 -> 8:2000
        c.write(0x2000, new byte[] {(byte) 0xf4}); // hlt
        c.write(0x4000 + 8, new byte[] {(byte) 0xff, (byte) 0xff, 0, 0, 0, (byte) 0x9a, (byte) 0xcf, 0}); // flat ring 0 code
        c.vcpu().gdtBase = 0x4000;
        c.vcpu().gdtLimit = 0xf;
        c.vcpu().idtBase = 0x3000;
        c.vcpu().idtLimit = 0x7ff;
        c.vcpu().translate(0x8ffc, true, false); // the stack page in the TLB: the unit's PUSHFD does not miss
        return c;
    }

    private static int le32(byte[] b) {
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    @Test
    void aDataSegmentLoadGoesOnWhileTheSegmentsStayFlatAndLeavesWhenOneIsNot() {
        byte[] code = {
            (byte) 0xb8, 0x10, 0x00, 0x00, 0x00,             // mov eax, 0x10 (flat data)
            (byte) 0x8e, (byte) 0xd8,                        // mov ds, eax
            (byte) 0x8b, 0x1d, 0x00, 0x20, 0x00, 0x00,       // mov ebx, [0x2000]
            (byte) 0xb8, 0x18, 0x00, 0x00, 0x00,             // mov eax, 0x18 (data based at 0x100)
            (byte) 0x8e, (byte) 0xd8,                        // mov ds, eax
            (byte) 0x8b, 0x0d, 0x00, 0x20, 0x00, 0x00,       // mov ecx, [0x2000]: reads 0x2100
            (byte) 0xf4,                                     // hlt
        };
        TestCpu bt = cpu("bt", code);
        TestCpu in = cpu("interp", code);
        for (TestCpu c : new TestCpu[] {bt, in}) {
            c.write(0x4000 + 0x10, new byte[] {(byte) 0xff, (byte) 0xff, 0, 0, 0, (byte) 0x92, (byte) 0xcf, 0});
            c.write(0x4000 + 0x18, new byte[] {(byte) 0xff, (byte) 0xff, 0, 0x01, 0, (byte) 0x92, (byte) 0xcf, 0});
            c.vcpu().gdtBase = 0x4000;
            c.vcpu().gdtLimit = 0x1f;
            c.write(0x2000, new byte[] {5, 0, 0, 0});
            c.write(0x2100, new byte[] {7, 0, 0, 0});
            c.vcpu().translate(0x2000, false, false); // in the TLB: the unit's loads do not miss
            assertEquals(-1, c.run(0x1000, 100));
            assertEquals(5, c.reg(Vcpu.EBX));
            assertEquals(7, c.reg(Vcpu.ECX), "the load after the second MOV DS went through DS's base");
        }
        // the unit went on after the flat DS and left after the based one (had it gone on, its MOV ECX, translated
        // for a flat DS, would have read 5); the interpreter or a unit translated for the based DS ran the MOV ECX
        assertTrue(bt.translatedInstructions() >= 5, "the first five instructions ran in one unit");
        assertEquals(2, bt.vcpu().bt.calloutsInUnits[0x8e]);
    }

    @Test
    void rdtscUnderRdtscExitingStillExits() {
        byte[] code = {
            (byte) 0xbe, 0x01, 0x00, 0x00, 0x00, // mov esi, 1
            0x0f, 0x31,                          // rdtsc
            (byte) 0xf4,                         // hlt
        };
        for (String accel : new String[] {"interp", "bt"}) {
            TestCpu c = cpu(accel, code);
            c.vcpu().controls.rdtscExiting = true;
            int[] exits = {0};
            c.otherExits = (v, x) -> {
                assertEquals(ExitReason.RDTSC, x.reason);
                exits[0]++;
                v.reg[Vcpu.EAX] = 0x1234;
                v.reg[Vcpu.EDX] = 0x5678;
            };
            assertEquals(-1, c.run(0x1000, 100), accel);
            assertEquals(1, exits[0], accel + ": one RDTSC exit");
            assertEquals(0x1234, c.reg(Vcpu.EAX), accel);
            assertEquals(0x5678, c.reg(Vcpu.EDX), accel);
            assertEquals(1, c.reg(Vcpu.ESI), accel);
        }
    }
}
