package dev.jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.devices.pci.PciFunction;
import java.util.HashMap;
import java.util.Map;

/**
 * Drives a virtio-pci device the way Linux's virtio_pci_modern does: finds the vendor
 * capabilities in configuration space, then speaks to the BAR at the offsets they give. Rings
 * live in a {@link GuardedRam}.
 */
final class TestDriver {
    record Cap(int bar, int offset, int length) { }

    final VirtioPciTransport dev;
    final GuardedRam ram;
    final Map<Integer, Cap> caps = new HashMap<>();
    int notifyMultiplier;

    TestDriver(VirtioPciTransport dev, GuardedRam ram) {
        this.dev = dev;
        this.ram = ram;
        assertEquals(0x1af4, dev.configRead(PciFunction.VENDOR_ID, 2));
        assertTrue((dev.configRead(PciFunction.STATUS, 2) & PciFunction.STATUS_CAPABILITIES) != 0);
        int pos = dev.configRead(PciFunction.CAPABILITIES_POINTER, 1);
        for (int guard = 0; pos != 0 && guard < 48; guard++) {
            if (dev.configRead(pos, 1) == 0x09) {
                int type = dev.configRead(pos + 3, 1);
                caps.putIfAbsent(type, new Cap(dev.configRead(pos + 4, 1), dev.configRead(pos + 8, 4), dev.configRead(pos + 12, 4)));
                if (type == 2) {
                    notifyMultiplier = dev.configRead(pos + 16, 4);
                }
            }
            pos = dev.configRead(pos + 1, 1);
        }
    }

    // ---- register access through the capabilities ----

    long common(int field, int size) {
        return dev.mmioBarRead(caps.get(1).bar(), caps.get(1).offset() + field, size);
    }

    void common(int field, int size, long value) {
        dev.mmioBarWrite(caps.get(1).bar(), caps.get(1).offset() + field, size, value);
    }

    int isr() {
        return (int) dev.mmioBarRead(caps.get(3).bar(), caps.get(3).offset(), 1);
    }

    long deviceConfig(int offset, int size) {
        return dev.mmioBarRead(caps.get(4).bar(), caps.get(4).offset() + offset, size);
    }

    int status() {
        return (int) common(VirtioPciTransport.DEVICE_STATUS, 1);
    }

    void setStatus(int s) {
        common(VirtioPciTransport.DEVICE_STATUS, 1, s);
    }

    long deviceFeatures() {
        common(VirtioPciTransport.DEVICE_FEATURE_SELECT, 4, 0);
        long lo = common(VirtioPciTransport.DEVICE_FEATURE, 4);
        common(VirtioPciTransport.DEVICE_FEATURE_SELECT, 4, 1);
        long hi = common(VirtioPciTransport.DEVICE_FEATURE, 4);
        return lo | hi << 32;
    }

    /** virtio 1.1 section 3.1.1 steps 1-6; returns the device status after FEATURES_OK. */
    int negotiate(long wanted) {
        return negotiateExactly(-1L, wanted);
    }

    /** As {@link #negotiate}, but writes {@code forced} bits as accepted even if not offered. */
    int negotiateExactly(long forced, long wanted) {
        setStatus(0);
        assertEquals(0, status());
        setStatus(VirtioPciTransport.ACKNOWLEDGE);
        setStatus(VirtioPciTransport.ACKNOWLEDGE | VirtioPciTransport.DRIVER);
        long accept = forced == -1L ? deviceFeatures() & wanted : forced;
        common(VirtioPciTransport.DRIVER_FEATURE_SELECT, 4, 0);
        common(VirtioPciTransport.DRIVER_FEATURE, 4, accept & 0xffff_ffffL);
        common(VirtioPciTransport.DRIVER_FEATURE_SELECT, 4, 1);
        common(VirtioPciTransport.DRIVER_FEATURE, 4, accept >>> 32);
        setStatus(VirtioPciTransport.ACKNOWLEDGE | VirtioPciTransport.DRIVER | VirtioPciTransport.FEATURES_OK);
        return status();
    }

    void driverOk() {
        setStatus(status() | VirtioPciTransport.DRIVER_OK);
    }

    /** Sets up queue {@code index} with {@code size} entries at {@code base} (desc, then avail, then used at 4 KiB). */
    Ring setupQueue(int index, int size, long base) {
        common(VirtioPciTransport.QUEUE_SELECT, 2, index);
        int max = (int) common(VirtioPciTransport.QUEUE_SIZE, 2);
        assertTrue(max >= size, "queue " + index + " max " + max);
        assertEquals(0, common(VirtioPciTransport.QUEUE_ENABLE, 2));
        common(VirtioPciTransport.QUEUE_SIZE, 2, size);
        long desc = base;
        long avail = base + 16L * size;
        long used = (avail + 6 + 2L * size + 4095) & ~4095L;
        ram.write(desc, new byte[(int) (used + 6 + 8L * size - desc)], 0, (int) (used + 6 + 8L * size - desc)); // fresh, zeroed rings
        writeAddress(VirtioPciTransport.QUEUE_DESC, desc);
        writeAddress(VirtioPciTransport.QUEUE_DRIVER, avail);
        writeAddress(VirtioPciTransport.QUEUE_DEVICE, used);
        int notifyOff = (int) common(VirtioPciTransport.QUEUE_NOTIFY_OFF, 2);
        common(VirtioPciTransport.QUEUE_ENABLE, 2, 1);
        return new Ring(this, index, size, desc, avail, used, caps.get(2).offset() + notifyOff * notifyMultiplier);
    }

    private void writeAddress(int field, long a) {
        common(field, 4, a & 0xffff_ffffL);
        common(field + 4, 4, a >>> 32);
    }
}
