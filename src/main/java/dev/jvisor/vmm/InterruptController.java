package dev.jvisor.vmm;

/** The guest's interrupt controller as the hypervisor sees it: its INTR output and the INTA cycle. */
public interface InterruptController {
    boolean hasInterrupt();

    /** Interrupt acknowledge: returns the vector to deliver. */
    int acknowledge();
}
