package dev.jvisor.devices.ide;

/**
 * One ATA hard disk on a channel: its storage, its own Status and Error registers and interrupt
 * request (the command-block registers are shared with the other device, see {@link IdeChannel}),
 * and the settings commands change: multiple count, write cache, transfer modes, CHS translation.
 */
final class AtaDrive {
    /** Largest READ/WRITE MULTIPLE block this drive accepts (IDENTIFY word 47). */
    static final int MAX_MULTIPLE = 16;
    static final int DEFAULT_HEADS = 16;
    static final int DEFAULT_SECTORS_PER_TRACK = 63;

    final IdeDisk disk;
    final String serial;
    final boolean master;

    int status;
    int error;
    boolean irqPending;

    int multipleCount;
    boolean writeCache;
    int pioMode;
    /** Selected multiword DMA mode or -1; selected Ultra DMA mode or -1 (at most one is set). */
    int mwdmaMode;
    int udmaMode;
    int heads;
    int sectorsPerTrack;

    AtaDrive(IdeDisk disk, String serial, boolean master) {
        this.disk = disk;
        this.serial = serial;
        this.master = master;
        powerOn();
    }

    /** Power-on defaults, as a BIOS leaves them (multiple mode 16, MWDMA2, write cache on). */
    void powerOn() {
        status = Ata.READY;
        error = Ata.DIAG_PASSED;
        irqPending = false;
        multipleCount = MAX_MULTIPLE;
        writeCache = true;
        pioMode = 4;
        mwdmaMode = 2;
        udmaMode = -1;
        heads = DEFAULT_HEADS;
        sectorsPerTrack = DEFAULT_SECTORS_PER_TRACK;
    }

    long sectors() {
        return disk.sectors();
    }

    /** Default-translation cylinders (IDENTIFY word 1), capped at 16383 as ATA-6 6.2.1 asks. */
    int defaultCylinders() {
        return (int) Math.max(1, Math.min(16383, sectors() / (DEFAULT_HEADS * DEFAULT_SECTORS_PER_TRACK)));
    }

    /** Cylinders in the current translation (word 54). */
    int currentCylinders() {
        long perCylinder = (long) heads * sectorsPerTrack;
        return (int) Math.max(1, Math.min(65535, sectors() / perCylinder));
    }
}
