package dev.jvisor.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.bus.MmioBus;
import dev.jvisor.bus.PortBus;
import dev.jvisor.devices.DualPic;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PciTest {
    /** A device with an I/O BAR, a 32-bit memory BAR, a 64-bit prefetchable BAR, INTA and a vendor capability. */
    static final class TestDevice extends PciFunction {
        final int[] scratch = new int[8];
        long lastMmioOffset = -1;
        int capability;

        TestDevice() {
            super(0x1af4, 0x1000, 0x020000, 0x01, 0x00);
            defineIoBar(0, 32);
            defineMemoryBar(1, 4096, false, false);
            defineMemoryBar(2, 0x4000, true, true);
            setInterruptPin(1);
            setSubsystem(0x1af4, 0x0001);
            capability = addCapability(0x09, 8);
            setWritable(capability + 4, 4, 0xffff_ffffL);
            int second = addCapability(0x05, 12);
            setConfig8(second + 2, 0x80);
        }

        @Override
        public int ioBarRead(int bar, int offset, int size) {
            return bar == 0 && offset >= 0 && offset < 8 ? scratch[offset] : 0xff;
        }

        @Override
        public void ioBarWrite(int bar, int offset, int size, int value) {
            if (bar == 0 && offset >= 0 && offset < 8) {
                scratch[offset] = value & 0xff;
            }
        }

        @Override
        public long mmioBarRead(int bar, long offset, int size) {
            lastMmioOffset = offset;
            return bar * 0x1000L + offset;
        }
    }

    private PortBus ports;
    private MmioBus mmio;
    private BusBarMapper mapper;
    private PciHostBridge host;
    private DualPic pic;
    private Piix3IsaBridge piix3;
    private TestDevice dev;
    private AtomicInteger resets;

    @BeforeEach
    void setUp() {
        ports = new PortBus();
        mmio = new MmioBus();
        mapper = new BusBarMapper(ports, mmio);
        resets = new AtomicInteger();
        host = new PciHostBridge(mapper, resets::incrementAndGet);
        ports.register(PciHostBridge.BASE, PciHostBridge.PORT_COUNT, host);
        pic = new DualPic(null);
        ports.register(DualPic.MASTER_BASE, 2, pic);
        ports.register(DualPic.SLAVE_BASE, 2, pic);
        ports.register(DualPic.ELCR_BASE, 2, pic);
        piix3 = new Piix3IsaBridge(pic::irq);
        host.attach(0, 0, new I440fxPmc());
        host.attach(1, 0, piix3);
        dev = new TestDevice();
        host.attach(3, 0, dev);
        PciBarAllocator.assign(host, piix3, pic);
    }

    private static int address(int bus, int devfn, int reg) {
        return 0x8000_0000 | (reg & 0xf00) << 16 | bus << 16 | devfn << 8 | (reg & 0xfc);
    }

    /** arch/x86/pci/direct.c pci_conf1_read. */
    private int read(int devfn, int reg, int len) {
        ports.write(0xcf8, 4, address(0, devfn, reg));
        return switch (len) {
            case 1 -> ports.read(0xcfc + (reg & 3), 1);
            case 2 -> ports.read(0xcfc + (reg & 2), 2);
            default -> ports.read(0xcfc, 4);
        };
    }

    private void write(int devfn, int reg, int len, int value) {
        ports.write(0xcf8, 4, address(0, devfn, reg));
        switch (len) {
            case 1 -> ports.write(0xcfc + (reg & 3), 1, value);
            case 2 -> ports.write(0xcfc + (reg & 2), 2, value);
            default -> ports.write(0xcfc, 4, value);
        }
    }

    @Test
    void linuxType1CheckPassesAndType2Fails() {
        // pci_check_type1
        ports.write(0xcfb, 1, 0x01);
        int tmp = ports.read(0xcf8, 4);
        ports.write(0xcf8, 4, 0x8000_0000);
        assertEquals(0x8000_0000, ports.read(0xcf8, 4));
        boolean sane = false;
        for (int devfn = 0; devfn < 0x100 && !sane; devfn++) {
            int cls = read(devfn, 0x0a, 2);
            sane = cls == 0x0600 || cls == 0x0300 || read(devfn, 0x00, 2) == 0x8086;
        }
        assertTrue(sane, "pci_sanity_check finds the host bridge");
        ports.write(0xcf8, 4, tmp);
        // pci_check_type2
        ports.write(0xcfb, 1, 0x00);
        ports.write(0xcf8, 1, 0x00);
        ports.write(0xcfa, 1, 0x00);
        assertFalse(ports.read(0xcf8, 1) == 0x00 && ports.read(0xcfa, 1) == 0x00);
    }

    @Test
    void busScanFindsChipsetAndDevice() {
        List<String> found = new ArrayList<>();
        for (int dev = 0; dev < 32; dev++) {
            int fns = 1;
            for (int fn = 0; fn < fns; fn++) {
                int devfn = dev << 3 | fn;
                int id = read(devfn, 0x00, 4);
                if (id == -1 || id == 0) {
                    continue;
                }
                if (fn == 0 && (read(devfn, 0x0e, 1) & 0x80) != 0) {
                    fns = 8;
                }
                found.add(String.format("%02x.%d %08x %06x", dev, fn, id, read(devfn, 0x08, 4) >>> 8));
            }
        }
        assertEquals(List.of("00.0 12378086 060000", "01.0 70008086 060100", "03.0 10001af4 020000"), found);
        assertEquals(0xffff_ffff, read(1 << 3 | 1, 0, 4), "PIIX3 function 1 absent");
        ports.write(0xcf8, 4, 0x0000_0000 | 0 << 11);
        assertEquals(-1, ports.read(0xcfc, 4), "enable bit clear: no config cycle");
        ports.write(0xcf8, 4, address(1, 0, 0));
        assertEquals(-1, ports.read(0xcfc, 4), "bus 1 does not exist");
        assertEquals(0x80, read(1 << 3, 0x0e, 1));
    }

    @Test
    void firmwareAllocationAndRouting() {
        int devfn = 3 << 3;
        int bar0 = read(devfn, 0x10, 4);
        assertEquals(0xc001, bar0, "I/O BAR at 0xC000");
        assertEquals(0xe000_0000, read(devfn, 0x14, 4));
        assertEquals(0xe000_400c, read(devfn, 0x18, 4), "64-bit prefetchable, 16 KiB aligned");
        assertEquals(0, read(devfn, 0x1c, 4));
        assertEquals(0x0003, read(devfn, 0x04, 2) & 0x7);
        int pirq = (3 + 1 - 1) % 4;
        assertEquals(PciBarAllocator.PIRQ_TO_IRQ[pirq], read(devfn, 0x3c, 1));
        assertEquals(0x01, read(devfn, 0x3d, 1));
        assertEquals(PciBarAllocator.PIRQ_TO_IRQ[pirq], read(1 << 3, 0x60 + pirq, 1));
        assertEquals(0x0c00, pic.elcr(), "IRQ10 and 11 level-triggered");

        ports.write(0xc003, 1, 0x5a);
        assertEquals(0x5a, ports.read(0xc003, 1), "I/O BAR reaches the device");
        assertEquals(0x1000 + 0x10, mmio.read(0xe000_0010L, 4) & 0xffff);
        assertEquals(0x2000 + 0x8, mmio.read(0xe000_4008L, 4));
    }

    @Test
    void linuxBarSizingWithDecodeDisabled() {
        int devfn = 3 << 3;
        int[] expectedMask = {0xffff_ffe1, 0xffff_f000, 0xffff_c00c, 0xffff_ffff};
        for (int i = 0; i < 4; i++) {
            int reg = 0x10 + 4 * i;
            int cmd = read(devfn, 0x04, 2);
            write(devfn, 0x04, 2, cmd & ~0x3); // __pci_read_base: decode off while sizing
            int orig = read(devfn, reg, 4);
            write(devfn, reg, 4, 0xffff_ffff);
            int sz = read(devfn, reg, 4);
            write(devfn, reg, 4, orig);
            write(devfn, 0x04, 2, cmd);
            assertEquals(expectedMask[i], sz, "BAR" + i);
        }
        for (int i = 4; i < 6; i++) {
            write(devfn, 0x10 + 4 * i, 4, 0xffff_ffff);
            assertEquals(0, read(devfn, 0x10 + 4 * i, 4), "unimplemented BAR" + i);
        }
        write(devfn, 0x30, 4, 0xffff_f800);
        assertEquals(0, read(devfn, 0x30, 4), "no expansion ROM");
        ports.write(0xc002, 1, 0x33);
        assertEquals(0x33, ports.read(0xc002, 1), "mapping restored after sizing");
        assertEquals(0, mapper.conflicts());
    }

    @Test
    void guestMovesBars() {
        int devfn = 3 << 3;
        write(devfn, 0x10, 4, 0xd000);
        assertEquals(0xd001, read(devfn, 0x10, 4));
        ports.write(0xd001, 1, 0x77);
        assertEquals(0x77, ports.read(0xd001, 1));
        assertEquals(0xff, ports.read(0xc001, 1), "old range released");
        assertEquals(0xd000, dev.mappedBase(0));
        write(devfn, 0x14, 4, 0xe800_0000);
        assertEquals(0x1000 + 4, mmio.read(0xe800_0004L, 4));
        assertEquals(0xffff_ffffL, mmio.read(0xe000_0004L, 4));
        write(devfn, 0x04, 2, 0);
        assertEquals(0xff, ports.read(0xd001, 1), "I/O decode off");
        assertEquals(PciFunction.UNMAPPED, dev.mappedBase(1));
        write(devfn, 0x04, 2, 0x3);
        write(devfn, 0x10, 4, 0xcf8); // over the config ports: stays undecoded, no exception
        assertEquals(1, mapper.conflicts());
        assertEquals(0x8086, read(0, 0x00, 2), "config mechanism intact");
    }

    @Test
    void headerMasksAndCapabilities() {
        int devfn = 3 << 3;
        write(devfn, 0x00, 4, 0);
        assertEquals(0x10001af4, read(devfn, 0x00, 4), "IDs are read-only");
        assertEquals(0x1af4, read(devfn, 0x2c, 2));
        assertTrue((read(devfn, 0x06, 2) & 0x10) != 0, "capability list present");
        int cap = read(devfn, 0x34, 1);
        assertEquals(0x40, cap);
        assertEquals(0x09, read(devfn, cap, 1));
        int next = read(devfn, cap + 1, 1);
        assertEquals(0x48, next);
        assertEquals(0x05, read(devfn, next, 1));
        assertEquals(0, read(devfn, next + 1, 1), "end of list");
        write(devfn, cap + 4, 4, 0x12345678);
        assertEquals(0x12345678, read(devfn, cap + 4, 4));
        write(devfn, next + 2, 1, 0);
        assertEquals(0x80, read(devfn, next + 2, 1), "read-only capability byte");
        write(devfn, 0x3c, 1, 0x05);
        assertEquals(0x05, read(devfn, 0x3c, 1));
    }

    @Test
    void intxRoutedThroughPiix3ToPic() {
        initPic();
        int irq = read(3 << 3, 0x3c, 1);
        dev.setIntx(true);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x30 + irq, pic.acknowledge());
        assertTrue((read(3 << 3, 0x06, 2) & 0x08) != 0, "interrupt status");
        ports.write(0xa0, 1, 0x60 + (irq & 7));
        ports.write(0x20, 1, 0x62);
        assertTrue(pic.hasInterrupt(), "level-triggered: still asserted");
        dev.setIntx(false);
        assertFalse(pic.hasInterrupt());

        write(3 << 3, 0x04, 2, read(3 << 3, 0x04, 2) | 0x400);
        dev.setIntx(true);
        assertFalse(pic.hasInterrupt(), "INTx disabled in the command register");
        write(3 << 3, 0x04, 2, read(3 << 3, 0x04, 2) & ~0x400);
        assertTrue(pic.hasInterrupt());
        write(1 << 3, 0x62, 1, 0x0b | 0x00);
        write(1 << 3, 0x60 + Piix3IsaBridge.pirqFor(3, 1), 1, 0x0b);
        ports.write(0x4d1, 1, 0x08 | 0x04);
        assertEquals(0x3b, pic.acknowledge(), "rerouted to IRQ11");
        write(1 << 3, 0x60 + Piix3IsaBridge.pirqFor(3, 1), 1, 0x80);
        ports.write(0xa0, 1, 0x63);
        ports.write(0x20, 1, 0x62);
        assertFalse(pic.hasInterrupt(), "routing disabled");
    }

    private void initPic() {
        int[][] seq = {{0x20, 0x11}, {0x21, 0x30}, {0x21, 0x04}, {0x21, 0x01}, {0xa0, 0x11}, {0xa1, 0x38}, {0xa1, 0x02}, {0xa1, 0x01}, {0x21, 0}, {0xa1, 0}};
        for (int[] s : seq) {
            ports.write(s[0], 1, s[1]);
        }
    }

    @Test
    void resetControlRegister() {
        int cf9 = ports.read(0xcf9, 1) & ~0x06;
        ports.write(0xcf9, 1, cf9 | 0x02);
        assertEquals(0, resets.get());
        ports.write(0xcf9, 1, cf9 | 0x06);
        assertEquals(1, resets.get());
    }

    @Test
    void fuzzNeverThrowsAndStaysUsable() {
        Random rnd = new Random(440);
        for (int i = 0; i < 200_000; i++) {
            int port = 0xcf8 + rnd.nextInt(8);
            int size = 1 << rnd.nextInt(3);
            if (rnd.nextInt(3) == 0) {
                ports.write(0xcf8, 4, 0x8000_0000 | rnd.nextInt(0x2000) << 8 & 0x1fff00 | rnd.nextInt(256));
            }
            if (rnd.nextBoolean()) {
                ports.read(port, size);
            } else if (port != 0xcf9) {
                ports.write(port, size, rnd.nextInt());
            }
            if (rnd.nextInt(50) == 0) {
                dev.setIntx(rnd.nextBoolean());
            }
        }
        assertEquals(0x12378086, read(0, 0x00, 4));
        assertEquals(0x70008086, read(1 << 3, 0x00, 4));
        assertNotEquals(0, read(3 << 3, 0x00, 4));
        write(3 << 3, 0x04, 2, 0x3);
        write(3 << 3, 0x10, 4, 0xc100);
        ports.write(0xc100, 1, 0x42);
        assertEquals(0x42, ports.read(0xc100, 1));
    }
}
