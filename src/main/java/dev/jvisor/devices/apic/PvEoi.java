package dev.jvisor.devices.apic;

import dev.jvisor.bus.GuestMemory;

/**
 * KVM's para-virtual end of interrupt (Documentation/virt/kvm/x86/msr.rst, MSR_KVM_PV_EOI_EN
 * 0x4b564d04; KVM_FEATURE_PV_EOI). The guest gives a 4-byte aligned guest-physical address with
 * bit 0 set to enable. Bit 0 of the byte there is the "EOI pending" flag: the host sets it when it
 * injects an interrupt whose EOI the guest may skip; the guest's EOI routine test-and-clears it and
 * writes the APIC's EOI register only if it was clear. The host notices the cleared flag the next
 * time it looks at the APIC and performs the EOI itself: no exit for the EOI.
 *
 * <p>The host side works as KVM's does: {@link #syncFromGuest} before the APIC is looked at (KVM:
 * after every exit) takes the flag back, {@link #syncToGuest} after (KVM: before every entry) sets
 * it again if the APIC is still in a state where a skipped EOI is safe. Guest memory is accessed
 * only inside RAM.
 */
final class PvEoi {
    static final int MSR = 0x4b564d04;
    private static final long ENABLED = 1;

    private final GuestMemory memory;
    private long msr;
    /** The host set the guest's flag and has not looked at it since (KVM_APIC_PV_EOI_PENDING). */
    private boolean pending;
    private long flagsSet;
    private long eoisSkipped;

    PvEoi(GuestMemory memory) {
        this.memory = memory;
    }

    long msr() {
        return msr;
    }

    /** MSR write; false (the guest gets #GP, as from KVM) if the address is not 4-byte aligned or not in RAM. */
    boolean write(long value) {
        long gpa = value & ~ENABLED;
        if ((gpa & 3) != 0 || (value & ENABLED) != 0 && !memory.isRam(gpa, 4)) {
            return false;
        }
        msr = value;
        pending = false;
        return true;
    }

    boolean enabled() {
        return (msr & ENABLED) != 0;
    }

    private long gpa() {
        return msr & ~ENABLED;
    }

    /**
     * Takes the flag back. Returns true if the guest cleared it since the host set it: the guest
     * has skipped an EOI the caller must now perform.
     */
    boolean syncFromGuest() {
        if (!pending) {
            return false;
        }
        pending = false;
        if (!enabled() || !memory.isRam(gpa(), 4)) {
            return false;
        }
        if ((memory.read8(gpa()) & 1) == 0) {
            eoisSkipped++;
            return true;
        }
        memory.write8(gpa(), 0);
        return false;
    }

    /** Sets the guest's flag (the caller has checked that a skipped EOI is safe now). */
    void syncToGuest() {
        if (!enabled() || pending || !memory.isRam(gpa(), 4)) {
            return;
        }
        memory.write8(gpa(), 1);
        pending = true;
        flagsSet++;
    }

    boolean pending() {
        return pending;
    }

    /** How often the host offered the shortcut. */
    long flagsSet() {
        return flagsSet;
    }

    /** How many EOIs the guest skipped (each one an MMIO exit saved). */
    long eoisSkipped() {
        return eoisSkipped;
    }

    void reset() {
        msr = 0;
        pending = false;
    }
}
