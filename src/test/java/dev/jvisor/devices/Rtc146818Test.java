package dev.jvisor.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Rtc146818Test {
    private FakeClock clock;
    private RecordingIrq irq8;
    private Rtc146818 rtc;

    @BeforeEach
    void setUp() {
        clock = new FakeClock(5_000_000_000L);
        irq8 = new RecordingIrq();
        rtc = new Rtc146818(clock, irq8, LocalDateTime.of(2024, 2, 29, 23, 59, 58));
    }

    private int read(int reg) {
        clock.advance(1_000); // an OUT/IN pair costs a little virtual time
        rtc.ioWrite(0x70, 1, 0x80 | reg);
        return rtc.ioRead(0x71, 1);
    }

    private void write(int reg, int v) {
        clock.advance(1_000);
        rtc.ioWrite(0x70, 1, 0x80 | reg);
        rtc.ioWrite(0x71, 1, v);
    }

    private static int bcd(int v) {
        return (v >> 4) * 10 + (v & 0xf);
    }

    /** drivers/rtc/rtc-mc146818-lib.c mc146818_avoid_UIP + get_time callback: {sec,min,hour,mday,mon,year}. */
    private int[] linuxReadTime() {
        for (int i = 0; i < 100; i++) {
            int seconds = read(0x00);
            if ((read(0x0a) & 0x80) != 0) {
                clock.advance(100_000); // udelay(UIP_RECHECK_DELAY)
                continue;
            }
            if (seconds != read(0x00)) {
                continue;
            }
            int[] t = {seconds, read(0x02), read(0x04), read(0x07), read(0x08), read(0x09)};
            if ((read(0x0a) & 0x80) != 0) {
                clock.advance(100_000);
                continue;
            }
            if (seconds != read(0x00)) {
                continue;
            }
            return t;
        }
        return null;
    }

    @Test
    void readsInitialTimeInBcd() {
        int[] t = linuxReadTime();
        assertNotNull(t);
        assertEquals(0x58, t[0]);
        assertEquals(0x59, t[1]);
        assertEquals(0x23, t[2]);
        assertEquals(0x29, t[3]);
        assertEquals(0x02, t[4]);
        assertEquals(0x24, t[5]);
        assertEquals(0x20, read(0x32), "century");
        assertEquals(0x80, read(0x0d), "VRT");
        assertEquals(0x26, read(0x0a) & 0x7f);
        assertEquals(0x02, read(0x0b));
        assertEquals(0x05, read(0x06), "2024-02-29 is a Thursday: day 5 with Sunday = 1");
    }

    @Test
    void timeAdvancesWithVirtualTimeAcrossLeapDayAndMidnight() {
        clock.advance(2_500_000_000L);
        int[] t = linuxReadTime();
        assertNotNull(t);
        assertEquals(0x00, t[0]);
        assertEquals(0x00, t[1]);
        assertEquals(0x00, t[2]);
        assertEquals(0x01, t[3]);
        assertEquals(0x03, t[4]);
        assertEquals(0x06, read(0x06), "Friday");
    }

    @Test
    void uipIsSetOnlyInTheLast244MicrosecondsBeforeAnUpdate() {
        rtc.ioWrite(0x70, 1, 0x0a);
        clock.advance(1_000_000_000L - 300_000);
        assertEquals(0, rtc.ioRead(0x71, 1) & 0x80);
        clock.advance(100_000);
        assertEquals(0x80, rtc.ioRead(0x71, 1) & 0x80);
        rtc.ioWrite(0x70, 1, 0x00);
        assertEquals(0x58, rtc.ioRead(0x71, 1), "not yet updated");
        clock.advance(200_000);
        assertEquals(0x59, rtc.ioRead(0x71, 1));
        rtc.ioWrite(0x70, 1, 0x0a);
        assertEquals(0, rtc.ioRead(0x71, 1) & 0x80);
    }

    @Test
    void linuxSetTimeInAnyFieldOrder() {
        // mc146818_set_time: SET, then year, month, day, hours, minutes, seconds, then clear SET.
        write(0x0b, read(0x0b) | 0x80);
        write(0x09, 0x25);
        write(0x08, 0x02); // Feb while the day is still 29 (valid in 2024, not in 2025)
        write(0x07, 0x15);
        write(0x04, 0x10);
        write(0x03, 0x00);
        write(0x02, 0x30);
        write(0x00, 0x00);
        clock.advance(5_000_000_000L);
        assertEquals(0x00, read(0x00), "SET stops updates");
        write(0x0b, read(0x0b) & ~0x80);
        clock.advance(3_000_000_000L);
        int[] t = linuxReadTime();
        assertNotNull(t);
        assertEquals(0x30, t[1]);
        assertEquals(0x10, t[2]);
        assertEquals(0x15, t[3]);
        assertEquals(0x02, t[4]);
        assertEquals(0x25, t[5]);
        assertTrue(t[0] >= 0x02 && t[0] <= 0x03);
    }

    @Test
    void binaryTwelveHourMode() {
        write(0x0b, 0x80 | 0x04); // SET, binary, 12-hour
        write(0x04, 0x80 | 11); // 11 PM
        write(0x02, 59);
        write(0x00, 59);
        write(0x07, 31);
        write(0x08, 12);
        write(0x09, 99);
        write(0x32, 19);
        write(0x0b, 0x04);
        clock.advance(1_100_000_000L);
        assertEquals(12, read(0x04), "12 AM");
        assertEquals(0, read(0x02));
        assertEquals(1, read(0x07));
        assertEquals(1, read(0x08));
        assertEquals(0, read(0x09));
        assertEquals(20, read(0x32), "century carried");
    }

    @Test
    void periodicInterruptAt1024Hz() {
        write(0x0b, read(0x0b) | 0x40); // PIE, rate 0110 = 1024 Hz
        long d = rtc.nextDeadline();
        assertTrue(d > clock.nanos() && d - clock.nanos() <= 976_563, "deadline in " + (d - clock.nanos()));
        int interrupts = 0;
        long end = clock.nanos() + 1_000_000_000L;
        while (rtc.nextDeadline() <= end) {
            clock.set(rtc.nextDeadline());
            rtc.advanceTo(clock.nanos());
            if (irq8.level()) {
                interrupts++;
                int c = read(0x0c);
                assertEquals(0xc0, c & 0xc0, "IRQF + PF");
                assertFalse(irq8.level(), "reading C lowers IRQ8");
            }
        }
        assertTrue(interrupts >= 1020 && interrupts <= 1025, "interrupts " + interrupts);
    }

    @Test
    void updateEndedAndAlarmInterrupts() {
        read(0x0c);
        write(0x01, 0x05); // alarm at hh:mm:05 with don't-care minutes and hours
        write(0x03, 0xc0);
        write(0x05, 0xff);
        write(0x0b, 0x02 | 0x10 | 0x20); // UIE + AIE
        int updates = 0;
        int alarms = 0;
        long end = clock.nanos() + 10_000_000_000L;
        while (rtc.nextDeadline() <= end) {
            clock.set(rtc.nextDeadline());
            rtc.advanceTo(clock.nanos());
            assertTrue(irq8.level());
            int c = read(0x0c);
            if ((c & 0x10) != 0) {
                updates++;
            }
            if ((c & 0x20) != 0) {
                alarms++;
                assertEquals(0x05, read(0x00));
            }
        }
        assertEquals(10, updates);
        assertEquals(1, alarms);
    }

    @Test
    void setClearsUie() {
        write(0x0b, 0x02 | 0x10);
        write(0x0b, 0x80 | 0x02 | 0x10);
        assertEquals(0x82, read(0x0b));
    }

    @Test
    void dividerResetHoldsTimeAndRestartsHalfASecondLater() {
        write(0x0a, 0x70);
        clock.advance(10_000_000_000L);
        assertEquals(0x58, read(0x00));
        write(0x0a, 0x26);
        clock.advance(400_000_000L);
        assertEquals(0x58, read(0x00));
        clock.advance(200_000_000L);
        assertEquals(0x59, read(0x00));
    }

    @Test
    void memorySizeBytes() {
        rtc.setMemorySize(128L << 20);
        assertEquals(640, read(0x15) | read(0x16) << 8);
        assertEquals(0xFFFF, read(0x17) | read(0x18) << 8, "extended memory caps at 64 MiB");
        assertEquals(0xFFFF, read(0x30) | read(0x31) << 8);
        assertEquals((128 - 16) * 16, read(0x34) | read(0x35) << 8);
        assertEquals(0, read(0x5b) | read(0x5c) << 8 | read(0x5d) << 16);

        rtc.setMemorySize(32L << 20);
        assertEquals(31 * 1024, read(0x17) | read(0x18) << 8);
        assertEquals(16 * 16, read(0x34) | read(0x35) << 8);

        rtc.setMemorySize(0xE000_0000L, 1L << 30);
        assertEquals((0xE000_0000L - (16L << 20)) / 65536, read(0x34) | read(0x35) << 8);
        assertEquals(1 << 14, read(0x5b) | read(0x5c) << 8 | read(0x5d) << 16);
        int sum = 0;
        for (int i = 0x10; i <= 0x2d; i++) {
            sum += read(i);
        }
        assertEquals(sum, read(0x2e) << 8 | read(0x2f));
        assertEquals(0x02, read(0x14));
    }

    @Test
    void nmiMaskAndNvram() {
        rtc.ioWrite(0x70, 1, 0x40);
        assertFalse(rtc.nmiDisabled());
        rtc.ioWrite(0x71, 1, 0xa5);
        rtc.ioWrite(0x70, 1, 0xc0);
        assertTrue(rtc.nmiDisabled());
        assertEquals(0xa5, rtc.ioRead(0x71, 1));
        assertEquals(0xff, rtc.ioRead(0x70, 1));
    }

    @Test
    void fuzzNeverThrowsAndStaysUsable() {
        Random rnd = new Random(146818);
        for (int i = 0; i < 200_000; i++) {
            int port = 0x70 + rnd.nextInt(2);
            int size = 1 << rnd.nextInt(3);
            clock.advance(rnd.nextInt(3) == 0 ? rnd.nextInt(1 << 30) : rnd.nextInt(10_000));
            if (rnd.nextBoolean()) {
                rtc.ioRead(port, size);
            } else {
                rtc.ioWrite(port, size, rnd.nextInt());
            }
            long d = rtc.nextDeadline();
            if (d != Long.MAX_VALUE && rnd.nextInt(10) == 0) {
                clock.set(Math.max(clock.nanos(), d));
                rtc.advanceTo(clock.nanos());
            }
        }
        write(0x0a, 0x26);
        write(0x0b, 0x80 | 0x02);
        write(0x00, 0x10);
        write(0x02, 0x20);
        write(0x04, 0x08);
        write(0x07, 0x01);
        write(0x08, 0x06);
        write(0x09, 0x30);
        write(0x32, 0x20);
        write(0x0b, 0x02);
        clock.advance(2_000_000_000L);
        int[] t = linuxReadTime();
        assertNotNull(t);
        assertTrue(bcd(t[0]) >= 11 && bcd(t[0]) <= 13, "seconds " + Integer.toHexString(t[0]));
        assertEquals(0x20, t[1]);
        assertEquals(0x30, t[5]);
    }
}
