package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.bus.PortBus;
import dev.jvisor.devices.pci.PciHostBridge;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is on the PCI bus (as a guest's conf1 scan sees it) with and without --pv: the legacy PC
 * always has the PIIX3 IDE function 00:01.1; the para-virtual machine has it only when an if=ide
 * drive is given, and always its virtio functions.
 */
class PvMachineTest {
    private static final int PIIX3_IDE = 0x7010_8086, VIRTIO_BLK = 0x1042_1af4, VIRTIO_CONSOLE = 0x1043_1af4,
            VIRTIO_RNG = 0x1044_1af4;

    @TempDir
    Path dir;

    @Test
    void pvWithoutIdeDriveHasNoIdeFunction() throws Exception {
        PcMachine m = machine(true, "virtio");
        try {
            List<Integer> ids = scan(m.vm().ports());
            assertTrue(!ids.contains(PIIX3_IDE), "no IDE function under --pv without an IDE drive: " + hex(ids));
            assertTrue(ids.containsAll(List.of(VIRTIO_BLK, VIRTIO_CONSOLE, VIRTIO_RNG)), hex(ids));
            assertNull(m.ide());
            assertEquals(0xff, m.vm().ports().read(0x1f7, 1), "no legacy IDE status port");
            assertEquals(0xff, m.vm().ports().read(0x177, 1), "no legacy IDE status port");
        } finally {
            m.close();
        }
    }

    @Test
    void pvWithIdeDriveKeepsIdeFunction() throws Exception {
        PcMachine m = machine(true, "ide");
        try {
            List<Integer> ids = scan(m.vm().ports());
            assertTrue(ids.contains(PIIX3_IDE), hex(ids));
            assertTrue(ids.containsAll(List.of(VIRTIO_CONSOLE, VIRTIO_RNG)), hex(ids));
            assertNotNull(m.ide());
        } finally {
            m.close();
        }
    }

    @Test
    void legacyPcAlwaysHasIdeFunction() throws Exception {
        for (String iface : new String[] {null, "virtio"}) {
            PcMachine m = machine(false, iface);
            try {
                List<Integer> ids = scan(m.vm().ports());
                assertTrue(ids.contains(PIIX3_IDE), hex(ids));
                assertEquals(iface != null, ids.contains(VIRTIO_BLK), hex(ids));
                assertTrue(!ids.contains(VIRTIO_CONSOLE) && !ids.contains(VIRTIO_RNG), hex(ids));
                assertNotNull(m.ide());
            } finally {
                m.close();
            }
        }
    }

    @Test
    void invtscNeedsPv() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new MachineConfig(dir.resolve("k"), null, null, 16L << 20, true, "none", false, List.of(), false, null, true));
        assertTrue(e.getMessage().contains("--pv"), e.getMessage());
    }

    private PcMachine machine(boolean pv, String driveIface) throws Exception {
        List<DriveSpec> drives = new ArrayList<>();
        if (driveIface != null) {
            Path img = dir.resolve("disk-" + driveIface + "-" + pv + ".img");
            Files.write(img, new byte[1 << 16]);
            drives.add(DriveSpec.parse("file=" + img + ",if=" + driveIface));
        }
        MachineConfig cfg = new MachineConfig(haltKernel(), null, null, 16L << 20, true, "none", pv, drives);
        return new PcMachine(cfg, new ByteArrayOutputStream(), msg -> { });
    }

    /** Vendor/device IDs of every function on bus 0, read through the conf1 ports as a guest does. */
    private static List<Integer> scan(PortBus ports) {
        List<Integer> ids = new ArrayList<>();
        for (int dev = 0; dev < 32; dev++) {
            for (int fn = 0; fn < 8; fn++) {
                ports.write(PciHostBridge.CONFIG_ADDRESS, 4, 0x8000_0000 | dev << 11 | fn << 8);
                int id = ports.read(PciHostBridge.CONFIG_DATA, 4);
                if (id != -1) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    private static String hex(List<Integer> ids) {
        return ids.stream().map(Integer::toHexString).toList().toString();
    }

    /** A minimal multiboot v1 ELF loaded at 1 MiB whose code is cli; hlt. */
    private Path haltKernel() throws Exception {
        byte[] code = {(byte) 0xfa, (byte) 0xf4};
        int base = 0x100000;
        int size = 96 + code.length;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1, 0});
        b.position(16);
        b.putShort((short) 2).putShort((short) 3).putInt(1).putInt(base + 96).putInt(52).putInt(0).putInt(0)
                .putShort((short) 52).putShort((short) 32).putShort((short) 1).putShort((short) 40).putShort((short) 0)
                .putShort((short) 0);
        b.putInt(1).putInt(0).putInt(base).putInt(base).putInt(size).putInt(size).putInt(7).putInt(0x1000);
        b.putInt(0x1badb002).putInt(0).putInt(-0x1badb002);
        b.position(96);
        b.put(code);
        Path f = dir.resolve("halt.elf");
        Files.write(f, b.array());
        return f;
    }
}
