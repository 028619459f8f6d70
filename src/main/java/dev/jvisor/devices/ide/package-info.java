/**
 * The legacy disk for full virtualization: the PIIX3 IDE controller (PCI 00:01.1, 8086:7010) with
 * ATA PIO and bus-master DMA, so Debian's {@code ata_piix} driver finds {@code /dev/sda}.
 * Wiring in the machine builder, after the PIC, the PCI host bridge and the PIIX3 ISA bridge:
 *
 * <pre>{@code
 * Piix3Ide ide = new Piix3Ide(memory, pic.irq(Piix3Ide.PRIMARY_IRQ), pic.irq(Piix3Ide.SECONDARY_IRQ));
 * ide.registerLegacyPorts(ports);          // 1F0-1F7, 3F6, 170-177, 376
 * List<IdeDriveOption> drives = ...;       // new IdeDriveOption(path, readOnly, index) (the machine parses --drive)
 * int[] at = IdeDriveOption.positions(drives);
 * for (int i = 0; i < drives.size(); i++) {
 *     ide.attach(at[i], drives.get(i).open());   // one-line IOException naming the file
 * }
 * pci.attach(Piix3Ide.PCI_SLOT, Piix3Ide.PCI_FUNCTION, ide);
 * PciBarAllocator.assign(pci, piix3, pic);  // places BAR4 (bus master) like any I/O BAR
 * // on machine reset: ide.reset(); at exit: ide.closeDisks();
 * }</pre>
 *
 * <p>Pieces, one concept each: {@link dev.jvisor.devices.ide.Piix3Ide} (PCI function, port
 * decoding), {@code IdeChannel} (task file and ATA protocols), {@code AtaDrive} (per-drive state),
 * {@code IdentifyData}, {@code BusMasterChannel} and {@code PrdCursor} (SFF-8038i DMA),
 * {@link dev.jvisor.devices.ide.IdeDisk} / {@link dev.jvisor.devices.ide.RawIdeDisk} (storage),
 * {@link dev.jvisor.devices.ide.IdeDriveOption} (the {@code --drive} syntax).
 *
 * <p>Guest modules (Debian linux-image 6.1 686, all {@code =m}), in load order with their
 * {@code depends=}: scsi_common (none), scsi_mod (scsi_common), libata (scsi_mod,scsi_common),
 * ata_piix (libata); for the disk itself crct10dif_common (none), crc-t10dif (crct10dif_common),
 * crc64 (none), crc64-rocksoft (crc64), t10-pi (crc-t10dif,crc64-rocksoft), sd_mod
 * (scsi_mod,t10-pi).
 */
package dev.jvisor.devices.ide;
