package dev.jvisor.devices.ide;

/**
 * Bit assignments of the ATA task-file registers (ATA/ATAPI-6, T13/1410D, section 7): Status
 * (7.15), Error (7.9), Device (7.7) and Device Control (7.8).
 */
final class Ata {
    private Ata() { }

    // Status register (7.15.6)
    static final int BSY = 0x80;
    static final int DRDY = 0x40;
    static final int DF = 0x20;
    /** Device Seek Complete: obsolete in ATA-6, still set by drives when ready. */
    static final int DSC = 0x10;
    static final int DRQ = 0x08;
    static final int ERR = 0x01;
    /** The status of an idle, ready drive. */
    static final int READY = DRDY | DSC;

    // Error register (7.9.6, per-command error outputs in section 8)
    static final int UNC = 0x40;
    static final int IDNF = 0x10;
    static final int ABRT = 0x04;
    /** Diagnostic code: device passed (and device 1 passed or is absent), 9.10 table 27. */
    static final int DIAG_PASSED = 0x01;

    // Device register (7.7)
    static final int DEV_LBA = 0x40;
    static final int DEV_SELECT = 0x10;

    // Device Control register (7.8)
    static final int HOB = 0x80;
    static final int SRST = 0x04;
    static final int NIEN = 0x02;

    /** What a read of a register nobody drives returns: D7 has a pull-down (ATA-6 9.16 / annex). */
    static final int FLOATING = 0x7F;
}
