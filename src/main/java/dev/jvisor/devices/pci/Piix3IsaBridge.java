package dev.jvisor.devices.pci;

import dev.jvisor.bus.IrqLine;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Intel 82371SB PIIX3 function 0, the PCI-to-ISA bridge at 00:01.0 (datasheet 290550): vendor
 * 8086, device 7000, class 06/01/00, multi-function header. It owns the PIRQ router: registers
 * 0x60-0x63 (PIRQRC[A:D]) steer the four shared PCI interrupt wires to ISA IRQs (bit 7 set =
 * not routed; IRQ 0-2, 8 and 13 are reserved and treated as not routed).
 *
 * <p>PCI interrupt sources get their wire from {@link #intxLine(int, int)}: the usual swizzle
 * PIRQ = (slot + pin - 1) mod 4. Several sources on one PIRQ, and several PIRQs steered to one
 * ISA IRQ, are wired-OR (the lines are active-low open-drain on real boards). Thread-safe.
 * Other chipset registers 0x40-0xFF are plain storage.
 */
public final class Piix3IsaBridge extends PciFunction {
    public static final int VENDOR = 0x8086;
    public static final int DEVICE = 0x7000;
    public static final int PIRQ_ROUTE = 0x60;
    private static final int NOT_ROUTED = 0x80;

    private final IntFunction<IrqLine> isaIrq;
    private final List<Source> sources = new ArrayList<>();
    private final boolean[] isaLevels = new boolean[16];

    private final class Source implements IrqLine {
        final int pirq;
        boolean level;

        Source(int pirq) {
            this.pirq = pirq;
        }

        @Override
        public void setLevel(boolean high) {
            synchronized (Piix3IsaBridge.this) {
                level = high;
                reroute();
            }
        }
    }

    /** {@code isaIrq} gives the ISA interrupt wire n (0-15), normally {@code DualPic::irq}. */
    public Piix3IsaBridge(IntFunction<IrqLine> isaIrq) {
        super(VENDOR, DEVICE, 0x060100, 0x00, 0x80);
        this.isaIrq = isaIrq;
        setConfig16(COMMAND, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER);
        setConfig16(STATUS, 0x0200); // medium DEVSEL timing
        for (int at = 0x40; at < 0x100; at += 8) {
            setWritable(at, 8, -1L);
        }
        for (int i = 0; i < 4; i++) {
            setConfig8(PIRQ_ROUTE + i, NOT_ROUTED);
        }
        setWritable(PIRQ_ROUTE, 4, 0x8f8f8f8fL);
    }

    /** The interrupt wire for a device in {@code slot} using pin 1-4 (INTA-INTD). */
    public synchronized IrqLine intxLine(int slot, int pin) {
        Source s = new Source(pirqFor(slot, pin));
        sources.add(s);
        return s;
    }

    /** PCI-to-PCI bridge spec swizzle used by the PC motherboard wiring. */
    public static int pirqFor(int slot, int pin) {
        return Math.floorMod(slot + pin - 1, 4);
    }

    /** The ISA IRQ a PIRQ is steered to, or -1 when it is not routed. */
    public synchronized int routedIrq(int pirq) {
        int r = config8(PIRQ_ROUTE + (pirq & 3));
        int irq = r & 0x0f;
        boolean reserved = irq < 3 || irq == 8 || irq == 13;
        return (r & NOT_ROUTED) != 0 || reserved ? -1 : irq;
    }

    /** Firmware set-up: steer a PIRQ to an ISA IRQ. */
    public synchronized void route(int pirq, int irq) {
        setConfig8(PIRQ_ROUTE + (pirq & 3), irq < 0 ? NOT_ROUTED : irq & 0x0f);
        reroute();
    }

    @Override
    protected void configWritten(int offset, int size, int value) {
        if (offset < PIRQ_ROUTE + 4 && offset + size > PIRQ_ROUTE) {
            synchronized (this) {
                reroute();
            }
        }
    }

    private void reroute() {
        boolean[] pirqLevel = new boolean[4];
        for (Source s : sources) {
            pirqLevel[s.pirq] |= s.level;
        }
        boolean[] levels = new boolean[16];
        for (int p = 0; p < 4; p++) {
            int irq = routedIrq(p);
            if (irq >= 0 && pirqLevel[p]) {
                levels[irq] = true;
            }
        }
        for (int irq = 0; irq < 16; irq++) {
            if (levels[irq] != isaLevels[irq]) {
                isaLevels[irq] = levels[irq];
                IrqLine line = isaIrq == null ? null : isaIrq.apply(irq);
                if (line != null) {
                    line.setLevel(levels[irq]);
                }
            }
        }
    }
}
