package dev.jvisor.devices.apic;

/**
 * The 8259A's INTR output and INTA cycle as the local APIC's LINT0 sees them in ExtINT mode
 * (SDM Vol. 3A 11.5.1: "ExtINT: causes the processor to respond to the interrupt as if the
 * interrupt originated in an externally connected (8259A-compatible) interrupt controller").
 */
public interface ExtIntSource {
    boolean hasInterrupt();

    /** The INTA cycle: the vector the external controller puts on the bus. */
    int acknowledge();
}
