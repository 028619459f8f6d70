package dev.jvisor.devices.ide;

import dev.jvisor.bus.GuestMemory;
import java.io.IOException;

/**
 * One channel's half of the bus-master IDE register block (SFF-8038i rev 1.0, section 2; PIIX3
 * datasheet 290550 2.7): Command (offset 0: bit 0 Start/Stop, bit 3 direction, 1 = the
 * controller writes memory), Status (offset 2: bit 0 Active, bit 1 Error and bit 2 Interrupt
 * write-1-to-clear, bits 5-6 drive DMA capable, plain storage for the BIOS, bit 7 Simplex read as
 * 0) and the PRD table pointer (offsets 4-7, dword aligned). Other offsets read as zero.
 *
 * <p>{@link #transfer} moves one DMA command's data between the disk and guest RAM through the
 * PRD table, entirely within the call, and leaves the status bits as the specification's table of
 * Interrupt/Active combinations says.
 */
final class BusMasterChannel {
    static final int CMD_START = 0x01;
    static final int CMD_WRITE_TO_MEMORY = 0x08;
    static final int ST_ACTIVE = 0x01;
    static final int ST_ERROR = 0x02;
    static final int ST_INTERRUPT = 0x04;
    static final int ST_DRIVE0_DMA = 0x20;
    static final int ST_DRIVE1_DMA = 0x40;
    /** Staging buffer size: the disk is read or written in pieces of at most this many sectors. */
    static final int CHUNK_SECTORS = 128;

    /** How a transfer ended. */
    enum Outcome { COMPLETE, TABLE_TOO_SHORT, MEMORY_FAULT, DISK_FAULT }

    private final byte[] staging = new byte[CHUNK_SECTORS * IdeDisk.SECTOR_SIZE];
    private int command;
    private int status;
    private long prdTable;

    void reset(int driveCapableBits) {
        command = 0;
        status = driveCapableBits & (ST_DRIVE0_DMA | ST_DRIVE1_DMA);
        prdTable = 0;
    }

    int readByte(int offset) {
        return switch (offset) {
            case 0 -> command;
            case 2 -> status;
            case 4, 5, 6, 7 -> (int) (prdTable >>> (8 * (offset - 4))) & 0xFF;
            default -> 0;
        };
    }

    /** Applies a byte write; returns true when it set the Start bit (0 to 1). */
    boolean writeByte(int offset, int value) {
        switch (offset) {
            case 0 -> {
                boolean wasStarted = started();
                // Direction is only changed while stopped (SFF-8038i 2.1); reserved bits read 0.
                int direction = wasStarted ? command & CMD_WRITE_TO_MEMORY : value & CMD_WRITE_TO_MEMORY;
                command = direction | (value & CMD_START);
                if (!started()) {
                    status &= ~ST_ACTIVE; // stopping aborts the transfer
                    return false;
                }
                if (!wasStarted) {
                    status |= ST_ACTIVE;
                    return true;
                }
                return false;
            }
            case 2 -> {
                status &= ~(value & (ST_ERROR | ST_INTERRUPT));
                status = (status & ~(ST_DRIVE0_DMA | ST_DRIVE1_DMA)) | (value & (ST_DRIVE0_DMA | ST_DRIVE1_DMA));
                return false;
            }
            case 4, 5, 6, 7 -> {
                int shift = 8 * (offset - 4);
                prdTable = ((prdTable & ~(0xFFL << shift)) | ((long) (value & 0xFF) << shift)) & 0xFFFF_FFFCL;
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    boolean started() {
        return (command & CMD_START) != 0;
    }

    boolean writesMemory() {
        return (command & CMD_WRITE_TO_MEMORY) != 0;
    }

    int status() {
        return status;
    }

    /** The device asserted its interrupt (SFF-8038i 2.2, bit 2). */
    void interrupt() {
        status |= ST_INTERRUPT;
    }

    /** The transfer failed on the host side: Error set, Active cleared. */
    void fail() {
        status = (status | ST_ERROR) & ~ST_ACTIVE;
    }

    /**
     * Moves {@code sectors} sectors at {@code lba} between {@code disk} and guest RAM: into RAM
     * unless {@code toDisk}. On success Active stays set only if the PRD table describes more
     * bytes than were moved; on a table that is too short or an entry or region outside RAM the
     * Error bit is set. A disk error clears Active and leaves Error to the ATA status.
     */
    Outcome transfer(GuestMemory memory, IdeDisk disk, long lba, long sectors, boolean toDisk) {
        PrdCursor prd = new PrdCursor(memory, prdTable);
        long left = sectors;
        long at = lba;
        while (left > 0) {
            int k = (int) Math.min(left, CHUNK_SECTORS);
            int bytes = k * IdeDisk.SECTOR_SIZE;
            Outcome o;
            if (toDisk) {
                o = move(prd, memory, bytes, true);
                if (o == Outcome.COMPLETE && !diskIo(disk, at, k, true)) {
                    o = Outcome.DISK_FAULT;
                }
            } else {
                o = diskIo(disk, at, k, false) ? move(prd, memory, bytes, false) : Outcome.DISK_FAULT;
            }
            if (o != Outcome.COMPLETE) {
                if (o == Outcome.DISK_FAULT) {
                    status &= ~ST_ACTIVE;
                } else {
                    fail();
                }
                return o;
            }
            left -= k;
            at += k;
        }
        if (prd.exhausted() || !prd.ready()) {
            status &= ~ST_ACTIVE; // the table ended with the transfer: normal completion
        }
        return Outcome.COMPLETE;
    }

    /** Copies {@code bytes} between the staging buffer and the regions the PRD table names. */
    private Outcome move(PrdCursor prd, GuestMemory memory, int bytes, boolean fromMemory) {
        int off = 0;
        while (off < bytes) {
            if (!prd.ready()) {
                return prd.faulted() ? Outcome.MEMORY_FAULT : Outcome.TABLE_TOO_SHORT;
            }
            int n = Math.min(prd.regionLeft(), bytes - off);
            boolean ok = fromMemory
                    ? memory.read(prd.address(), staging, off, n)
                    : memory.write(prd.address(), staging, off, n);
            if (!ok) {
                return Outcome.MEMORY_FAULT;
            }
            prd.consume(n);
            off += n;
        }
        return Outcome.COMPLETE;
    }

    private boolean diskIo(IdeDisk disk, long lba, int count, boolean write) {
        try {
            if (write) {
                disk.write(lba, staging, 0, count);
            } else {
                disk.read(lba, staging, 0, count);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
