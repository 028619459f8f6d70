package dev.jvisor.devices;

import dev.jvisor.bus.Clock;
import dev.jvisor.bus.IrqLine;
import dev.jvisor.bus.PortIoDevice;
import dev.jvisor.bus.Timed;

/**
 * Intel 8254 programmable interval timer (datasheet 231164) at ports 0x40-0x43, clocked at
 * 1.193182 MHz. Nothing ticks: every counter value and output is computed on demand from the
 * virtual {@link Clock} and the moment the counter was loaded.
 *
 * <p>Channel 0's OUT drives IRQ0 as edges (one pulse per rising edge of OUT: every period in modes
 * 2 and 3, once at terminal count in modes 0 and 4); {@link #nextDeadline()} is the next such
 * edge. Channel 1 (DRAM refresh) counts but drives nothing. Channel 2's gate and output belong to
 * {@link SystemControlPortB} (port 0x61). Channels 0 and 1 have their gate tied high.
 */
public final class Pit8254 implements PortIoDevice, Timed {
    public static final int BASE = 0x40;
    public static final int PORT_COUNT = 4;
    public static final long FREQUENCY_HZ = 1_193_182L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Clock clock;
    private final IrqLine irq0;
    private final Counter[] counters = {new Counter(), new Counter(), new Counter()};

    public Pit8254(Clock clock, IrqLine irq0) {
        this.clock = clock;
        this.irq0 = irq0 == null ? IrqLine.NONE : irq0;
    }

    // ---- time base ----

    /** The PIT tick in progress at virtual time {@code nanos}: floor(nanos * f / 1e9), exact. */
    public static long tickAt(long nanos) {
        long n = Math.max(0, nanos);
        return (n / NANOS_PER_SECOND) * FREQUENCY_HZ + (n % NANOS_PER_SECOND) * FREQUENCY_HZ / NANOS_PER_SECOND;
    }

    /** The first virtual nanosecond at which tick {@code tick} has begun: ceil(tick * 1e9 / f). */
    public static long nanosOfTick(long tick) {
        long t = Math.max(0, tick);
        long whole = t / FREQUENCY_HZ;
        if (whole >= Long.MAX_VALUE / NANOS_PER_SECOND) {
            return Long.MAX_VALUE;
        }
        long rest = t % FREQUENCY_HZ;
        return whole * NANOS_PER_SECOND + (rest * NANOS_PER_SECOND + FREQUENCY_HZ - 1) / FREQUENCY_HZ;
    }

    private long now() {
        return tickAt(clock.nanos());
    }

    // ---- Timed ----

    @Override
    public synchronized void advanceTo(long nowNanos) {
        fireDueEdges(tickAt(nowNanos));
    }

    @Override
    public synchronized long nextDeadline() {
        long edge = counters[0].nextRisingEdge();
        return edge == Long.MAX_VALUE ? Long.MAX_VALUE : nanosOfTick(edge);
    }

    private void fireDueEdges(long tick) {
        Counter c0 = counters[0];
        long edge = c0.nextRisingEdge();
        if (edge <= tick) {
            c0.markFiredUpTo(tick); // missed periods coalesce into one interrupt, as a late INTA would
            irq0.pulse();
        }
    }

    // ---- wiring for port 0x61 ----

    /** Sets the GATE input of a channel (only channel 2's gate is wired to anything on a PC). */
    public synchronized void setGate(int channel, boolean high) {
        long tick = now();
        fireDueEdges(tick);
        if (channel >= 0 && channel < 3) {
            counters[channel].setGate(high, tick);
        }
    }

    public synchronized boolean gate(int channel) {
        return channel >= 0 && channel < 3 && counters[channel].gate;
    }

    /** The OUT pin of a channel now. */
    public synchronized boolean output(int channel) {
        return channel >= 0 && channel < 3 && counters[channel].output(now());
    }

    // ---- ports ----

    @Override
    public synchronized int ioRead(int port, int size) {
        long tick = now();
        fireDueEdges(tick);
        return ByteLanes.read(p -> readByte(p, tick), port, size);
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        long tick = now();
        fireDueEdges(tick);
        ByteLanes.write((p, v) -> writeByte(p, v, tick), port, size, value);
    }

    private int readByte(int port, long tick) {
        int index = port - BASE;
        return index >= 0 && index < 3 ? counters[index].read(tick) : 0xff; // control word is write-only
    }

    private void writeByte(int port, int value, long tick) {
        int index = port - BASE;
        if (index >= 0 && index < 3) {
            counters[index].write(value, tick);
        } else if (index == 3) {
            controlWord(value, tick);
        }
    }

    /** Port 0x43: mode set, counter latch (RW = 00) or read-back (SC = 11), datasheet "Control Word Format". */
    private void controlWord(int v, long tick) {
        int select = v >>> 6;
        if (select == 3) {
            boolean latchCount = (v & 0x20) == 0;
            boolean latchStatus = (v & 0x10) == 0;
            for (int i = 0; i < 3; i++) {
                if ((v & (2 << i)) != 0) {
                    if (latchStatus) {
                        counters[i].latchStatus(tick);
                    }
                    if (latchCount) {
                        counters[i].latchCount(tick);
                    }
                }
            }
            return;
        }
        int rw = (v >>> 4) & 3;
        if (rw == 0) {
            counters[select].latchCount(tick);
        } else {
            counters[select].setMode((v >>> 1) & 7, rw, (v & 1) != 0, tick);
        }
    }

    /** One of the three counters (datasheet "Counter" block): CR, CE, OL, status and the modes. */
    private static final class Counter {
        int mode = 3;
        int rw = 3;
        boolean bcd;
        boolean gate = true;

        /** Initial count N in binary, 1..65536 (10000 in BCD mode). */
        int initial = 0x10000;
        boolean loaded;
        /** Modes 1 and 5 wait for a gate rising edge after the count is written. */
        boolean triggered;
        boolean paused;
        long runTicks;
        long runningSince;
        /** Value shown while no count is loaded. */
        int heldCount;
        boolean nullCount = true;
        long lastFired = Long.MIN_VALUE;

        // write side: LSB-then-MSB sequencing
        boolean writeMsbNext;
        int pendingLsb;
        // read side
        boolean readMsbNext;
        boolean countLatched;
        int latchedCount;
        boolean statusLatched;
        int latchedStatus;

        int modulus() {
            return bcd ? 10000 : 0x10000;
        }

        /** Ticks since the count was loaded into CE (-1 on the tick of the write itself). */
        long elapsed(long tick) {
            return paused ? runTicks : runTicks + (tick - runningSince);
        }

        boolean running() {
            return loaded && triggered && !paused;
        }

        void setMode(int newMode, int newRw, boolean newBcd, long tick) {
            heldCount = currentCount(tick);
            mode = newMode > 5 ? newMode - 4 : newMode; // 6 and 7 are aliases of 2 and 3
            rw = newRw;
            bcd = newBcd;
            loaded = false;
            triggered = false;
            paused = false;
            nullCount = true;
            writeMsbNext = false;
            readMsbNext = false;
            countLatched = false;
            statusLatched = false;
        }

        void write(int value, long tick) {
            int v = value & 0xff;
            int raw;
            switch (rw) {
                case 1 -> raw = v;
                case 2 -> raw = v << 8;
                default -> {
                    if (!writeMsbNext) {
                        pendingLsb = v;
                        writeMsbNext = true;
                        if (mode == 0) {
                            heldCount = currentCount(tick);
                            loaded = false; // mode 0: the first byte stops the count, OUT goes low
                        }
                        return;
                    }
                    writeMsbNext = false;
                    raw = pendingLsb | v << 8;
                }
            }
            load(raw, tick);
        }

        private void load(int raw, long tick) {
            int n = bcd ? fromBcd(raw) : raw & 0xffff;
            initial = n == 0 ? modulus() : n;
            loaded = true;
            nullCount = true;
            boolean hardwareTriggered = mode == 1 || mode == 5;
            triggered = !hardwareTriggered;
            restart(tick);
            if ((mode == 0 || mode == 4) && !gate) {
                pause(tick);
            }
            if ((mode == 2 || mode == 3) && !gate) {
                pause(tick);
            }
        }

        /** CE is loaded from CR on the next CLK: counting starts one tick after {@code tick}. */
        private void restart(long tick) {
            runTicks = 0;
            runningSince = tick + 1;
            paused = false;
            lastFired = tick;
        }

        private void pause(long tick) {
            runTicks = elapsed(tick);
            paused = true;
        }

        void setGate(boolean high, long tick) {
            if (high == gate) {
                return;
            }
            gate = high;
            if (!loaded) {
                return;
            }
            switch (mode) {
                case 0, 4 -> { // gate low suspends counting, high resumes
                    if (high) {
                        runningSince = tick;
                        paused = false;
                    } else {
                        pause(tick);
                    }
                }
                case 2, 3 -> { // gate low stops counting with OUT high; rising edge reloads
                    if (high) {
                        restart(tick);
                    } else {
                        pause(tick);
                    }
                }
                default -> { // 1, 5: a rising edge (re)triggers
                    if (high) {
                        triggered = true;
                        restart(tick);
                    }
                }
            }
        }

        int currentCount(long tick) {
            if (!loaded || !triggered) {
                return loaded ? initial % modulus() : heldCount;
            }
            long d = elapsed(tick);
            if (d < 0) {
                // CE takes the new count on the CLK after the write (datasheet). On a PC an ISA port
                // write by itself lasts about 1 us, longer than a CLK period (838 ns), so software
                // never reads the counter inside that window; our port writes take almost no
                // virtual time, so show the new count at once (Linux's quick_pit_calibrate reads
                // the MSB right after loading 0xffff and gives up if it is not 0xff).
                return initial % modulus();
            }
            int n = initial;
            int m = modulus();
            int count;
            switch (mode) {
                case 2 -> count = n - (int) (d % n);
                case 3 -> { // decrements by two; reloads at each half period
                    long p = d % n;
                    long h = p < (n + 1) / 2 ? p : p - (n + 1) / 2;
                    count = (int) Math.max(2, (n & ~1) - 2 * h);
                }
                default -> count = (int) Math.floorMod(n - d, (long) m); // 0, 1, 4, 5 wrap around
            }
            return count % m;
        }

        boolean output(long tick) {
            if (!loaded) {
                return mode != 0; // after the control word: low in mode 0, high otherwise
            }
            if ((mode == 2 || mode == 3) && !gate) {
                return true;
            }
            if (!triggered) {
                return true;
            }
            long d = elapsed(tick);
            if (d < 0) {
                return mode != 0 && mode != 1;
            }
            int n = initial;
            return switch (mode) {
                case 0, 1 -> d >= n;
                case 2 -> d % n != n - 1;
                case 3 -> d % n < (n + 1) / 2;
                default -> d != n; // 4, 5: one tick low at terminal count
            };
        }

        /** Absolute tick of the next rising edge of OUT after {@link #lastFired}, or MAX_VALUE. */
        long nextRisingEdge() {
            if (!running()) {
                return Long.MAX_VALUE;
            }
            long start = runningSince - runTicks; // tick at which elapsed() == 0
            int n = initial;
            long edge;
            switch (mode) {
                case 2, 3 -> {
                    long since = lastFired - start;
                    long k = since < n ? 1 : since / n + 1;
                    edge = start + k * n;
                }
                case 0, 1 -> edge = start + n;
                default -> edge = start + n + 1;
            }
            return edge > lastFired ? edge : Long.MAX_VALUE;
        }

        void markFiredUpTo(long tick) {
            lastFired = tick;
        }

        void latchCount(long tick) {
            if (!countLatched) {
                countLatched = true;
                latchedCount = display(currentCount(tick));
            }
        }

        void latchStatus(long tick) {
            if (!statusLatched) {
                statusLatched = true;
                boolean stillNull = nullCount && (!loaded || elapsed(tick) < 0);
                nullCount = stillNull;
                latchedStatus = (output(tick) ? 0x80 : 0) | (stillNull ? 0x40 : 0) | rw << 4 | mode << 1 | (bcd ? 1 : 0);
            }
        }

        int read(long tick) {
            if (statusLatched) {
                statusLatched = false;
                return latchedStatus;
            }
            int value;
            if (countLatched) {
                value = latchedCount;
            } else {
                value = display(currentCount(tick));
            }
            int result;
            switch (rw) {
                case 1 -> {
                    result = value & 0xff;
                    countLatched = false;
                }
                case 2 -> {
                    result = value >>> 8 & 0xff;
                    countLatched = false;
                }
                default -> {
                    if (!readMsbNext) {
                        result = value & 0xff;
                        readMsbNext = true;
                    } else {
                        result = value >>> 8 & 0xff;
                        readMsbNext = false;
                        countLatched = false;
                    }
                }
            }
            return result;
        }

        private int display(int count) {
            return bcd ? toBcd(count % 10000) : count & 0xffff;
        }
    }

    static int toBcd(int value) {
        int v = Math.floorMod(value, 10000);
        return (v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
    }

    /** BCD to binary; nibbles above 9 count at face value, the result is reduced modulo 10000. */
    static int fromBcd(int bcd) {
        int v = ((bcd >>> 12) & 0xf) * 1000 + ((bcd >>> 8) & 0xf) * 100 + ((bcd >>> 4) & 0xf) * 10 + (bcd & 0xf);
        return v % 10000;
    }
}
