package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.bus.PortBus;
import dev.jvisor.devices.pci.PciHostBridge;
import java.io.ByteArrayOutputStream;
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

    /** A minimal multiboot v1 kernel whose code is cli; hlt. */
    private Path haltKernel() throws Exception {
        return dev.jvisor.boot.MultibootElf.write(dir.resolve("halt.elf"), new byte[] {(byte) 0xfa, (byte) 0xf4});
    }
}
