package dev.jvisor.devices;

import dev.jvisor.bus.IrqLine;

/** Test double for an interrupt wire: remembers the level and counts rising edges. */
final class RecordingIrq implements IrqLine {
    private boolean level;
    private int risingEdges;

    @Override
    public synchronized void setLevel(boolean high) {
        if (high && !level) {
            risingEdges++;
        }
        level = high;
    }

    synchronized boolean level() {
        return level;
    }

    synchronized int risingEdges() {
        return risingEdges;
    }

    synchronized int takeEdges() {
        int n = risingEdges;
        risingEdges = 0;
        return n;
    }
}
