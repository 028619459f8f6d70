package dev.jvisor.devices.pci;

/**
 * Intel 82441FX PCI and Memory Controller (i440FX "PMC", datasheet 290549), the host bridge at
 * 00:00.0: vendor 8086, device 1237, class 06/00/00. Its chipset registers 0x40-0xFF (PAM,
 * DRB, SMRAM...) are plain storage: memory is mapped by the machine, not by these registers.
 */
public final class I440fxPmc extends PciFunction {
    public static final int VENDOR = 0x8086;
    public static final int DEVICE = 0x1237;

    public I440fxPmc() {
        super(VENDOR, DEVICE, 0x060000, 0x02, 0x00);
        setConfig16(COMMAND, COMMAND_IO | COMMAND_MEMORY);
        setConfig16(STATUS, 0x0280); // fast back-to-back capable, medium DEVSEL timing
        for (int at = 0x40; at < 0x100; at += 8) {
            setWritable(at, 8, -1L);
        }
    }
}
