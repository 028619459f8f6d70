package dev.jvisor.devices.ide;

import dev.jvisor.bus.IrqLine;

/** Test double for an ISA interrupt wire: the level and the number of rising edges. */
final class TestIrq implements IrqLine {
    private boolean level;
    private int edges;

    @Override
    public synchronized void setLevel(boolean high) {
        if (high && !level) {
            edges++;
        }
        level = high;
    }

    synchronized boolean level() {
        return level;
    }

    synchronized int takeEdges() {
        int n = edges;
        edges = 0;
        return n;
    }
}
