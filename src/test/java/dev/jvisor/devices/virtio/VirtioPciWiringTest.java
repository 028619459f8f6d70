package dev.jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.bus.MmioBus;
import dev.jvisor.bus.PortBus;
import dev.jvisor.devices.DualPic;
import dev.jvisor.devices.pci.BusBarMapper;
import dev.jvisor.devices.pci.I440fxPmc;
import dev.jvisor.devices.pci.PciBarAllocator;
import dev.jvisor.devices.pci.PciHostBridge;
import dev.jvisor.devices.pci.Piix3IsaBridge;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The device on the real PCI plumbing: conf1 ports, firmware BAR allocation, MMIO bus, PIIX3 routing, PIC. */
class VirtioPciWiringTest {
    @Test
    void rngThroughConfigPortsMmioAndPic() {
        PortBus ports = new PortBus();
        MmioBus mmio = new MmioBus();
        PciHostBridge host = new PciHostBridge(new BusBarMapper(ports, mmio));
        ports.register(PciHostBridge.BASE, PciHostBridge.PORT_COUNT, host);
        DualPic pic = new DualPic(null);
        ports.register(DualPic.MASTER_BASE, 2, pic);
        ports.register(DualPic.SLAVE_BASE, 2, pic);
        ports.register(DualPic.ELCR_BASE, 2, pic);
        Piix3IsaBridge piix3 = new Piix3IsaBridge(pic::irq);
        host.attach(0, 0, new I440fxPmc());
        host.attach(1, 0, piix3);
        GuardedRam ram = new GuardedRam(1 << 20);
        VirtioRng rng = new VirtioRng(ram, new Random(1));
        host.attach(4, 0, rng);
        PciBarAllocator.assign(host, piix3, pic);
        int[][] init = {{0x20, 0x11}, {0x21, 0x30}, {0x21, 0x04}, {0x21, 0x01}, {0xa0, 0x11}, {0xa1, 0x38}, {0xa1, 0x02},
            {0xa1, 0x01}, {0x21, 0}, {0xa1, 0}};
        for (int[] w : init) {
            ports.write(w[0], 1, w[1]);
        }

        ports.write(PciHostBridge.CONFIG_ADDRESS, 4, 0x8000_0000 | 4 << 11);
        assertEquals(0x1044_1af4, ports.read(PciHostBridge.CONFIG_DATA, 4));
        ports.write(PciHostBridge.CONFIG_ADDRESS, 4, 0x8000_0000 | 4 << 11 | 0x10);
        long bar = ports.read(PciHostBridge.CONFIG_DATA, 4) & 0xffff_fff0L;
        assertTrue(bar >= PciBarAllocator.MEMORY_BASE);
        ports.write(PciHostBridge.CONFIG_ADDRESS, 4, 0x8000_0000 | 4 << 11 | 0x3c);
        int irq = ports.read(PciHostBridge.CONFIG_DATA, 4) & 0xff;

        long common = bar + VirtioPciTransport.COMMON_OFFSET;
        mmio.write(common + VirtioPciTransport.DEVICE_STATUS, 1, 0);
        mmio.write(common + VirtioPciTransport.DEVICE_STATUS, 1, 3);
        mmio.write(common + VirtioPciTransport.DRIVER_FEATURE_SELECT, 4, 1);
        mmio.write(common + VirtioPciTransport.DRIVER_FEATURE, 4, 1);
        mmio.write(common + VirtioPciTransport.DEVICE_STATUS, 1, 11);
        assertEquals(11, mmio.read(common + VirtioPciTransport.DEVICE_STATUS, 1));
        mmio.write(common + VirtioPciTransport.QUEUE_SIZE, 2, 4);
        mmio.write(common + VirtioPciTransport.QUEUE_DESC, 4, 0x10000);
        mmio.write(common + VirtioPciTransport.QUEUE_DRIVER, 4, 0x11000);
        mmio.write(common + VirtioPciTransport.QUEUE_DEVICE, 4, 0x12000);
        mmio.write(common + VirtioPciTransport.QUEUE_ENABLE, 2, 1);
        mmio.write(common + VirtioPciTransport.DEVICE_STATUS, 1, 15);

        ram.write64(0x10000, 0x40000);
        ram.write32(0x10008, 16);
        ram.write16(0x1000c, 2);
        ram.write16(0x11004, 0);
        ram.write16(0x11002, 1);
        mmio.write(bar + VirtioPciTransport.NOTIFY_OFFSET, 2, 0);
        assertEquals(1, ram.read16(0x12002));
        assertEquals(16, ram.read32(0x12008));

        assertTrue(pic.hasInterrupt());
        assertEquals(0x30 + irq, pic.acknowledge());
        assertEquals(1, mmio.read(bar + VirtioPciTransport.ISR_OFFSET, 1));
        ports.write(irq >= 8 ? 0xa0 : 0x20, 1, 0x60 + (irq & 7));
        ports.write(0x20, 1, 0x62);
        assertFalse(pic.hasInterrupt(), "ISR read lowered the level-triggered line");
    }
}
