package dev.jvisor.devices.pci;

import dev.jvisor.bus.PortIoDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2) for bus 0:
 * CONFIG_ADDRESS at 0xCF8 (dword accesses only; bit 31 enable, bus 23-16, device 15-11, function
 * 10-8, register 7-2) and CONFIG_DATA at 0xCFC-0xCFF (byte, word or dword at an offset within
 * the dword). Absent functions, other buses and disabled cycles read as all ones.
 *
 * <p>Also the PIIX3 Reset Control register at 0xCF9 (byte access): writing bit 2 (RST_CPU) set
 * resets the machine. Non-dword accesses to 0xCF8-0xCFB other than that are not config cycles:
 * writes are ignored, reads return all ones (which makes Linux's type-2 probe fail, as it should).
 */
public final class PciHostBridge implements PortIoDevice {
    public static final int CONFIG_ADDRESS = 0xCF8;
    public static final int CONFIG_DATA = 0xCFC;
    public static final int BASE = 0xCF8;
    public static final int PORT_COUNT = 8;
    public static final int RESET_CONTROL = 0xCF9;

    private final PciFunction[][] functions = new PciFunction[32][8];
    private final BarListener barListener;
    private final Runnable reset;
    private int address;
    private int resetControl;

    public PciHostBridge(BarListener barListener, Runnable reset) {
        this.barListener = barListener == null ? BarListener.NONE : barListener;
        this.reset = reset == null ? () -> { } : reset;
    }

    public PciHostBridge(BarListener barListener) {
        this(barListener, null);
    }

    /** Places a function at 00:device.function and hands it the BAR listener. */
    public synchronized void attach(int device, int function, PciFunction fn) {
        if (device < 0 || device > 31 || function < 0 || function > 7) {
            throw new IllegalArgumentException("no such PCI slot " + device + "." + function);
        }
        if (functions[device][function] != null) {
            throw new IllegalStateException("PCI slot " + device + "." + function + " already taken");
        }
        functions[device][function] = fn;
        fn.setBarListener(barListener);
    }

    public synchronized PciFunction function(int device, int function) {
        return device >= 0 && device < 32 && function >= 0 && function < 8 ? functions[device][function] : null;
    }

    /** A placed function with its address, for firmware-style enumeration. */
    public record Slot(int device, int function, PciFunction fn) { }

    public synchronized List<Slot> slots() {
        List<Slot> list = new ArrayList<>();
        for (int d = 0; d < 32; d++) {
            for (int f = 0; f < 8; f++) {
                if (functions[d][f] != null) {
                    list.add(new Slot(d, f, functions[d][f]));
                }
            }
        }
        return list;
    }

    @Override
    public int ioRead(int port, int size) {
        PciFunction fn;
        int offset;
        synchronized (this) {
            if (port == CONFIG_ADDRESS && size == 4) {
                return address;
            }
            if (port == RESET_CONTROL && size == 1) {
                return resetControl;
            }
            if (port < CONFIG_DATA) {
                return size == 4 ? -1 : (1 << (8 * size)) - 1;
            }
            fn = target();
            offset = (address & 0xfc) + (port - CONFIG_DATA);
        }
        int n = size == 2 || size == 4 ? size : 1;
        int inWindow = Math.min(n, CONFIG_DATA + 4 - port);
        int value = -1;
        if (fn != null) {
            int v = fn.configRead(offset, inWindow);
            int mask = inWindow == 4 ? -1 : (1 << (8 * inWindow)) - 1;
            value = (v & mask) | ~mask; // bytes past 0xCFF float high
        }
        return n == 4 ? value : value & ((1 << (8 * n)) - 1);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        PciFunction fn;
        int offset;
        boolean doReset = false;
        synchronized (this) {
            if (port == CONFIG_ADDRESS && size == 4) {
                address = value & 0x8fff_fffc;
                return;
            }
            if (port == RESET_CONTROL && size == 1) {
                doReset = (value & 0x04) != 0 && (resetControl & 0x04) == 0;
                resetControl = value & 0x0a; // RST_CPU is self-clearing; SYS_RST and FULL_RST stored
                fn = null;
                offset = 0;
            } else if (port < CONFIG_DATA) {
                return;
            } else {
                fn = target();
                offset = (address & 0xfc) + (port - CONFIG_DATA);
            }
        }
        if (doReset) {
            reset.run();
            return;
        }
        if (fn != null) {
            int n = size == 2 || size == 4 ? size : 1;
            fn.configWrite(offset, Math.min(n, CONFIG_DATA + 4 - port), value);
        }
    }

    /** The function CONFIG_ADDRESS selects, or null (disabled, other bus, empty slot, extended register). */
    private PciFunction target() {
        if ((address & 0x8000_0000) == 0 || (address & 0x0f00_0000) != 0) {
            return null;
        }
        int bus = address >>> 16 & 0xff;
        if (bus != 0) {
            return null;
        }
        return functions[address >>> 11 & 0x1f][address >>> 8 & 0x7];
    }
}
