package dev.jvisor.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DualPicTest {
    private RecordingIrq intr;
    private DualPic pic;

    @BeforeEach
    void setUp() {
        intr = new RecordingIrq();
        pic = new DualPic(intr);
    }

    private void out(int port, int v) {
        pic.ioWrite(port, 1, v);
    }

    private int in(int port) {
        return pic.ioRead(port, 1);
    }

    /** arch/x86/kernel/i8259.c probe_8259A + init_8259A(0) + unmask as Linux leaves it. */
    private void linuxInit(boolean autoEoi) {
        out(0xa1, 0xff);
        out(0x21, 0xfb);
        assertEquals(0xfb, in(0x21), "probe_8259A reads back the mask");
        out(0x21, 0xff);
        out(0x20, 0x11);
        out(0x21, 0x30);
        out(0x21, 0x04);
        out(0x21, autoEoi ? 0x03 : 0x01);
        out(0xa0, 0x11);
        out(0xa1, 0x38);
        out(0xa1, 0x02);
        out(0xa1, 0x01);
        out(0x21, 0x00);
        out(0xa1, 0x00);
    }

    /** mask_and_ack_8259A's EOI part. */
    private void eoi(int irq) {
        if (irq >= 8) {
            out(0xa0, 0x60 + (irq & 7));
            out(0x20, 0x62);
        } else {
            out(0x20, 0x60 + irq);
        }
    }

    @Test
    void masterInterruptDeliveredWithLinuxVectorAndSpecificEoi() {
        linuxInit(false);
        assertFalse(pic.hasInterrupt());
        pic.irq(0).pulse();
        assertTrue(pic.hasInterrupt());
        assertTrue(intr.level());
        assertEquals(0x30, pic.acknowledge());
        assertFalse(intr.level());
        assertEquals(0x01, pic.isr());
        out(0x20, 0x0b);
        assertEquals(0x01, in(0x20), "OCW3 read ISR");
        out(0x20, 0x0a);
        assertEquals(0x00, in(0x20), "OCW3 read IRR");
        eoi(0);
        assertEquals(0, pic.isr());
    }

    @Test
    void slaveInterruptCascadesThroughIr2() {
        linuxInit(false);
        pic.irq(8).pulse();
        assertTrue(pic.hasInterrupt());
        assertEquals(0x38, pic.acknowledge());
        assertEquals((1 << 8) | (1 << 2), pic.isr());
        pic.irq(14).pulse();
        assertFalse(pic.hasInterrupt(), "lower-priority slave input waits for the EOI");
        eoi(8);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x3e, pic.acknowledge());
        eoi(14);
        assertEquals(0, pic.isr());
        assertFalse(pic.hasInterrupt());
    }

    @Test
    void priorityResolutionAndNesting() {
        linuxInit(false);
        pic.irq(3).pulse();
        pic.irq(1).pulse();
        assertEquals(0x31, pic.acknowledge());
        assertFalse(pic.hasInterrupt(), "IRQ3 is blocked by IRQ1 in service");
        pic.irq(0).pulse();
        assertTrue(pic.hasInterrupt(), "IRQ0 preempts IRQ1");
        assertEquals(0x30, pic.acknowledge());
        out(0x20, 0x20); // non-specific EOI clears the highest in-service (IRQ0)
        assertEquals(0x02, pic.isr());
        out(0x20, 0x20);
        assertEquals(0x33, pic.acknowledge());
        out(0x20, 0x20);
        assertEquals(0, pic.isr());
    }

    @Test
    void irqsOnSlaveOutrankMasterInputsBelowIr2() {
        linuxInit(false);
        pic.irq(4).pulse();
        pic.irq(12).pulse();
        assertEquals(0x3c, pic.acknowledge(), "slave (via IR2) beats IR4");
        eoi(12);
        assertEquals(0x34, pic.acknowledge());
    }

    @Test
    void rotationAndSetPriority() {
        linuxInit(false);
        out(0x20, 0xc0 | 4); // set priority: IR4 lowest, IR5 highest
        pic.irq(3).pulse();
        pic.irq(6).pulse();
        assertEquals(0x36, pic.acknowledge());
        out(0x20, 0xa0); // rotate on non-specific EOI: IR6 becomes lowest
        assertEquals(0x33, pic.acknowledge());
        out(0x20, 0xe0 | 3); // rotate on specific EOI
        pic.irq(3).pulse();
        pic.irq(4).pulse();
        assertEquals(0x34, pic.acknowledge(), "IR3 is now lowest");
        out(0x20, 0x20);
        assertEquals(0x33, pic.acknowledge());
    }

    @Test
    void autoEoiLeavesIsrClear() {
        linuxInit(true);
        pic.irq(1).pulse();
        assertEquals(0x31, pic.acknowledge());
        assertEquals(0, pic.isr() & 0xff);
        pic.irq(1).pulse();
        assertTrue(pic.hasInterrupt());
    }

    @Test
    void maskedRequestStaysInIrr() {
        linuxInit(false);
        out(0x21, 0x02);
        pic.irq(1).pulse();
        assertFalse(pic.hasInterrupt());
        assertEquals(0x02, pic.irr() & 0xff);
        out(0x21, 0x00);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x31, pic.acknowledge());
    }

    @Test
    void edgeAndLevelTriggeringViaElcr() {
        linuxInit(false);
        out(0x4d0, 0xff);
        out(0x4d1, 0xff);
        assertEquals(0xf8, in(0x4d0), "IRQ0-2 cannot be level");
        assertEquals(0xde, in(0x4d1), "IRQ8 and IRQ13 cannot be level");
        out(0x4d0, 0x00);
        out(0x4d1, 0x0c); // IRQ10, IRQ11 level (PCI)
        pic.irq(10).setLevel(true);
        assertEquals(0x3a, pic.acknowledge());
        eoi(10);
        assertTrue(pic.hasInterrupt(), "level still high: request again after EOI");
        pic.irq(10).setLevel(false);
        assertFalse(pic.hasInterrupt(), "level input follows the line");

        pic.irq(5).setLevel(true); // edge input
        assertEquals(0x35, pic.acknowledge());
        eoi(5);
        assertFalse(pic.hasInterrupt(), "edge input needs a new rising edge");
        pic.irq(5).setLevel(false);
        pic.irq(5).setLevel(true);
        assertTrue(pic.hasInterrupt());
    }

    @Test
    void spuriousIrq7AndIrq15() {
        linuxInit(false);
        out(0x4d0, 0x20); // IRQ5 level
        pic.irq(5).setLevel(true);
        assertTrue(pic.hasInterrupt());
        pic.irq(5).setLevel(false);
        assertEquals(0x37, pic.acknowledge(), "request vanished: spurious IRQ7");
        assertEquals(0, pic.isr());

        out(0x4d1, 0x04); // IRQ10 level
        pic.irq(10).setLevel(true);
        assertTrue(pic.hasInterrupt());
        pic.irq(10).setLevel(false);
        assertEquals(0x37, pic.acknowledge(), "cascade wire dropped too: master spurious");

        assertEquals(0, pic.isr());
        // The INTA cycle is atomic here, so the slave cannot lose its request between the
        // master's and its own part of the cycle: a vanished slave request is a master IRQ7.
    }

    @Test
    void pollMode() {
        linuxInit(false);
        pic.irq(6).pulse();
        out(0x20, 0x0c);
        assertEquals(0x86, in(0x20));
        assertEquals(0x40, pic.isr());
        out(0x20, 0x0c);
        assertEquals(0x00, in(0x20));
        out(0x20, 0x20);
        assertEquals(0, pic.isr());
    }

    @Test
    void specialMaskModeLetsLowerPriorityThrough() {
        linuxInit(false);
        pic.irq(1).pulse();
        assertEquals(0x31, pic.acknowledge());
        pic.irq(5).pulse();
        assertFalse(pic.hasInterrupt());
        out(0x21, 0x02); // mask the in-service level
        out(0x20, 0x68); // OCW3: ESMM + SMM
        assertTrue(pic.hasInterrupt());
        assertEquals(0x35, pic.acknowledge());
        out(0x20, 0x48); // leave special mask mode
        out(0x20, 0x65);
        out(0x20, 0x61);
        assertEquals(0, pic.isr());
    }

    @Test
    void specialFullyNestedAllowsHigherSlaveRequest() {
        out(0x20, 0x11);
        out(0x21, 0x30);
        out(0x21, 0x04);
        out(0x21, 0x11); // SFNM
        out(0xa0, 0x11);
        out(0xa1, 0x38);
        out(0xa1, 0x02);
        out(0xa1, 0x01);
        pic.irq(12).pulse();
        assertEquals(0x3c, pic.acknowledge());
        pic.irq(9).pulse();
        assertTrue(pic.hasInterrupt(), "higher slave request while IR2 in service");
        assertEquals(0x39, pic.acknowledge());
    }

    @Test
    void noInterruptDuringInitialisation() {
        linuxInit(false);
        out(0x20, 0x11);
        pic.irq(3).pulse();
        assertFalse(pic.hasInterrupt());
        out(0x21, 0x30);
        out(0x21, 0x04);
        out(0x21, 0x01);
        assertTrue(pic.hasInterrupt(), "IMR was cleared by ICW1");
    }

    @Test
    void wordAccessHitsBothRegisters() {
        linuxInit(false);
        pic.ioWrite(0x4d0, 2, 0x0c20);
        assertEquals(0x0c20, pic.elcr());
        assertEquals(0x0c20, pic.ioRead(0x4d0, 2));
    }

    @Test
    void concurrentIrqSourcesNeverCorruptState() throws Exception {
        linuxInit(false);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            int irq = 3 + t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 20000; i++) {
                    pic.irq(irq).pulse();
                }
            });
            threads[t].start();
        }
        int delivered = 0;
        for (int i = 0; i < 20000; i++) {
            if (pic.hasInterrupt()) {
                int v = pic.acknowledge();
                assertTrue(v >= 0x30 && v <= 0x37);
                out(0x20, 0x20);
                delivered++;
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        while (pic.hasInterrupt()) {
            pic.acknowledge();
            out(0x20, 0x20);
        }
        assertEquals(0, pic.isr());
        assertTrue(delivered >= 0);
        assertEquals(intr.level(), pic.hasInterrupt());
    }

    @Test
    void fuzzNeverThrowsAndStaysUsable() {
        Random rnd = new Random(8259);
        int[] ports = {0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1};
        for (int i = 0; i < 200_000; i++) {
            int port = ports[rnd.nextInt(ports.length)];
            int size = 1 << rnd.nextInt(3);
            switch (rnd.nextInt(4)) {
                case 0 -> pic.ioRead(port, size);
                case 1 -> pic.ioWrite(port, size, rnd.nextInt());
                case 2 -> pic.irq(rnd.nextInt(16)).setLevel(rnd.nextBoolean());
                default -> {
                    if (pic.hasInterrupt()) {
                        int v = pic.acknowledge();
                        assertTrue(v >= 0 && v <= 0xff);
                    }
                }
            }
            assertEquals(pic.hasInterrupt(), intr.level(), "INTR pin mirrors the state");
        }
        for (int n = 0; n < 16; n++) {
            pic.irq(n).setLevel(false);
        }
        linuxInit(false);
        out(0x4d0, 0);
        out(0x4d1, 0);
        pic.irq(4).pulse();
        assertEquals(0x34, pic.acknowledge());
        eoi(4);
        assertFalse(pic.hasInterrupt());
    }
}
