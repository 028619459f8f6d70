/**
 * The local APIC (SDM Vol. 3A chapter 11) of the para-virtual machine: {@link
 * dev.jvisor.devices.apic.LocalApic} with its timer and KVM's PV EOI. The legacy PC (full
 * virtualization) has none. Wiring:
 *
 * <pre>{@code
 * LocalApic apic = new LocalApic(dualPic, clock, vcpu::readTsc, guestRam);  // LINT0 = the PIC's INTR
 * mmio.register(LocalApic.DEFAULT_BASE, LocalApic.PAGE_SIZE, apic);
 * vm.addTimed(apic);
 * vm.setMsrDevice(apic);        // IA32_APIC_BASE, IA32_TSC_DEADLINE, MSR_KVM_PV_EOI_EN
 * vm.setInterruptController(...apic.hasInterrupt() / apic.acknowledge()...);
 * }</pre>
 */
package dev.jvisor.devices.apic;
