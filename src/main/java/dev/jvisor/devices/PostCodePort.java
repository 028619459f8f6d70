package dev.jvisor.devices;

import dev.jvisor.bus.PortIoDevice;

/**
 * The POST diagnostic port 0x80: firmware writes progress codes, Linux writes it as an I/O delay
 * (outb_p). Remembers the last byte written; reads return it.
 */
public final class PostCodePort implements PortIoDevice {
    public static final int PORT = 0x80;
    public static final int PORT_COUNT = 1;

    private volatile int lastCode;

    @Override
    public int ioRead(int port, int size) {
        return ByteLanes.read(p -> p == PORT ? lastCode : 0xff, port, size);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        ByteLanes.write((p, v) -> {
            if (p == PORT) {
                lastCode = v;
            }
        }, port, size, value);
    }

    public int lastCode() {
        return lastCode;
    }
}
