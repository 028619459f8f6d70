package dev.jvisor.bus;

/**
 * The 64 KiB x86 I/O port space: a direct table from port number to device. Unclaimed ports read
 * as all ones and ignore writes, as on an ISA bus with nothing driving it.
 */
public final class PortBus {
    private final PortIoDevice[] devices = new PortIoDevice[0x10000];

    /** Claims ports [first, first+count) for a device. Overlaps are a wiring bug and throw. */
    public void register(int first, int count, PortIoDevice device) {
        if (first < 0 || count <= 0 || first + count > 0x10000) {
            throw new IllegalArgumentException("port range out of bounds: " + Integer.toHexString(first) + "+" + count);
        }
        for (int p = first; p < first + count; p++) {
            if (devices[p] != null) {
                throw new IllegalStateException("port 0x" + Integer.toHexString(p) + " already claimed");
            }
        }
        for (int p = first; p < first + count; p++) {
            devices[p] = device;
        }
    }

    /**
     * Releases ports [first, first+count) that are claimed by {@code device} (a PCI I/O BAR being
     * moved or disabled by the guest). Ports claimed by another device are left alone.
     */
    public void unregister(int first, int count, PortIoDevice device) {
        int end = Math.min(0x10000, first + Math.max(0, count));
        for (int p = Math.max(0, first); p < end; p++) {
            if (devices[p] == device) {
                devices[p] = null;
            }
        }
    }

    public PortIoDevice deviceAt(int port) {
        return devices[port & 0xffff];
    }

    public int read(int port, int size) {
        PortIoDevice d = devices[port & 0xffff];
        if (d == null) {
            return size == 4 ? -1 : (1 << (size * 8)) - 1;
        }
        return d.ioRead(port & 0xffff, size);
    }

    public void write(int port, int size, int value) {
        PortIoDevice d = devices[port & 0xffff];
        if (d != null) {
            d.ioWrite(port & 0xffff, size, value);
        }
    }
}
