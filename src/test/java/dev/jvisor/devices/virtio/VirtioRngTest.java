package dev.jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.devices.pci.PciFunction;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VirtioRngTest {
    @Test
    void fillsBuffersBoundedPerRequest() {
        GuardedRam ram = new GuardedRam(1 << 20);
        VirtioRng rng = new VirtioRng(ram, new Random(42));
        TestDriver d = new TestDriver(rng, ram);
        assertEquals(0x1044, rng.configRead(PciFunction.DEVICE_ID, 2));
        assertFalse(d.caps.containsKey(4), "no device configuration");
        d.negotiate(VirtioPciTransport.F_VERSION_1 | VirtioPciTransport.F_INDIRECT_DESC);
        Ring q = d.setupQueue(0, 4, 0x10000);
        d.driverOk();
        q.add(new Ring.Buf(0x40000, 64, true));
        q.add(new Ring.Buf(0x50000, 100_000, true));
        q.kick();
        int[] first = q.takeUsed();
        int[] second = q.takeUsed();
        assertEquals(64, first[1]);
        assertEquals(VirtioRng.MAX_PER_REQUEST, second[1]);
        byte[] expect = new byte[64];
        new Random(42).nextBytes(expect);
        for (int i = 0; i < 64; i++) {
            assertEquals(expect[i], (byte) ram.read8(0x40000 + i));
        }
        assertEquals(0, ram.read8(0x50000 + VirtioRng.MAX_PER_REQUEST), "nothing beyond the bound");
        assertTrue(ram.guardIntact());
    }

    @Test
    void defaultSourceIsSecureRandom() {
        GuardedRam ram = new GuardedRam(1 << 20);
        VirtioRng rng = new VirtioRng(ram);
        TestDriver d = new TestDriver(rng, ram);
        d.negotiate(VirtioPciTransport.F_VERSION_1);
        Ring q = d.setupQueue(0, 4, 0x10000);
        d.driverOk();
        q.add(new Ring.Buf(0x40000, 32, true));
        q.kick();
        assertEquals(32, q.takeUsed()[1]);
        boolean nonZero = false;
        for (int i = 0; i < 32; i++) {
            nonZero |= ram.read8(0x40000 + i) != 0;
        }
        assertTrue(nonZero);
    }
}
