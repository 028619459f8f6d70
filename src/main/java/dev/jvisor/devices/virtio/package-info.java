/**
 * Para-virtual devices: virtio 1.x over PCI, modern transport only (virtio 1.1 section 4.1), INTx
 * interrupts, split virtqueues. {@link dev.jvisor.devices.virtio.VirtioPciTransport} is the
 * PciFunction every device extends; {@link dev.jvisor.devices.virtio.Virtqueue} walks and
 * validates the rings; the device types are {@link dev.jvisor.devices.virtio.VirtioBlk},
 * {@link dev.jvisor.devices.virtio.VirtioConsole} and {@link dev.jvisor.devices.virtio.VirtioRng}.
 *
 * <p>Wiring (after the PCI host bridge and PIIX3 are attached, before
 * {@code PciBarAllocator.assign}, which gives the BAR an address, enables memory decoding and
 * routes INTA through the PIIX3 to IRQ 10 or 11):
 *
 * <pre>{@code
 * GuestMemory ram = vm.ram();
 * DiskImage disk = DiskImage.open(Path.of(image), readOnly);     // one-line IOException on failure
 * pci.attach(3, 0, new VirtioBlk(ram, disk));
 * VirtioConsole hvc = new VirtioConsole(ram, console, vm::wake);  // IntConsumer output, Runnable wake
 * pci.attach(4, 0, hvc);                                          // input: hvc.receive(bytes) from any thread
 * pci.attach(5, 0, new VirtioRng(ram));
 * PciBarAllocator.assign(pci, piix3, pic);
 * }</pre>
 *
 * Queue notifications are processed synchronously on the vCPU thread that wrote the notify
 * register; only console input arrives from another thread. A guest that breaks the protocol
 * puts the device in DEVICE_NEEDS_RESET (one log line), never throws into the VMM.
 */
package dev.jvisor.devices.virtio;
