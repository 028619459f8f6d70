package dev.jvisor.bus;

/**
 * A device reached through the x86 I/O port space (IN/OUT). Called on the vCPU thread when the
 * hypervisor handles an IO_INSTRUCTION exit. {@code size} is 1, 2 or 4 bytes.
 * A device must never throw: bad guest values end as a device error state, not an exception.
 */
public interface PortIoDevice {
    /** Returns the value read (low {@code size} bytes significant). */
    int ioRead(int port, int size);

    void ioWrite(int port, int size, int value);
}
