package dev.jvisor.devices;

import dev.jvisor.bus.PortIoDevice;

/**
 * PS/2 System Control Port A at 0x92 (PIIX3 "Port 92 Register"): bit 1 gates A20 ("fast A20"),
 * a 0-to-1 transition of bit 0 pulses the CPU reset line ("fast init"). Other bits are stored.
 */
public final class SystemControlPortA implements PortIoDevice {
    public static final int PORT = 0x92;
    public static final int PORT_COUNT = 1;

    private final A20Gate a20;
    private final Runnable reset;
    private int value;

    public SystemControlPortA(A20Gate a20, Runnable reset) {
        this.a20 = a20;
        this.reset = reset == null ? () -> { } : reset;
    }

    @Override
    public int ioRead(int port, int size) {
        return ByteLanes.read(p -> p == PORT ? readByte() : 0xff, port, size);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        ByteLanes.write((p, v) -> {
            if (p == PORT) {
                writeByte(v);
            }
        }, port, size, value);
    }

    private synchronized int readByte() {
        return value & ~0x02 | (a20.enabled() ? 0x02 : 0);
    }

    private void writeByte(int v) {
        boolean pulse;
        synchronized (this) {
            pulse = (value & 0x01) == 0 && (v & 0x01) != 0;
            value = v & 0xff;
        }
        a20.set((v & 0x02) != 0);
        if (pulse) {
            reset.run();
        }
    }
}
