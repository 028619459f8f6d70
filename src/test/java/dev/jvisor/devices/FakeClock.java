package dev.jvisor.devices;

import dev.jvisor.bus.Clock;

/** A virtual clock the test advances by hand. */
final class FakeClock implements Clock {
    private long now;

    FakeClock() { }

    FakeClock(long start) {
        now = start;
    }

    @Override
    public synchronized long nanos() {
        return now;
    }

    synchronized void advance(long nanos) {
        now += nanos;
    }

    synchronized void set(long nanos) {
        now = nanos;
    }
}
