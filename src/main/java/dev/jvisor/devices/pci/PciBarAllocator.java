package dev.jvisor.devices.pci;

import dev.jvisor.devices.DualPic;

/**
 * Does at machine creation what PC firmware does before booting: gives every BAR on bus 0 an
 * address (I/O from 0xC000, memory from 0xE0000000, each naturally aligned), enables decoding in
 * the command register, and routes interrupts: a device in slot d using pin p is on PIRQ
 * (d + p - 1) mod 4, PIRQA-D go to ISA IRQs 10, 10, 11, 11 (made level-triggered in the ELCR),
 * recorded in the PIIX3's 0x60-0x63 and in each function's interrupt line register.
 */
public final class PciBarAllocator {
    public static final int IO_BASE = 0xC000;
    public static final int IO_LIMIT = 0x10000;
    public static final long MEMORY_BASE = 0xE000_0000L;
    /** Below the I/O APIC and local APIC pages. */
    public static final long MEMORY_LIMIT = 0xFEC0_0000L;
    public static final int[] PIRQ_TO_IRQ = {10, 10, 11, 11};

    private PciBarAllocator() { }

    /** Allocates everything; {@code pic} (may be null) gets the PCI IRQs marked level-triggered. */
    public static void assign(PciHostBridge bus, Piix3IsaBridge isa, DualPic pic) {
        long io = IO_BASE;
        long mem = MEMORY_BASE;
        if (isa != null) {
            for (int p = 0; p < 4; p++) {
                isa.route(p, PIRQ_TO_IRQ[p]);
                if (pic != null) {
                    pic.setLevelTriggered(PIRQ_TO_IRQ[p], true); // PCI interrupts are shared levels
                }
            }
        }
        for (PciHostBridge.Slot slot : bus.slots()) {
            PciFunction fn = slot.fn();
            int command = fn.config16(PciFunction.COMMAND);
            for (int i = 0; i < 6; i++) {
                PciFunction.Bar b = fn.bar(i);
                if (b == null) {
                    continue;
                }
                if (b.io()) {
                    long at = align(io, b.size());
                    if (at + b.size() <= IO_LIMIT) {
                        fn.setBarAddress(i, at);
                        io = at + b.size();
                        command |= PciFunction.COMMAND_IO;
                    }
                } else {
                    long at = align(mem, b.size());
                    if (at + b.size() <= MEMORY_LIMIT) {
                        fn.setBarAddress(i, at);
                        mem = at + b.size();
                        command |= PciFunction.COMMAND_MEMORY;
                    }
                }
            }
            fn.setCommand(command);
            int pin = fn.interruptPin();
            if (pin >= 1 && pin <= 4 && isa != null) {
                int pirq = Piix3IsaBridge.pirqFor(slot.device(), pin);
                int irq = PIRQ_TO_IRQ[pirq];
                fn.setInterruptLine(irq);
                fn.connectIntx(isa.intxLine(slot.device(), pin));
            }
        }
    }

    private static long align(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
