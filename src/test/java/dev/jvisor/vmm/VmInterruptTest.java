package dev.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jvisor.bus.Timed;
import dev.jvisor.cpu.ExitReason;
import dev.jvisor.cpu.Segment;
import dev.jvisor.cpu.Vcpu;
import org.junit.jupiter.api.Test;

/**
 * Interrupt injection from the VMM's exit handlers: a timer that fires while the guest halts is
 * injected at the HLT exit's entry, with no EXTERNAL_INTERRUPT exit after it (the kick of the
 * INTR line is answered by that injection); a second request still pending after the injection
 * is looked at again through an interrupt window.
 */
class VmInterruptTest {
    /** A real-mode guest: IVT[0x20] -> 0:2000; at 1000 "sti; hlt"; at 2000 "cli; hlt" (the VM ends there). */
    private static Vm guest(int requests) {
        Vm vm = new Vm(1 << 20, true);
        Vcpu c = vm.vcpu();
        vm.ram().write32(0x20 * 4, 0x0000_2000);
        vm.ram().write8(0x1000, 0xfb);
        vm.ram().write8(0x1001, 0xf4);
        vm.ram().write8(0x2000, 0xfa);
        vm.ram().write8(0x2001, 0xf4);
        c.setSegment(Segment.CS, 0, 0, 0xffff, 0x9b);
        c.eip = 0x1000;
        c.reg[Vcpu.ESP] = 0x8000;
        int[] pending = {0};
        vm.setInterruptController(new InterruptController() {
            @Override
            public boolean hasInterrupt() {
                return pending[0] > 0;
            }

            @Override
            public int acknowledge() {
                pending[0]--;
                return 0x20;
            }
        });
        vm.addTimed(new Timed() {
            boolean fired;

            @Override
            public void advanceTo(long nowNanos) {
                fired = true;
                pending[0] = requests;
                vm.interruptLine(true);
            }

            @Override
            public long nextDeadline() {
                return fired ? Long.MAX_VALUE : 10_000;
            }
        });
        return vm;
    }

    @Test
    void interruptInjectedAtHltTakesNoExternalInterruptExit() {
        Vm vm = guest(1);
        assertEquals(Vm.StopReason.HALTED_WITH_INTERRUPTS_OFF, vm.run());
        assertEquals(0x2002, vm.vcpu().eip, "the handler ran");
        assertEquals(2, vm.stats().count(ExitReason.HLT));
        assertEquals(0, vm.stats().count(ExitReason.EXTERNAL_INTERRUPT));
    }

    @Test
    void aSecondRequestIsNotLeftBehind() {
        // the handler here is "cli; hlt", so the second request can never be taken: the VM must
        // still ask for the window (interrupt-window exiting stays armed)
        Vm vm = guest(2);
        assertEquals(Vm.StopReason.HALTED_WITH_INTERRUPTS_OFF, vm.run());
        assertEquals(true, vm.vcpu().controls.interruptWindowExiting, "window requested for the pending request");
    }

    /**
     * The STI shadow (SDM Vol. 3A 6.8.3): a request that came while IF was 0 is taken after the
     * instruction that follows STI, not before it and not later.
     */
    @Test
    void aPendingRequestWaitsOutTheStiShadowOnly() {
        Vm vm = guest(1);
        // at 1000 instead: cli; mov cx, 0xffff; l: loop l; sti; inc ax; inc bx; hlt (the timer fires in the loop)
        byte[] code = {(byte) 0xfa, (byte) 0xb9, (byte) 0xff, (byte) 0xff, (byte) 0xe2, (byte) 0xfe, (byte) 0xfb, 0x40, 0x43, (byte) 0xf4};
        for (int i = 0; i < code.length; i++) {
            vm.ram().write8(0x1000 + i, code[i] & 0xff);
        }
        assertEquals(Vm.StopReason.HALTED_WITH_INTERRUPTS_OFF, vm.run());
        Vcpu c = vm.vcpu();
        assertEquals(0x2002, c.eip, "the handler ran");
        assertEquals(1, c.reg[Vcpu.EAX] & 0xffff, "INC AX in the shadow ran before the interrupt");
        assertEquals(0, c.reg[Vcpu.EBX] & 0xffff, "INC BX after the shadow did not");
        assertEquals(0x1008, vm.ram().read8(0x8000 - 6) | vm.ram().read8(0x8000 - 5) << 8, "return IP: INC BX");
    }
}
