package dev.jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.devices.pci.PciFunction;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VirtioConsoleTest {
    GuardedRam ram = new GuardedRam(1 << 20);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AtomicInteger wakes = new AtomicInteger();
    AtomicBoolean intx = new AtomicBoolean();
    VirtioConsole con;
    TestDriver d;
    Ring rx;
    Ring tx;

    @BeforeEach
    void probe() {
        con = new VirtioConsole(ram, out::write, wakes::incrementAndGet);
        con.connectIntx(intx::set);
        d = new TestDriver(con, ram);
        assertEquals(0x1043, con.configRead(PciFunction.DEVICE_ID, 2));
        assertEquals(0, d.deviceFeatures() & 0x7, "no SIZE, MULTIPORT, EMERG_WRITE");
        assertTrue((d.negotiate(VirtioPciTransport.F_VERSION_1) & VirtioPciTransport.FEATURES_OK) != 0);
        assertEquals(2, d.common(VirtioPciTransport.NUM_QUEUES, 2));
        rx = d.setupQueue(VirtioConsole.RECEIVEQ, 8, 0x10000);
        tx = d.setupQueue(VirtioConsole.TRANSMITQ, 8, 0x20000);
    }

    @AfterEach
    void guard() {
        assertTrue(ram.guardIntact());
    }

    String rxText(long addr, int n) {
        byte[] b = new byte[n];
        ram.read(addr, b, 0, n);
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void transmitGoesToTheSink() {
        d.driverOk();
        byte[] msg = "Linux version 6.1\n".getBytes(StandardCharsets.US_ASCII);
        ram.write(0x40000, msg, 0, msg.length);
        ram.write(0x41000, "ok".getBytes(StandardCharsets.US_ASCII), 0, 2);
        tx.add(new Ring.Buf(0x40000, 6, false), new Ring.Buf(0x40006, msg.length - 6, false));
        tx.add(new Ring.Buf(0x41000, 2, false));
        tx.kick();
        assertEquals("Linux version 6.1\nok", out.toString(StandardCharsets.US_ASCII));
        assertArrayEqualsUsed(tx.takeUsed(), 0, 0);
        assertArrayEqualsUsed(tx.takeUsed(), 2, 0);
        assertTrue(intx.get());
    }

    private static void assertArrayEqualsUsed(int[] used, int id, int len) {
        assertNotNull(used);
        assertEquals(id, used[0]);
        assertEquals(len, used[1]);
    }

    @Test
    void inputBeforeDriverOkWaitsThenFillsPostedBuffers() {
        rx.add(new Ring.Buf(0x50000, 4, true));
        rx.add(new Ring.Buf(0x51000, 64, true));
        rx.kick();
        assertEquals(6, con.receive("hello\n".getBytes(StandardCharsets.US_ASCII)));
        assertNull(rx.takeUsed(), "nothing delivered before DRIVER_OK");
        d.driverOk();
        assertArrayEqualsUsed(rx.takeUsed(), 0, 4);
        assertArrayEqualsUsed(rx.takeUsed(), 1, 2);
        assertEquals("hell", rxText(0x50000, 4));
        assertEquals("o\n", rxText(0x51000, 2));
        assertEquals(1, d.isr());
    }

    @Test
    void inputFromAnotherThreadWakesTheVcpu() throws InterruptedException {
        d.driverOk();
        rx.add(new Ring.Buf(0x50000, 16, true));
        rx.kick();
        Thread t = new Thread(() -> con.receive("ls\n".getBytes(StandardCharsets.US_ASCII)));
        t.start();
        t.join();
        assertArrayEqualsUsed(rx.takeUsed(), 0, 3);
        assertEquals("ls\n", rxText(0x50000, 3));
        assertTrue(intx.get());
        assertTrue(wakes.get() >= 1);
    }

    @Test
    void inputWithoutBuffersIsHeldAndBounded() {
        d.driverOk();
        assertEquals(VirtioConsole.INPUT_BUFFER, con.rxSpace());
        assertEquals(VirtioConsole.INPUT_BUFFER, con.receive(new byte[VirtioConsole.INPUT_BUFFER + 100]));
        assertEquals(0, con.rxSpace());
        assertFalse(con.receive('x'));
        assertFalse(intx.get());
        rx.add(new Ring.Buf(0x50000, 4096, true));
        rx.kick();
        assertArrayEqualsUsed(rx.takeUsed(), 0, 4096);
        assertEquals(VirtioConsole.INPUT_BUFFER, con.rxSpace());
        assertTrue(con.receive('y'));
    }

    @Test
    void inputSurvivesReset() {
        d.driverOk();
        con.receive("abc".getBytes(StandardCharsets.US_ASCII));
        d.setStatus(0);
        d.negotiate(VirtioPciTransport.F_VERSION_1);
        rx = d.setupQueue(0, 8, 0x10000);
        rx.add(new Ring.Buf(0x50000, 16, true));
        rx.kick();
        d.driverOk();
        assertArrayEqualsUsed(rx.takeUsed(), 0, 3);
        assertEquals("abc", rxText(0x50000, 3));
    }
}
