package dev.jvisor.bus;

/**
 * A device reached through model-specific registers (RDMSR/WRMSR exits), as the local APIC is
 * through IA32_APIC_BASE and IA32_TSC_DEADLINE, and the KVM para-virtual interface (kvmclock). The hypervisor asks {@link #handlesMsr} first and
 * turns a refused access into #GP(0) for the guest. Called on the vCPU thread; never throws.
 */
public interface MsrDevice {
    boolean handlesMsr(int msr);

    long rdmsr(int msr);

    /** Returns false if the value is not acceptable (the guest gets #GP(0)). */
    boolean wrmsr(int msr, long value);
}
