package dev.jvisor.devices;

import dev.jvisor.bus.Clock;
import dev.jvisor.bus.IrqLine;
import dev.jvisor.bus.PortIoDevice;
import dev.jvisor.bus.Timed;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Motorola MC146818A real-time clock with 128 bytes of CMOS RAM (datasheet, "Address Map" and
 * "Registers A-D"), reached through the index port 0x70 (bit 7: NMI disable) and data port 0x71.
 *
 * <p>The clock starts from the host wall clock (UTC) when the VM is created and then follows
 * virtual time: the time registers hold raw guest-visible bytes (BCD or binary, 12 or 24 hour, as
 * register B says) and each update cycle, once a virtual second, advances them. UIP reads as 1
 * during the 244 us before an update. Periodic, alarm and update-ended interrupts raise IRQ8 as
 * a level that stays high until register C is read. Everything is computed lazily from the clock,
 * on each port access and in {@link #advanceTo}.
 *
 * <p>Deliberate simplifications: a time that does not decode as a valid date (guest wrote
 * nonsense) is not advanced by update cycles (flags and interrupts still happen); day-of-week is
 * carried along with the date; the divider runs only with DV = 010 (32.768 kHz), other DV values
 * hold it.
 */
public final class Rtc146818 implements PortIoDevice, Timed {
    public static final int INDEX_PORT = 0x70;
    public static final int DATA_PORT = 0x71;
    public static final int BASE = 0x70;
    public static final int PORT_COUNT = 2;
    public static final int IRQ = 8;

    public static final int REG_SECONDS = 0x00;
    public static final int REG_SECONDS_ALARM = 0x01;
    public static final int REG_MINUTES = 0x02;
    public static final int REG_MINUTES_ALARM = 0x03;
    public static final int REG_HOURS = 0x04;
    public static final int REG_HOURS_ALARM = 0x05;
    public static final int REG_DAY_OF_WEEK = 0x06;
    public static final int REG_DAY_OF_MONTH = 0x07;
    public static final int REG_MONTH = 0x08;
    public static final int REG_YEAR = 0x09;
    public static final int REG_A = 0x0A;
    public static final int REG_B = 0x0B;
    public static final int REG_C = 0x0C;
    public static final int REG_D = 0x0D;
    public static final int REG_CENTURY = 0x32;
    /** Where guest-physical RAM stops below 4 GiB when only a total size is given (the PCI hole). */
    public static final long PCI_HOLE_START = 0xE000_0000L;

    private static final int A_UIP = 0x80;
    private static final int B_SET = 0x80;
    private static final int B_PIE = 0x40;
    private static final int B_AIE = 0x20;
    private static final int B_UIE = 0x10;
    private static final int B_DM_BINARY = 0x04;
    private static final int B_24H = 0x02;
    private static final int C_IRQF = 0x80;
    private static final int C_PF = 0x40;
    private static final int C_AF = 0x20;
    private static final int C_UF = 0x10;

    private static final long SECOND = 1_000_000_000L;
    /** UIP is set this long before each update cycle (datasheet: 244 us at 32.768 kHz). */
    static final long UIP_NANOS = 244_000L;
    private static final long DIVIDER_HZ = 32_768L;

    private final Clock clock;
    private final IrqLine irq;
    private final int[] cmos = new int[128];
    private int index;
    private boolean nmiDisabled = true;
    private boolean irqLevel;

    private boolean running;
    /** Virtual time of the next update cycle. */
    private long nextUpdate;
    /** Virtual time the divider chain was (re)started; periodic events count 32.768 kHz cycles from it. */
    private long dividerStart;
    /** Periodic events already accounted for since {@link #dividerStart}. */
    private long periodicSeen;
    private long lastSync;

    public Rtc146818(Clock clock, IrqLine irq8) {
        this(clock, irq8, hostNow());
    }

    /**
     * Starts the clock at {@code start} (UTC by convention); its nanoseconds place the first update
     * cycle, so the guest's seconds tick over in step with the source's.
     */
    public Rtc146818(Clock clock, IrqLine irq8, LocalDateTime start) {
        long subSecondNanos = start == null ? 0 : start.getNano();
        this.clock = clock;
        this.irq = irq8 == null ? IrqLine.NONE : irq8;
        long now = clock.nanos();
        cmos[REG_A] = 0x26; // DV = 010 (32.768 kHz), RS = 0110 (1024 Hz): firmware default
        cmos[REG_B] = B_24H; // BCD, 24-hour
        cmos[REG_D] = 0x80; // VRT: valid RAM and time
        running = true;
        dividerStart = now;
        lastSync = now;
        nextUpdate = now + SECOND - Math.floorMod(subSecondNanos, SECOND);
        encodeTime(start == null ? LocalDateTime.of(2000, 1, 1, 0, 0) : start.withNano(0));
        cmos[0x14] = 0x02; // equipment: math coprocessor, EGA/VGA video, no floppy
        setMemorySize(0);
    }

    private static LocalDateTime hostNow() {
        return LocalDateTime.now(ZoneOffset.UTC);
    }

    // ---- firmware set-up ----

    /** Records the RAM size in the CMOS bytes a PC BIOS keeps there; RAM above the PCI hole goes above 4 GiB. */
    public synchronized void setMemorySize(long bytes) {
        long b = Math.max(0, bytes);
        setMemorySize(Math.min(b, PCI_HOLE_START), Math.max(0, b - PCI_HOLE_START));
    }

    /** Records RAM below and above 4 GiB: 0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5B-0x5D, then the checksum. */
    public synchronized void setMemorySize(long belowFourGiB, long aboveFourGiB) {
        long low = Math.max(0, belowFourGiB);
        long high = Math.max(0, aboveFourGiB);
        put16(0x15, 640); // base memory in KiB
        long extKiB = Math.min(0xFFFF, Math.max(0, low - (1L << 20)) / 1024);
        put16(0x17, (int) extKiB);
        put16(0x30, (int) extKiB);
        long above16 = Math.min(0xFFFF, Math.max(0, low - (16L << 20)) / 65536);
        put16(0x34, (int) above16);
        long above4g = Math.min(0xFF_FFFF, high / 65536);
        cmos[0x5B] = (int) (above4g & 0xff);
        cmos[0x5C] = (int) (above4g >>> 8 & 0xff);
        cmos[0x5D] = (int) (above4g >>> 16 & 0xff);
        int sum = 0;
        for (int i = 0x10; i <= 0x2D; i++) {
            sum += cmos[i];
        }
        cmos[0x2E] = sum >>> 8 & 0xff;
        cmos[0x2F] = sum & 0xff;
    }

    private void put16(int at, int value) {
        cmos[at] = value & 0xff;
        cmos[at + 1] = value >>> 8 & 0xff;
    }

    /** Raw CMOS byte (for tests and firmware). */
    public synchronized int cmos(int at) {
        return cmos[at & 0x7f];
    }

    public synchronized void setCmos(int at, int value) {
        cmos[at & 0x7f] = value & 0xff;
    }

    /** Port 0x70 bit 7: true while the guest keeps NMIs disabled. */
    public synchronized boolean nmiDisabled() {
        return nmiDisabled;
    }

    // ---- ports ----

    @Override
    public synchronized int ioRead(int port, int size) {
        sync(clock.nanos());
        int value = ByteLanes.read(this::readByte, port, size);
        updateIrq();
        return value;
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        sync(clock.nanos());
        ByteLanes.write(this::writeByte, port, size, value);
        updateIrq();
    }

    private int readByte(int port) {
        if (port != DATA_PORT) {
            return 0xff; // the index port is write-only
        }
        return switch (index) {
            case REG_A -> cmos[REG_A] & 0x7f | (updateInProgress() ? A_UIP : 0);
            case REG_C -> {
                int c = cmos[REG_C];
                cmos[REG_C] = 0; // reading C clears all flags and IRQF
                yield c;
            }
            case REG_D -> 0x80;
            default -> cmos[index];
        };
    }

    private void writeByte(int port, int value) {
        int v = value & 0xff;
        if (port == INDEX_PORT) {
            nmiDisabled = (v & 0x80) != 0;
            index = v & 0x7f;
            return;
        }
        if (port != DATA_PORT) {
            return;
        }
        switch (index) {
            case REG_A -> writeA(v);
            case REG_B -> writeB(v);
            case REG_C, REG_D -> { } // read-only
            default -> cmos[index] = v;
        }
    }

    private void writeA(int v) {
        boolean wasRunning = running;
        cmos[REG_A] = v & 0x7f;
        running = ((v >>> 4) & 7) == 2;
        long now = lastSync;
        if (running && !wasRunning) {
            // Leaving divider reset: the first update comes 500 ms later (datasheet, register A DV bits)
            dividerStart = now;
            periodicSeen = 0;
            nextUpdate = now + SECOND / 2;
        } else if (running) {
            periodicSeen = periodicEvents(now); // a new rate counts from here on
        }
    }

    private void writeB(int v) {
        int b = v;
        if ((b & B_SET) != 0) {
            b &= ~B_UIE; // SET clears UIE (datasheet, register B bit 7)
        }
        cmos[REG_B] = b;
    }

    // ---- time keeping ----

    private boolean updateInProgress() {
        return running && (cmos[REG_B] & B_SET) == 0 && nextUpdate - lastSync <= UIP_NANOS;
    }

    private long periodCycles() {
        int rs = cmos[REG_A] & 0x0f;
        return switch (rs) {
            case 0 -> 0;
            case 1 -> 128; // 256 Hz
            case 2 -> 256; // 128 Hz
            default -> 1L << (rs - 1);
        };
    }

    private long periodicEvents(long now) {
        long period = periodCycles();
        if (period == 0 || now <= dividerStart) {
            return 0;
        }
        long elapsed = now - dividerStart;
        long cycles = (elapsed / SECOND) * DIVIDER_HZ + (elapsed % SECOND) * DIVIDER_HZ / SECOND;
        return cycles / period;
    }

    private long periodicEventTime(long n) {
        long cycles = n * periodCycles();
        long whole = cycles / DIVIDER_HZ;
        if (whole >= (Long.MAX_VALUE - dividerStart) / SECOND - 1) {
            return Long.MAX_VALUE;
        }
        return dividerStart + whole * SECOND + ((cycles % DIVIDER_HZ) * SECOND + DIVIDER_HZ - 1) / DIVIDER_HZ;
    }

    private void sync(long now) {
        if (now < lastSync) {
            now = lastSync;
        }
        lastSync = now;
        if (!running) {
            return;
        }
        long events = periodicEvents(now);
        if (events > periodicSeen) {
            periodicSeen = events;
            cmos[REG_C] |= C_PF;
        }
        if (nextUpdate <= now) {
            long updates = (now - nextUpdate) / SECOND + 1;
            nextUpdate += updates * SECOND;
            if ((cmos[REG_B] & B_SET) == 0) {
                advanceSeconds(updates);
                cmos[REG_C] |= C_UF;
            }
        }
    }

    /** Runs {@code n} update cycles: the time advances n seconds and the alarm is compared after each. */
    private void advanceSeconds(long n) {
        LocalDateTime t = decodeTime();
        if (t == null) {
            if (alarmMatches()) {
                cmos[REG_C] |= C_AF;
            }
            return;
        }
        long direct = Math.max(0, n - 86_400);
        t = t.plusSeconds(direct);
        for (long i = direct; i < n; i++) {
            t = t.plusSeconds(1);
            if (alarmCouldMatch() && alarmMatches(t)) {
                cmos[REG_C] |= C_AF;
            }
        }
        encodeTime(t);
    }

    private boolean alarmCouldMatch() {
        return (cmos[REG_C] & C_AF) == 0;
    }

    private boolean alarmMatches(LocalDateTime t) {
        return alarmField(REG_SECONDS_ALARM, encode(t.getSecond()))
                && alarmField(REG_MINUTES_ALARM, encode(t.getMinute()))
                && alarmField(REG_HOURS_ALARM, encodeHour(t.getHour()));
    }

    private boolean alarmMatches() {
        return alarmField(REG_SECONDS_ALARM, cmos[REG_SECONDS])
                && alarmField(REG_MINUTES_ALARM, cmos[REG_MINUTES])
                && alarmField(REG_HOURS_ALARM, cmos[REG_HOURS]);
    }

    /** An alarm byte with bits 7-6 = 11 is "don't care" (datasheet, "Alarm"). */
    private boolean alarmField(int alarmReg, int value) {
        int a = cmos[alarmReg];
        return (a & 0xc0) == 0xc0 || a == value;
    }

    private boolean binary() {
        return (cmos[REG_B] & B_DM_BINARY) != 0;
    }

    private int encode(int value) {
        return binary() ? value : (value / 10) << 4 | value % 10;
    }

    /** Decodes a register in the current data mode, or -1 if it is not a valid BCD byte. */
    private int decode(int raw) {
        if (binary()) {
            return raw;
        }
        int hi = raw >>> 4 & 0xf;
        int lo = raw & 0xf;
        return hi > 9 || lo > 9 ? -1 : hi * 10 + lo;
    }

    private int encodeHour(int hour) {
        if ((cmos[REG_B] & B_24H) != 0) {
            return encode(hour);
        }
        int h12 = hour % 12 == 0 ? 12 : hour % 12;
        return encode(h12) | (hour >= 12 ? 0x80 : 0);
    }

    private int decodeHour(int raw) {
        if ((cmos[REG_B] & B_24H) != 0) {
            return decode(raw);
        }
        int h12 = decode(raw & 0x7f);
        if (h12 < 1 || h12 > 12) {
            return -1;
        }
        return h12 % 12 + ((raw & 0x80) != 0 ? 12 : 0);
    }

    private LocalDateTime decodeTime() {
        int sec = decode(cmos[REG_SECONDS]);
        int min = decode(cmos[REG_MINUTES]);
        int hour = decodeHour(cmos[REG_HOURS]);
        int day = decode(cmos[REG_DAY_OF_MONTH]);
        int month = decode(cmos[REG_MONTH]);
        int year = decode(cmos[REG_YEAR]);
        int century = decode(cmos[REG_CENTURY]);
        if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 || hour > 23 || year < 0 || year > 99) {
            return null;
        }
        int fullYear = century >= 19 && century <= 99 ? century * 100 + year : (year < 70 ? 2000 : 1900) + year;
        try {
            return LocalDateTime.of(fullYear, month, day, hour, min, sec);
        } catch (DateTimeException e) {
            return null; // month or day out of range: the time stays as the guest left it
        }
    }

    private void encodeTime(LocalDateTime t) {
        cmos[REG_SECONDS] = encode(t.getSecond());
        cmos[REG_MINUTES] = encode(t.getMinute());
        cmos[REG_HOURS] = encodeHour(t.getHour());
        cmos[REG_DAY_OF_WEEK] = encode(t.getDayOfWeek().getValue() % 7 + 1); // Sunday = 1
        cmos[REG_DAY_OF_MONTH] = encode(t.getDayOfMonth());
        cmos[REG_MONTH] = encode(t.getMonthValue());
        cmos[REG_YEAR] = encode(Math.floorMod(t.getYear(), 100));
        cmos[REG_CENTURY] = encode(Math.floorMod(t.getYear() / 100, 100));
    }

    private void updateIrq() {
        int c = cmos[REG_C] & (C_PF | C_AF | C_UF);
        int enabled = cmos[REG_B] & (B_PIE | B_AIE | B_UIE); // same bit positions as the flags
        boolean irqf = (c & enabled) != 0;
        cmos[REG_C] = c | (irqf ? C_IRQF : 0);
        if (irqf != irqLevel) {
            irqLevel = irqf;
            irq.setLevel(irqf);
        }
    }

    // ---- Timed ----

    @Override
    public synchronized void advanceTo(long nowNanos) {
        sync(nowNanos);
        updateIrq();
    }

    @Override
    public synchronized long nextDeadline() {
        if (!running) {
            return Long.MAX_VALUE;
        }
        long deadline = Long.MAX_VALUE;
        int b = cmos[REG_B];
        int c = cmos[REG_C];
        if ((b & B_PIE) != 0 && (c & C_PF) == 0 && periodCycles() != 0) {
            deadline = periodicEventTime(periodicSeen + 1);
        }
        boolean wantUpdate = (b & B_SET) == 0
                && ((b & B_UIE) != 0 && (c & C_UF) == 0 || (b & B_AIE) != 0 && (c & C_AF) == 0);
        if (wantUpdate) {
            deadline = Math.min(deadline, nextUpdate);
        }
        return deadline;
    }
}
