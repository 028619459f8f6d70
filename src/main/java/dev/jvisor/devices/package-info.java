/**
 * Legacy PC devices as state machines behind the bus API ({@code dev.jvisor.bus}). Wiring, one
 * line per device (the machine builder does this explicitly):
 *
 * <pre>{@code
 * DualPic pic = new DualPic(cpuIntr);
 * ports.register(DualPic.MASTER_BASE, DualPic.PORT_COUNT, pic);
 * ports.register(DualPic.SLAVE_BASE, DualPic.PORT_COUNT, pic);
 * ports.register(DualPic.ELCR_BASE, DualPic.ELCR_PORT_COUNT, pic);
 *
 * Pit8254 pit = new Pit8254(clock, pic.irq(0));                      // Timed
 * ports.register(Pit8254.BASE, Pit8254.PORT_COUNT, pit);
 * ports.register(SystemControlPortB.PORT, 1, new SystemControlPortB(pit));
 *
 * Rtc146818 rtc = new Rtc146818(clock, pic.irq(Rtc146818.IRQ));     // Timed
 * rtc.setMemorySize(ramBytes);
 * ports.register(Rtc146818.BASE, Rtc146818.PORT_COUNT, rtc);
 *
 * Uart16550 com1 = new Uart16550(Uart16550.COM1, pic.irq(Uart16550.COM1_IRQ), consoleOut);
 * ports.register(Uart16550.COM1, Uart16550.PORT_COUNT, com1);
 *
 * A20Gate a20 = new A20Gate(memory::setA20);
 * I8042 kbc = new I8042(pic.irq(I8042.IRQ), machine::reset, a20);
 * ports.register(I8042.DATA_PORT, 1, kbc);
 * ports.register(I8042.STATUS_PORT, 1, kbc);
 * ports.register(SystemControlPortA.PORT, 1, new SystemControlPortA(a20, machine::reset));
 * ports.register(PostCodePort.PORT, 1, new PostCodePort());
 * DebugExit exit = new DebugExit(machine::exit);
 * ports.register(exit.port(), exit.width(), exit);
 *
 * PciHostBridge pci = new PciHostBridge(new BusBarMapper(ports, mmio), machine::reset);
 * ports.register(PciHostBridge.BASE, PciHostBridge.PORT_COUNT, pci);
 * Piix3IsaBridge piix3 = new Piix3IsaBridge(pic::irq);
 * pci.attach(0, 0, new I440fxPmc());
 * pci.attach(1, 0, piix3);
 * // ... attach further functions, then, as firmware would:
 * PciBarAllocator.assign(pci, piix3, pic);
 * }</pre>
 *
 * Devices never throw on guest input; multi-byte accesses to byte-wide registers are split
 * over consecutive ports ({@link dev.jvisor.devices.ByteLanes}).
 */
package dev.jvisor.devices;
