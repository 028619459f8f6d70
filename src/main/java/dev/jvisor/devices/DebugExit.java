package dev.jvisor.devices;

import dev.jvisor.bus.PortIoDevice;
import java.util.function.IntConsumer;

/**
 * QEMU's isa-debug-exit device: a write of value v to its port asks the VM to exit with status
 * (v &lt;&lt; 1) | 1 (so a guest can never produce status 0). The port range is {@code width}
 * bytes (1, 2 or 4) from {@code port}; a write anywhere in it counts, with the value masked to
 * the access size. Reads return all ones.
 */
public final class DebugExit implements PortIoDevice {
    public static final int DEFAULT_PORT = 0xF4;
    public static final int DEFAULT_WIDTH = 1;

    private final int port;
    private final int width;
    private final IntConsumer exit;

    public DebugExit(IntConsumer exit) {
        this(DEFAULT_PORT, DEFAULT_WIDTH, exit);
    }

    /** {@code width} other than 2 or 4 is taken as 1. */
    public DebugExit(int port, int width, IntConsumer exit) {
        this.port = port & 0xffff;
        this.width = ByteLanes.size(width);
        this.exit = exit == null ? status -> { } : exit;
    }

    public int port() {
        return port;
    }

    /** Number of ports to register. */
    public int width() {
        return width;
    }

    @Override
    public int ioRead(int p, int size) {
        return size == 4 ? -1 : (1 << (8 * ByteLanes.size(size))) - 1;
    }

    @Override
    public void ioWrite(int p, int size, int value) {
        if (p < port || p >= port + width) {
            return;
        }
        int n = ByteLanes.size(size);
        long v = n == 4 ? value & 0xffff_ffffL : value & ((1L << (8 * n)) - 1);
        exit.accept((int) (v << 1 | 1));
    }
}
