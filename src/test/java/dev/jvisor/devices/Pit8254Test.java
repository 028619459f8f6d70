package dev.jvisor.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.bus.PortBus;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Pit8254Test {
    private FakeClock clock;
    private RecordingIrq irq0;
    private Pit8254 pit;
    private SystemControlPortB portB;
    private PortBus bus;
    /** Virtual time one port access costs in the calibration loops. */
    private long ioCostNanos = 1000;

    @BeforeEach
    void setUp() {
        clock = new FakeClock(123_456_789L);
        irq0 = new RecordingIrq();
        pit = new Pit8254(clock, irq0);
        portB = new SystemControlPortB(pit);
        bus = new PortBus();
        bus.register(Pit8254.BASE, Pit8254.PORT_COUNT, pit);
        bus.register(SystemControlPortB.PORT, SystemControlPortB.PORT_COUNT, portB);
    }

    private void outb(int v, int port) {
        clock.advance(ioCostNanos);
        bus.write(port, 1, v);
    }

    private int inb(int port) {
        clock.advance(ioCostNanos);
        return bus.read(port, 1);
    }

    /** Runs the hypervisor loop: deliver every deadline up to now + nanos. */
    private void run(long nanos) {
        long end = clock.nanos() + nanos;
        while (pit.nextDeadline() <= end) {
            clock.set(Math.max(clock.nanos(), pit.nextDeadline()));
            pit.advanceTo(clock.nanos());
        }
        clock.set(end);
        pit.advanceTo(end);
    }

    @Test
    void tickConversionRoundTrips() {
        for (long t : new long[] {0, 1, 2, 1193181, 1193182, 1193183, 987654321L, 1L << 40}) {
            long ns = Pit8254.nanosOfTick(t);
            assertEquals(t, Pit8254.tickAt(ns), "tick " + t);
            if (t > 0) {
                assertEquals(t - 1, Pit8254.tickAt(ns - 1), "tick " + t + " starts exactly there");
            }
        }
        assertEquals(Pit8254.FREQUENCY_HZ, Pit8254.tickAt(1_000_000_000L));
    }

    @Test
    void periodicModeTwoInterruptsAtHz() {
        int latch = (1193182 + 125) / 250; // Linux PIT_LATCH at HZ=250
        outb(0x34, 0x43);
        outb(latch & 0xff, 0x40);
        outb(latch >> 8, 0x40);
        irq0.takeEdges();
        run(1_000_000_000L);
        int edges = irq0.takeEdges();
        assertTrue(edges == 250 || edges == 249, "edges: " + edges);
        long d = pit.nextDeadline();
        assertTrue(d > clock.nanos() && d - clock.nanos() <= Pit8254.nanosOfTick(latch) + 1);
    }

    @Test
    void missedPeriodsCoalesce() {
        outb(0x34, 0x43);
        outb(100, 0x40);
        outb(0, 0x40);
        clock.advance(10_000_000L);
        pit.advanceTo(clock.nanos());
        assertEquals(1, irq0.takeEdges());
        assertTrue(pit.nextDeadline() > clock.nanos());
    }

    @Test
    void oneshotModeFourFiresOnce() {
        outb(0x38, 0x43); // pit_set_oneshot
        run(100_000_000L);
        assertEquals(0, irq0.takeEdges(), "no count written yet");
        outb(1193 & 0xff, 0x40); // pit_next_event: ~1 ms
        outb(1193 >> 8, 0x40);
        long start = clock.nanos();
        long deadline = pit.nextDeadline();
        assertTrue(Math.abs(deadline - start - 1_000_000) < 5_000, "deadline " + (deadline - start));
        run(50_000_000L);
        assertEquals(1, irq0.takeEdges());
        assertEquals(Long.MAX_VALUE, pit.nextDeadline());
    }

    @Test
    void shutdownSequenceStopsInterrupts() {
        outb(0x34, 0x43);
        outb(0x10, 0x40);
        outb(0x00, 0x40);
        run(1_000_000L);
        assertTrue(irq0.takeEdges() > 0);
        outb(0x30, 0x43); // clockevent_i8253_disable
        outb(0, 0x40);
        outb(0, 0x40);
        outb(0x30, 0x43);
        run(1_000_000_000L);
        assertEquals(0, irq0.takeEdges());
        assertEquals(Long.MAX_VALUE, pit.nextDeadline());
    }

    @Test
    void latchedCountDecreasesWithTime() {
        outb(0x34, 0x43);
        outb(0x00, 0x40);
        outb(0x00, 0x40); // 65536
        clock.advance(10_000);
        outb(0x00, 0x43); // latch
        clock.advance(1_000_000);
        int first = inb(0x40) | inb(0x40) << 8;
        outb(0x00, 0x43);
        int second = inb(0x40) | inb(0x40) << 8;
        assertTrue(first < 65536 && first > 65500, "first " + first);
        int ticks = first - second;
        assertTrue(ticks > 1190 && ticks < 1200, "about 1ms elapsed between latches: " + ticks);
    }

    @Test
    void latchHoldsValueUntilRead() {
        outb(0x30, 0x43);
        outb(0x34, 0x40);
        outb(0xf2, 0x40);
        clock.advance(5_000_000);
        outb(0x00, 0x43);
        clock.advance(5_000_000);
        int lo = inb(0x40);
        outb(0x00, 0x43); // second latch while half-read is ignored
        clock.advance(1_000_000);
        int hi = inb(0x40);
        int latched = lo | hi << 8;
        int expected = 0xf234 - (int) (Pit8254.tickAt(5_000_000L + 123_456_789L + 3 * ioCostNanos) - Pit8254.tickAt(123_456_789L + 3 * ioCostNanos)) + 1;
        assertTrue(Math.abs(latched - expected) <= 2, latched + " vs " + expected);
    }

    @Test
    void readBackStatusAndCount() {
        outb(0xb0, 0x43); // ch2, lsb/msb, mode 0
        outb(0xe2 | 0x00, 0x43); // read-back status+count of channel 0
        outb(0xe8, 0x43); // read-back count+status of channel 2
        int status = inb(0x42);
        assertEquals(0x40 | 0x30 | 0x00, status, "OUT low, null count, lsb/msb, mode 0");
        outb(0x01, 0x61); // gate 2 high
        outb(0x34, 0x42);
        outb(0x12, 0x42);
        clock.advance(10_000);
        outb(0xc8, 0x43); // latch both for channel 2
        assertEquals(0x30, inb(0x42), "status: count loaded, OUT still low");
        int count = inb(0x42) | inb(0x42) << 8;
        assertTrue(count < 0x1234 && count > 0x1200);
        outb(0xd8, 0x43); // count only
        int count2 = inb(0x42) | inb(0x42) << 8;
        assertTrue(count2 < count);
        outb(0xe8, 0x43); // status only
        assertEquals(0x30, inb(0x42));
    }

    @Test
    void bcdCounting() {
        outb(0x01, 0x61);
        outb(0xb1, 0x43); // ch2, lsb/msb, mode 0, BCD
        outb(0x00, 0x42);
        outb(0x10, 0x42); // 1000 decimal
        clock.advance(Pit8254.nanosOfTick(1 + 1 + 250) - Pit8254.nanosOfTick(0)); // 250 ticks
        outb(0x80, 0x43);
        int v = inb(0x42) | inb(0x42) << 8;
        assertTrue(v >= 0x0740 && v <= 0x0750, Integer.toHexString(v));
        for (int nib = 0; nib < 4; nib++) {
            assertTrue(((v >> (4 * nib)) & 0xf) <= 9);
        }
    }

    @Test
    void squareWaveOnChannelTwoDrivesPortB() {
        outb(0x03, 0x61); // gate + speaker
        outb(0xb6, 0x43); // ch2 lsb/msb mode 3
        outb(0x00, 0x42);
        outb(0x10, 0x42); // 4096 ticks ~ 3.43 ms
        assertTrue(portB.speakerOn());
        int highs = 0;
        int samples = 4000;
        ioCostNanos = 0;
        for (int i = 0; i < samples; i++) {
            clock.advance(3_433_000 / 40);
            if ((inb(0x61) & 0x20) != 0) {
                highs++;
            }
        }
        assertTrue(Math.abs(highs - samples / 2) < samples / 20, "duty cycle " + highs);
        outb(0x02, 0x61); // gate low: OUT forced high in mode 3
        assertTrue((inb(0x61) & 0x20) != 0);
    }

    @Test
    void refreshBitToggles() {
        int a = inb(0x61) & 0x10;
        int b = inb(0x61) & 0x10;
        assertTrue(a != b);
    }

    /** arch/x86/kernel/tsc.c quick_pit_calibrate, with the TSC running at 3 GHz of virtual time. */
    @Test
    void quickPitCalibrateSucceeds() {
        long khz = quickPitCalibrate();
        assertTrue(Math.abs(khz - 3_000_000) < 3_000, "calibrated " + khz + " kHz");
    }

    private long tsc() {
        return clock.nanos() * 3;
    }

    private boolean pitVerifyMsb(int val) {
        inb(0x42);
        return inb(0x42) == val;
    }

    private long[] pitExpectMsb(int val) { // {ok, tsc, delta}
        int count;
        long t = 0;
        long prev = 0;
        for (count = 0; count < 50000; count++) {
            if (!pitVerifyMsb(val)) {
                break;
            }
            prev = t;
            t = tsc();
        }
        return new long[] {count > 5 ? 1 : 0, t, tsc() - prev};
    }

    private long quickPitCalibrate() {
        int maxIter = (int) (50 * Pit8254.FREQUENCY_HZ / 1000 / 256);
        outb((inb(0x61) & ~0x02) | 0x01, 0x61);
        outb(0xb0, 0x43);
        outb(0xff, 0x42);
        outb(0xff, 0x42);
        pitVerifyMsb(0);
        long[] first = pitExpectMsb(0xff);
        if (first[0] != 0) {
            long tsc0 = first[1];
            long d1 = first[2];
            for (int i = 1; i <= maxIter; i++) {
                long[] r = pitExpectMsb(0xff - i);
                if (r[0] == 0) {
                    break;
                }
                long delta = r[1] - tsc0;
                long d2 = r[2];
                if (i == 1 && d1 + d2 >= (delta * maxIter) >> 11) {
                    return 0;
                }
                if (d1 + d2 >= delta >> 11) {
                    continue;
                }
                if (!pitVerifyMsb(0xfe - i)) {
                    break;
                }
                return delta * Pit8254.FREQUENCY_HZ / (i * 256L * 1000);
            }
        }
        return 0;
    }

    /** arch/x86/kernel/tsc.c pit_calibrate_tsc(CAL_LATCH, CAL_MS, CAL_PIT_LOOPS). */
    @Test
    void pitCalibrateTscLoopEndsAfterTenMilliseconds() {
        int ms = 10;
        int latch = (int) (Pit8254.FREQUENCY_HZ / (1000 / ms));
        outb((inb(0x61) & ~0x02) | 0x01, 0x61);
        outb(0xb0, 0x43);
        outb(latch & 0xff, 0x42);
        outb(latch >> 8, 0x42);
        long t1 = tsc();
        long start = clock.nanos();
        long loops = 0;
        while ((inb(0x61) & 0x20) == 0) {
            loops++;
            assertTrue(loops < 1_000_000, "OUT2 never went high");
        }
        long t2 = tsc();
        long elapsed = clock.nanos() - start;
        assertTrue(loops >= 1000, "enough loops for the sanity check: " + loops);
        assertTrue(Math.abs(elapsed - 10_000_000) < 20_000, "elapsed " + elapsed);
        long khz = (t2 - t1) / ms;
        assertTrue(Math.abs(khz - 3_000_000) < 10_000, "khz " + khz);
    }

    @Test
    void modeZeroGateLowPausesCounting() {
        outb(0x01, 0x61);
        outb(0xb0, 0x43);
        outb(0x00, 0x42);
        outb(0x10, 0x42);
        clock.advance(1_000_000);
        outb(0x00, 0x61); // gate low
        outb(0x80, 0x43);
        int a = inb(0x42) | inb(0x42) << 8;
        clock.advance(1_000_000);
        outb(0x80, 0x43);
        int b = inb(0x42) | inb(0x42) << 8;
        assertEquals(a, b);
    }

    @Test
    void modeOneIsTriggeredByGate() {
        outb(0xb2, 0x43); // ch2 mode 1
        outb(0x10, 0x42);
        outb(0x00, 0x42);
        assertTrue((inb(0x61) & 0x20) != 0, "OUT high until triggered");
        outb(0x01, 0x61);
        clock.advance(2_000);
        assertFalse((inb(0x61) & 0x20) != 0, "OUT low while counting");
        clock.advance(20_000);
        assertTrue((inb(0x61) & 0x20) != 0, "OUT high at terminal count");
    }

    @Test
    void fuzzNeverThrowsAndStaysUsable() {
        Random rnd = new Random(8254);
        ioCostNanos = 0;
        for (int i = 0; i < 200_000; i++) {
            int port = rnd.nextBoolean() ? 0x40 + rnd.nextInt(4) : 0x61;
            int size = 1 << rnd.nextInt(3);
            clock.advance(rnd.nextInt(5000));
            if (rnd.nextBoolean()) {
                int v = bus.read(port, size);
                if (size == 1) {
                    assertTrue(v >= 0 && v <= 0xff);
                }
            } else {
                bus.write(port, size, rnd.nextInt());
            }
            long d = pit.nextDeadline();
            assertTrue(d == Long.MAX_VALUE || d >= 0);
            if (rnd.nextInt(100) == 0) {
                pit.advanceTo(clock.nanos());
                assertTrue(pit.nextDeadline() > clock.nanos());
            }
        }
        irq0.takeEdges();
        periodicModeTwoInterruptsAtHz();
    }

    /**
     * Linux's quick_pit_calibrate (arch/x86/kernel/tsc.c): channel 2 in mode 0 from 0xffff, then
     * pairs of reads (LSB ignored, MSB compared) until the MSB moves on. The MSB must stay 0xff
     * for 256 ticks (about 214 us) and then step to 0xfe, 0xfd, ...
     */
    @Test
    void quickCalibrationSeesTheMsbStepEvery256Ticks() {
        ioCostNanos = 50;
        outb((inb(0x61) & ~0x02) | 0x01, 0x61);
        outb(0xb0, 0x43);
        outb(0xff, 0x42);
        outb(0xff, 0x42);
        inb(0x42);
        assertEquals(0xff, inb(0x42), "the new count shows right after the write");
        for (int expect = 0xff; expect > 0xf0; expect--) {
            int iterations = 0;
            while (true) {
                inb(0x42);
                if (inb(0x42) != expect) {
                    break;
                }
                iterations++;
            }
            assertTrue(iterations > 1000, "MSB 0x" + Integer.toHexString(expect) + " held for only " + iterations + " reads");
        }
    }
}
