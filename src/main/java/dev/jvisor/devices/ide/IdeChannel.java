package dev.jvisor.devices.ide;

import dev.jvisor.bus.GuestMemory;
import dev.jvisor.bus.IrqLine;
import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * One ATA channel (cable) with up to two drives, as the host sees it through the command block
 * registers 0-7 and the control block (Alternate Status / Device Control): ATA/ATAPI-6 sections
 * 7 (registers), 9 (protocols) and 8 (commands). Both devices receive every register write; reads
 * come from the selected device. With device 1 selected but absent, device 0 answers for it with
 * Status 00h (9.16.1), which is how libata's ata_sff_dev_classify tells that the slave is missing;
 * with device 0 absent every register floats to 7Fh.
 *
 * <p>Commands run to completion inside the register write that issues them, so BSY is never seen
 * set except during SRST; DRQ marks a PIO block waiting for the host, or a DMA command waiting for
 * the bus master's Start bit. Each drive has its own INTRQ request; the line follows the selected
 * drive's request unless nIEN is set. Reading Status clears the request, Alternate Status does not.
 *
 * <p>The guest can put any value in any register: every path ends in a status with ERR and an
 * Error code (ABRT, IDNF, UNC) or in normal completion, never in an exception out of here.
 */
final class IdeChannel {
    private enum Phase { IDLE, PIO_IN, PIO_OUT, DMA }

    private final AtaDrive[] drives = new AtaDrive[2];
    private final IrqLine irq;
    private final GuestMemory memory;
    private final BooleanSupplier busMasterEnabled;
    final BusMasterChannel busMaster = new BusMasterChannel();

    // Command block (7.1): each of these is a two-byte FIFO for 48-bit commands; *Hob is the
    // previously written byte, read back when Device Control HOB is set (6.20).
    private int features;
    private int featuresHob;
    private int count;
    private int countHob;
    private int lbaLow;
    private int lbaLowHob;
    private int lbaMid;
    private int lbaMidHob;
    private int lbaHigh;
    private int lbaHighHob;
    private int device;
    private int control;
    private boolean irqLevel;

    // The one transfer in progress on the cable.
    private Phase phase = Phase.IDLE;
    private AtaDrive owner;
    private final byte[] buffer = new byte[AtaDrive.MAX_MULTIPLE * IdeDisk.SECTOR_SIZE];
    private int bufPos;
    private int bufLen;
    private int blockCount;
    private int blockSectors;
    private boolean fromDisk;
    private long nextLba;
    private long remaining;
    private boolean dmaToDisk;

    /** Exceptions caught by the safety net in {@link #command}: always 0 unless there is a bug. */
    int internalErrors;

    IdeChannel(IrqLine irq, GuestMemory memory, BooleanSupplier busMasterEnabled) {
        this.irq = irq == null ? IrqLine.NONE : irq;
        this.memory = memory;
        this.busMasterEnabled = busMasterEnabled;
    }

    void attach(int position, AtaDrive drive) {
        drives[position & 1] = drive;
        reset();
    }

    AtaDrive drive(int position) {
        return drives[position & 1];
    }

    /** Hardware reset (RESET-): power-on defaults, signature, bus master stopped. */
    void reset() {
        abortTransfer();
        control = 0;
        for (AtaDrive d : drives) {
            if (d != null) {
                d.powerOn();
            }
        }
        signature();
        busMaster.reset((drives[0] != null ? BusMasterChannel.ST_DRIVE0_DMA : 0)
                | (drives[1] != null ? BusMasterChannel.ST_DRIVE1_DMA : 0));
        updateIrq();
    }

    // ---- register access ----

    private int selectedIndex() {
        return (device & Ata.DEV_SELECT) != 0 ? 1 : 0;
    }

    private AtaDrive selected() {
        return drives[selectedIndex()];
    }

    /** The device driving the bus for reads, or null when nobody does. */
    private AtaDrive responder() {
        AtaDrive sel = selected();
        return sel != null ? sel : (selectedIndex() == 1 ? drives[0] : null);
    }

    /** Reads a command block register 1-7 (Error, Sector Count, LBA Low/Mid/High, Device, Status). */
    int readRegister(int reg) {
        AtaDrive r = responder();
        if (r == null) {
            return Ata.FLOATING;
        }
        boolean hob = (control & Ata.HOB) != 0;
        return switch (reg) {
            case 1 -> r.error;
            case 2 -> hob ? countHob : count;
            case 3 -> hob ? lbaLowHob : lbaLow;
            case 4 -> hob ? lbaMidHob : lbaMid;
            case 5 -> hob ? lbaHighHob : lbaHigh;
            case 6 -> device;
            case 7 -> status(true);
            default -> 0xFF;
        };
    }

    /** Alternate Status (7.3): Status without clearing the interrupt. */
    int readAltStatus() {
        return responder() == null ? Ata.FLOATING : status(false);
    }

    private int status(boolean clearInterrupt) {
        AtaDrive sel = selected();
        if (sel == null) {
            return 0x00; // device 0 answering for an absent device 1 (9.16.1)
        }
        if (clearInterrupt && sel.irqPending) {
            sel.irqPending = false;
            updateIrq();
        }
        return sel.status;
    }

    void writeRegister(int reg, int value) {
        value &= 0xFF;
        if (drives[0] == null && drives[1] == null || (control & Ata.SRST) != 0) {
            return; // no device, or all devices busy in reset: writes are ignored (7.1)
        }
        control &= ~Ata.HOB; // a write to any command block register clears HOB (7.8)
        switch (reg) {
            case 1 -> { featuresHob = features; features = value; }
            case 2 -> { countHob = count; count = value; }
            case 3 -> { lbaLowHob = lbaLow; lbaLow = value; }
            case 4 -> { lbaMidHob = lbaMid; lbaMid = value; }
            case 5 -> { lbaHighHob = lbaHigh; lbaHigh = value; }
            case 6 -> { device = value; updateIrq(); }
            case 7 -> command(value);
            default -> { }
        }
    }

    /** Device Control (7.8): nIEN masks INTRQ, SRST resets both devices, HOB selects the FIFO byte. */
    void writeControl(int value) {
        int old = control;
        control = value & (Ata.HOB | Ata.SRST | Ata.NIEN);
        if ((control & Ata.SRST) != 0 && (old & Ata.SRST) == 0) {
            abortTransfer();
            for (AtaDrive d : drives) {
                if (d != null) {
                    d.status = Ata.BSY;
                    d.irqPending = false;
                }
            }
        } else if ((control & Ata.SRST) == 0 && (old & Ata.SRST) != 0) {
            // Reset done (9.2): signature, diagnostic code, device 0 selected, no interrupt.
            for (AtaDrive d : drives) {
                if (d != null) {
                    d.status = Ata.READY;
                    d.error = Ata.DIAG_PASSED;
                }
            }
            signature();
        }
        updateIrq();
    }

    /** PIO data register, 1, 2 or 4 bytes at a time. Outside a data-in transfer it reads all ones. */
    int readData(int size) {
        int n = size == 2 || size == 4 ? size : 1;
        if (phase != Phase.PIO_IN || owner != selected()) {
            return n == 4 ? -1 : (1 << (8 * n)) - 1;
        }
        int v = 0;
        for (int i = 0; i < n; i++) {
            int b = bufPos < bufLen ? buffer[bufPos++] & 0xFF : 0xFF;
            v |= b << (8 * i);
        }
        if (bufPos >= bufLen) {
            pioInBlockDone();
        }
        return v;
    }

    void writeData(int size, int value) {
        int n = size == 2 || size == 4 ? size : 1;
        if (phase != Phase.PIO_OUT || owner != selected()) {
            return;
        }
        for (int i = 0; i < n && bufPos < bufLen; i++) {
            buffer[bufPos++] = (byte) (value >>> (8 * i));
        }
        if (bufPos >= bufLen) {
            pioOutBlockDone();
        }
    }

    int readBusMaster(int offset) {
        return busMaster.readByte(offset);
    }

    void writeBusMaster(int offset, int value) {
        if (busMaster.writeByte(offset, value & 0xFF) && phase == Phase.DMA) {
            runDma();
        }
    }

    // ---- interrupts ----

    private void raise(AtaDrive d) {
        d.irqPending = true;
        if ((control & Ata.NIEN) == 0) {
            busMaster.interrupt(); // SFF-8038i 2.2: set when the device asserts INTRQ
        }
        updateIrq();
    }

    private void updateIrq() {
        AtaDrive sel = selected();
        boolean level = sel != null && sel.irqPending && (control & Ata.NIEN) == 0;
        if (level != irqLevel) {
            irqLevel = level;
            irq.setLevel(level);
        }
    }

    boolean irqLevel() {
        return irqLevel;
    }

    // ---- commands ----

    private void command(int cmd) {
        if (cmd == AtaCommand.EXECUTE_DEVICE_DIAGNOSTIC) {
            diagnostic(); // both devices execute it whichever is selected (8.11)
            return;
        }
        AtaDrive d = selected();
        if (d == null) {
            return; // device 0 does not execute commands addressed to an absent device 1
        }
        abortTransfer();
        d.irqPending = false; // writing Command negates INTRQ (5.2.9)
        updateIrq();
        try {
            dispatch(d, cmd);
        } catch (RuntimeException e) {
            internalErrors++;
            fail(d, Ata.ABRT);
        }
    }

    private void dispatch(AtaDrive d, int cmd) {
        switch (cmd) {
            case AtaCommand.IDENTIFY_DEVICE -> identify(d);
            case AtaCommand.READ_SECTORS, AtaCommand.READ_SECTORS_NORETRY -> pioRead(d, false, 1);
            case AtaCommand.READ_SECTORS_EXT -> pioRead(d, true, 1);
            case AtaCommand.READ_MULTIPLE -> pioRead(d, false, d.multipleCount);
            case AtaCommand.READ_MULTIPLE_EXT -> pioRead(d, true, d.multipleCount);
            case AtaCommand.WRITE_SECTORS, AtaCommand.WRITE_SECTORS_NORETRY -> pioWrite(d, false, 1);
            case AtaCommand.WRITE_SECTORS_EXT -> pioWrite(d, true, 1);
            case AtaCommand.WRITE_MULTIPLE -> pioWrite(d, false, d.multipleCount);
            case AtaCommand.WRITE_MULTIPLE_EXT -> pioWrite(d, true, d.multipleCount);
            case AtaCommand.READ_DMA, AtaCommand.READ_DMA_NORETRY -> dma(d, false, false);
            case AtaCommand.READ_DMA_EXT -> dma(d, true, false);
            case AtaCommand.WRITE_DMA, AtaCommand.WRITE_DMA_NORETRY -> dma(d, false, true);
            case AtaCommand.WRITE_DMA_EXT -> dma(d, true, true);
            case AtaCommand.READ_VERIFY, AtaCommand.READ_VERIFY_NORETRY -> verify(d, false);
            case AtaCommand.READ_VERIFY_EXT -> verify(d, true);
            case AtaCommand.FLUSH_CACHE, AtaCommand.FLUSH_CACHE_EXT -> flush(d);
            case AtaCommand.SET_FEATURES -> setFeatures(d);
            case AtaCommand.SET_MULTIPLE_MODE -> setMultiple(d);
            case AtaCommand.INITIALIZE_DEVICE_PARAMETERS -> initializeParameters(d);
            case AtaCommand.STANDBY_IMMEDIATE, AtaCommand.IDLE_IMMEDIATE, AtaCommand.STANDBY,
                    AtaCommand.IDLE, AtaCommand.SLEEP -> complete(d); // no power model: always active
            case AtaCommand.CHECK_POWER_MODE -> {
                count = 0xFF; // active or idle (8.6)
                complete(d);
            }
            case AtaCommand.DEVICE_RESET -> deviceReset(d);
            default -> {
                if ((cmd & 0xF0) == AtaCommand.RECALIBRATE || (cmd & 0xF0) == AtaCommand.SEEK) {
                    complete(d); // obsolete positioning commands: nothing to do
                } else {
                    fail(d, Ata.ABRT);
                }
            }
        }
    }

    private void identify(AtaDrive d) {
        byte[] id = IdentifyData.build(d);
        System.arraycopy(id, 0, buffer, 0, id.length);
        owner = d;
        phase = Phase.PIO_IN;
        fromDisk = false;
        bufPos = 0;
        bufLen = id.length;
        d.status = Ata.READY | Ata.DRQ;
        raise(d); // PIO data-in: interrupt when the block is ready (9.7)
    }

    /** Starting sector of a read/write: 48-bit, 28-bit LBA or CHS through the current translation; -1 if invalid. */
    private long startLba(AtaDrive d, boolean ext) {
        if (ext) {
            return (long) lbaHighHob << 40 | (long) lbaMidHob << 32 | (long) lbaLowHob << 24
                    | (long) lbaHigh << 16 | (long) lbaMid << 8 | lbaLow;
        }
        if ((device & Ata.DEV_LBA) != 0) {
            return (long) (device & 0x0F) << 24 | (long) lbaHigh << 16 | (long) lbaMid << 8 | lbaLow;
        }
        int cylinder = lbaHigh << 8 | lbaMid;
        int head = device & 0x0F;
        int sector = lbaLow;
        if (sector == 0 || sector > d.sectorsPerTrack || head >= d.heads) {
            return -1;
        }
        return ((long) cylinder * d.heads + head) * d.sectorsPerTrack + sector - 1;
    }

    /** Sector count: 0 means 256 (28-bit) or 65536 (48-bit). */
    private long sectorCount(boolean ext) {
        if (ext) {
            int c = countHob << 8 | count;
            return c == 0 ? 65536 : c;
        }
        return count == 0 ? 256 : count;
    }

    private static boolean inRange(AtaDrive d, long lba, long n) {
        return lba >= 0 && lba <= d.sectors() - n;
    }

    private void pioRead(AtaDrive d, boolean ext, int block) {
        if (block <= 0) {
            fail(d, Ata.ABRT); // READ MULTIPLE with multiple mode disabled (8.25)
            return;
        }
        long lba = startLba(d, ext);
        long n = sectorCount(ext);
        if (!inRange(d, lba, n)) {
            fail(d, Ata.IDNF);
            return;
        }
        owner = d;
        phase = Phase.PIO_IN;
        fromDisk = true;
        nextLba = lba;
        remaining = n;
        blockSectors = Math.min(block, AtaDrive.MAX_MULTIPLE);
        if (loadReadBlock(d)) {
            d.status = Ata.READY | Ata.DRQ;
            raise(d);
        }
    }

    private boolean loadReadBlock(AtaDrive d) {
        int k = (int) Math.min(blockSectors, remaining);
        try {
            d.disk.read(nextLba, buffer, 0, k);
        } catch (IOException | RuntimeException e) {
            fail(d, Ata.UNC);
            return false;
        }
        blockCount = k;
        bufPos = 0;
        bufLen = k * IdeDisk.SECTOR_SIZE;
        return true;
    }

    /** The host has read a whole DRQ block: next block with an interrupt, or done without one (9.7). */
    private void pioInBlockDone() {
        AtaDrive d = owner;
        if (fromDisk) {
            remaining -= blockCount;
            nextLba += blockCount;
            if (remaining > 0) {
                if (loadReadBlock(d)) {
                    d.status = Ata.READY | Ata.DRQ;
                    raise(d);
                }
                return;
            }
        }
        abortTransfer();
        d.status = Ata.READY;
    }

    private void pioWrite(AtaDrive d, boolean ext, int block) {
        if (block <= 0 || d.disk.readOnly()) {
            fail(d, Ata.ABRT);
            return;
        }
        long lba = startLba(d, ext);
        long n = sectorCount(ext);
        if (!inRange(d, lba, n)) {
            fail(d, Ata.IDNF);
            return;
        }
        owner = d;
        phase = Phase.PIO_OUT;
        nextLba = lba;
        remaining = n;
        blockSectors = Math.min(block, AtaDrive.MAX_MULTIPLE);
        prepareWriteBlock();
        d.status = Ata.READY | Ata.DRQ; // PIO data-out: no interrupt before the first block (9.8)
    }

    private void prepareWriteBlock() {
        blockCount = (int) Math.min(blockSectors, remaining);
        bufPos = 0;
        bufLen = blockCount * IdeDisk.SECTOR_SIZE;
    }

    /** The host has written a whole DRQ block: store it, then interrupt for the next one or completion. */
    private void pioOutBlockDone() {
        AtaDrive d = owner;
        try {
            d.disk.write(nextLba, buffer, 0, blockCount);
        } catch (IOException | RuntimeException e) {
            fail(d, Ata.ABRT);
            return;
        }
        remaining -= blockCount;
        nextLba += blockCount;
        if (remaining > 0) {
            prepareWriteBlock();
            d.status = Ata.READY | Ata.DRQ;
            raise(d);
            return;
        }
        if (!d.writeCache && !flushed(d)) {
            fail(d, Ata.ABRT);
            return;
        }
        complete(d);
    }

    private void dma(AtaDrive d, boolean ext, boolean toDisk) {
        if (toDisk && d.disk.readOnly()) {
            fail(d, Ata.ABRT);
            return;
        }
        long lba = startLba(d, ext);
        long n = sectorCount(ext);
        if (!inRange(d, lba, n)) {
            fail(d, Ata.IDNF);
            return;
        }
        owner = d;
        phase = Phase.DMA;
        nextLba = lba;
        remaining = n;
        dmaToDisk = toDisk;
        d.status = Ata.READY | Ata.DRQ; // data phase pending until the bus master starts (9.10)
        if (busMaster.started()) {
            runDma();
        }
    }

    /** The DMA command and the Start bit have both arrived: move the data, then interrupt. */
    private void runDma() {
        AtaDrive d = owner;
        boolean toDisk = dmaToDisk;
        abortTransfer();
        if (!busMasterEnabled.getAsBoolean() || busMaster.writesMemory() == toDisk) {
            busMaster.fail(); // bus mastering off in PCI Command, or direction opposite to the command
            fail(d, Ata.ABRT);
            return;
        }
        switch (busMaster.transfer(memory, d.disk, nextLba, remaining, toDisk)) {
            case COMPLETE -> {
                if (toDisk && !d.writeCache && !flushed(d)) {
                    fail(d, Ata.ABRT);
                } else {
                    complete(d);
                }
            }
            case TABLE_TOO_SHORT, MEMORY_FAULT -> fail(d, Ata.ABRT);
            case DISK_FAULT -> fail(d, toDisk ? Ata.ABRT : Ata.UNC);
        }
    }

    private void verify(AtaDrive d, boolean ext) {
        if (inRange(d, startLba(d, ext), sectorCount(ext))) {
            complete(d);
        } else {
            fail(d, Ata.IDNF);
        }
    }

    private void flush(AtaDrive d) {
        if (flushed(d)) {
            complete(d);
        } else {
            fail(d, Ata.ABRT);
        }
    }

    private static boolean flushed(AtaDrive d) {
        try {
            d.disk.flush();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void setFeatures(AtaDrive d) {
        switch (features) {
            case AtaCommand.FEATURE_WRITE_CACHE_ON -> d.writeCache = true;
            case AtaCommand.FEATURE_WRITE_CACHE_OFF -> {
                d.writeCache = false;
                if (!flushed(d)) {
                    fail(d, Ata.ABRT);
                    return;
                }
            }
            case AtaCommand.FEATURE_TRANSFER_MODE -> {
                if (!setTransferMode(d, count)) {
                    fail(d, Ata.ABRT);
                    return;
                }
            }
            case AtaCommand.FEATURE_LOOKAHEAD_ON, AtaCommand.FEATURE_LOOKAHEAD_OFF -> { }
            default -> {
                fail(d, Ata.ABRT);
                return;
            }
        }
        complete(d);
    }

    /** SET FEATURES 03h (8.37.10, table 44): PIO default/mode 0-4, multiword DMA 0-2, Ultra DMA 0-5. */
    private static boolean setTransferMode(AtaDrive d, int value) {
        int mode = value & 0x07;
        switch (value & 0xF8) {
            case 0x00 -> {
                if (mode > 1) {
                    return false;
                }
            }
            case 0x08 -> {
                if (mode > 4) {
                    return false;
                }
                d.pioMode = mode;
            }
            case 0x20 -> {
                if (mode > 2) {
                    return false;
                }
                d.mwdmaMode = mode;
                d.udmaMode = -1;
            }
            case 0x40 -> {
                if (mode > 5) {
                    return false;
                }
                d.udmaMode = mode;
                d.mwdmaMode = -1;
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** SET MULTIPLE MODE (8.39): a power of two up to the maximum, or 0 to disable. */
    private void setMultiple(AtaDrive d) {
        int n = count;
        if (n > AtaDrive.MAX_MULTIPLE || (n & (n - 1)) != 0) {
            fail(d, Ata.ABRT);
            return;
        }
        d.multipleCount = n;
        complete(d);
    }

    /** INITIALIZE DEVICE PARAMETERS (8.16): sectors per track from Sector Count, heads from Device. */
    private void initializeParameters(AtaDrive d) {
        if (count == 0) {
            fail(d, Ata.ABRT);
            return;
        }
        d.sectorsPerTrack = count;
        d.heads = (device & 0x0F) + 1;
        complete(d);
    }

    /** DEVICE RESET (8.10): this device only, back to the post-reset signature, no interrupt. */
    private void deviceReset(AtaDrive d) {
        abortTransfer();
        d.status = Ata.READY;
        d.error = Ata.DIAG_PASSED;
        int keep = device & Ata.DEV_SELECT;
        signature();
        device = keep;
    }

    /** EXECUTE DEVICE DIAGNOSTIC (8.11, 9.12): both devices pass; device 0 (else 1) interrupts. */
    private void diagnostic() {
        if (drives[0] == null && drives[1] == null || (control & Ata.SRST) != 0) {
            return;
        }
        abortTransfer();
        for (AtaDrive d : drives) {
            if (d != null) {
                d.status = Ata.READY;
                d.error = Ata.DIAG_PASSED;
                d.irqPending = false;
            }
        }
        signature();
        raise(drives[0] != null ? drives[0] : drives[1]);
    }

    private void complete(AtaDrive d) {
        abortTransfer();
        d.status = Ata.READY;
        d.error = 0;
        raise(d);
    }

    private void fail(AtaDrive d, int error) {
        abortTransfer();
        d.status = Ata.READY | Ata.ERR;
        d.error = error;
        raise(d);
    }

    private void abortTransfer() {
        phase = Phase.IDLE;
        owner = null;
        bufPos = 0;
        bufLen = 0;
    }

    /** ATA device signature (9.12): Sector Count 01h, LBA Low 01h, LBA Mid/High 00h, Device 00h. */
    private void signature() {
        count = 1;
        lbaLow = 1;
        lbaMid = 0;
        lbaHigh = 0;
        countHob = 0;
        lbaLowHob = 0;
        lbaMidHob = 0;
        lbaHighHob = 0;
        device = 0;
    }
}
