package dev.jvisor.devices.pci;

/**
 * Hears when a BAR of a PCI function starts, stops or moves decoding, so the machine can move the
 * device's range on the PortBus or MmioBus. {@code oldBase} / {@code newBase} are
 * {@link PciFunction#UNMAPPED} when the BAR was / is not decoded. Called on the vCPU thread, in
 * the middle of the guest's configuration write. {@link BusBarMapper} is the usual implementation.
 */
@FunctionalInterface
public interface BarListener {
    void barRemapped(PciFunction function, int bar, long oldBase, long newBase);

    BarListener NONE = (function, bar, oldBase, newBase) -> { };
}
