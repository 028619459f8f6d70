package dev.jvisor.bus;

/**
 * The VM's one virtual clock (DESIGN.md section 5): nanoseconds since the VM was created. Host
 * monotonic time by default; with --icount it advances with retired guest instructions, so runs
 * are deterministic. Every device's notion of time comes from here.
 */
public interface Clock {
    long nanos();
}
