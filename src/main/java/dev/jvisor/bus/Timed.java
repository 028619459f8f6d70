package dev.jvisor.bus;

/**
 * A device with timers (PIT, RTC, UART transmit pacing). The hypervisor calls {@link #advanceTo}
 * on the vCPU thread whenever virtual time has reached the earliest {@link #nextDeadline} of all
 * timed devices, and after every port or MMIO access to the device (which may reprogram it).
 * Devices raise their IRQ lines from inside advanceTo. Deadlines are virtual nanoseconds.
 */
public interface Timed {
    /** Run every timer event due at or before {@code nowNanos}. */
    void advanceTo(long nowNanos);

    /** The virtual time of the next event, or {@link Long#MAX_VALUE} if none is armed. */
    long nextDeadline();
}
