package dev.jvisor.devices.pci;

import dev.jvisor.bus.MmioBus;
import dev.jvisor.bus.MmioDevice;
import dev.jvisor.bus.PortBus;
import dev.jvisor.bus.PortIoDevice;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link BarListener} that keeps each decoded BAR registered on the port or MMIO bus, routing
 * accesses to {@link PciFunction#ioBarRead} and friends with offsets relative to the BAR. A BAR
 * the guest places over something already claimed stays undecoded (as if another agent won the
 * address decode) rather than throwing; {@link #conflicts()} counts such placements.
 */
public final class BusBarMapper implements BarListener {
    private record Key(PciFunction function, int bar) { }

    private record Mapping(long base, long size, PortIoDevice io, MmioDevice mmio) { }

    private final PortBus ports;
    private final MmioBus mmio;
    private final Map<Key, Mapping> mappings = new HashMap<>();
    private int conflicts;

    public BusBarMapper(PortBus ports, MmioBus mmio) {
        this.ports = ports;
        this.mmio = mmio;
    }

    public int conflicts() {
        return conflicts;
    }

    @Override
    public void barRemapped(PciFunction function, int bar, long oldBase, long newBase) {
        Key key = new Key(function, bar);
        Mapping old = mappings.remove(key);
        if (old != null) {
            if (old.io() != null) {
                ports.unregister((int) old.base(), (int) old.size(), old.io());
            } else {
                mmio.unregister(old.base(), old.mmio());
            }
        }
        PciFunction.Bar b = function.bar(bar);
        if (newBase == PciFunction.UNMAPPED || b == null) {
            return;
        }
        try {
            if (b.io()) {
                int base = (int) newBase;
                PortIoDevice device = new PortIoDevice() {
                    @Override
                    public int ioRead(int port, int size) {
                        return function.ioBarRead(bar, port - base, size);
                    }

                    @Override
                    public void ioWrite(int port, int size, int value) {
                        function.ioBarWrite(bar, port - base, size, value);
                    }
                };
                ports.register(base, (int) b.size(), device);
                mappings.put(key, new Mapping(newBase, b.size(), device, null));
            } else {
                MmioDevice device = new MmioDevice() {
                    @Override
                    public long mmioRead(long offset, int size) {
                        return function.mmioBarRead(bar, offset, size);
                    }

                    @Override
                    public void mmioWrite(long offset, int size, long value) {
                        function.mmioBarWrite(bar, offset, size, value);
                    }
                };
                mmio.register(newBase, b.size(), device);
                mappings.put(key, new Mapping(newBase, b.size(), null, device));
            }
        } catch (IllegalStateException | IllegalArgumentException overlap) {
            conflicts++;
        }
    }
}
