package dev.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.cpu.ExitReason;
import dev.jvisor.cpu.Segment;
import dev.jvisor.cpu.Vcpu;
import dev.jvisor.devices.apic.ExtIntSource;
import dev.jvisor.devices.apic.LocalApic;
import org.junit.jupiter.api.Test;

/**
 * The local APIC's TSC-deadline timer through the VM: a WRMSR of IA32_TSC_DEADLINE re-arms the
 * VM's timers, so the guest that then halts is woken by the APIC at that TSC value.
 */
class VmApicTimerTest {
    static final int VECTOR = 0xec;

    @Test
    void wrmsrArmsTheDeadlineThatWakesAHaltedGuest() {
        Vm vm = new Vm(1 << 20, true);
        ExtIntSource noPic = new ExtIntSource() {
            @Override
            public boolean hasInterrupt() {
                return false;
            }

            @Override
            public int acknowledge() {
                return 0;
            }
        };
        LocalApic apic = new LocalApic(noPic, vm.clock(), vm.vcpu()::readTsc, vm.ram());
        vm.mmio().register(LocalApic.DEFAULT_BASE, LocalApic.PAGE_SIZE, apic);
        vm.addTimed(apic);
        vm.setMsrDevice(apic);
        vm.setInterruptController(new InterruptController() {
            @Override
            public boolean hasInterrupt() {
                return apic.hasInterrupt();
            }

            @Override
            public int acknowledge() {
                return apic.acknowledge();
            }
        });
        apic.mmioWrite(0xf0, 4, 0x1ff); // SVR: software enable
        apic.mmioWrite(0x320, 4, 2 << 17 | VECTOR); // LVT timer: TSC-deadline mode

        // real mode: mov ecx,0x6e0; rdtsc; add eax,50000; adc edx,0; wrmsr; sti; hlt  -- handler: cli; hlt
        Vcpu c = vm.vcpu();
        vm.ram().write32(VECTOR * 4, 0x0000_2000);
        byte[] code = {0x66, (byte) 0xb9, (byte) 0xe0, 0x06, 0, 0, 0x0f, 0x31, 0x66, 0x05, 0x50, (byte) 0xc3, 0, 0,
            0x66, (byte) 0x83, (byte) 0xd2, 0x00, 0x0f, 0x30, (byte) 0xfb, (byte) 0xf4};
        vm.ram().write(0x1000, code, 0, code.length);
        vm.ram().write8(0x2000, 0xfa);
        vm.ram().write8(0x2001, 0xf4);
        c.setSegment(Segment.CS, 0, 0, 0xffff, 0x9b);
        c.eip = 0x1000;
        c.reg[Vcpu.ESP] = 0x8000;
        vm.setDeadline(System.nanoTime() + 20_000_000_000L); // a lost deadline would halt forever

        assertEquals(Vm.StopReason.HALTED_WITH_INTERRUPTS_OFF, vm.run());
        assertEquals(0x2002, c.eip, "the timer handler ran");
        assertEquals(1, vm.stats().count(ExitReason.WRMSR));
        assertTrue(vm.clock().nanos() >= 50_000, "woken at the deadline, not before: " + vm.clock().nanos());
        assertTrue(vm.clock().nanos() < 60_000, "and not much after: " + vm.clock().nanos());
        assertEquals(0, apic.rdmsr(LocalApic.MSR_TSC_DEADLINE), "fired");
    }
}
