package dev.jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.devices.block.BlockBackend;
import dev.jvisor.devices.pci.PciFunction;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The capability checks Linux's vp_modern_probe / vp_modern_map_capability make (minimum lengths,
 * alignment, inside the BAR), for every device type: if these fail, virtio_pci refuses the device.
 */
class VirtioCapabilityTest {
    static final class NullDisk implements BlockBackend {
        @Override public long sizeBytes() { return 4096; }
        @Override public boolean readOnly() { return true; }
        @Override public void read(long offset, byte[] dst, int off, int len) { }
        @Override public void write(long offset, byte[] src, int off, int len) { }
        @Override public void flush() { }
        @Override public String id() { return "null"; }
        @Override public void close() { }
    }

    @Test
    void capabilitiesPassLinuxChecks() {
        GuardedRam ram = new GuardedRam(1 << 16);
        for (VirtioPciTransport dev : List.of(new VirtioBlk(ram, new NullDisk()), new VirtioConsole(ram, null, null), new VirtioRng(ram))) {
            TestDriver d = new TestDriver(dev, ram);
            int devId = dev.configRead(PciFunction.DEVICE_ID, 2);
            assertTrue(devId >= 0x1040 && devId <= 0x107f, "modern device id");
            long barLen = dev.bar(VirtioPciTransport.BAR).size();
            assertTrue(!dev.bar(VirtioPciTransport.BAR).io() && barLen == VirtioPciTransport.BAR_SIZE);
            check(d.caps.get(1), 0x3c, 4, barLen);     // sizeof(virtio_pci_modern_common_cfg)
            check(d.caps.get(3), 1, 1, barLen);        // ISR
            check(d.caps.get(2), 2, 2, barLen);        // notify
            int queues = (int) d.common(VirtioPciTransport.NUM_QUEUES, 2);
            for (int q = 0; q < queues; q++) {
                d.common(VirtioPciTransport.QUEUE_SELECT, 2, q);
                long off = d.common(VirtioPciTransport.QUEUE_NOTIFY_OFF, 2) * d.notifyMultiplier;
                assertTrue(off + 2 <= d.caps.get(2).length(), "vp_modern_map_vq_notify bound, queue " + q);
            }
            if (d.caps.containsKey(4)) {
                check(d.caps.get(4), 0, 4, barLen);
            }
            assertEquals(1, dev.configRead(PciFunction.INTERRUPT_PIN, 1));
            for (int pos = dev.configRead(PciFunction.CAPABILITIES_POINTER, 1); pos != 0; pos = dev.configRead(pos + 1, 1)) {
                assertTrue(dev.configRead(pos, 1) != 0x11, "no MSI-X capability");
            }
        }
    }

    private static void check(TestDriver.Cap cap, int minLen, int align, long barLen) {
        assertEquals(VirtioPciTransport.BAR, cap.bar());
        assertTrue(cap.length() >= minLen, "length " + cap.length());
        assertEquals(0, cap.offset() % align);
        assertTrue(cap.offset() + (long) Math.max(minLen, 1) <= barLen);
    }
}
