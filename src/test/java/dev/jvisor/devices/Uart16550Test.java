package dev.jvisor.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Uart16550Test {
    private static final int B = Uart16550.COM1;
    private static final int RX = 0;
    private static final int IER = 1;
    private static final int IIR = 2;
    private static final int LCR = 3;
    private static final int MCR = 4;
    private static final int LSR = 5;
    private static final int MSR = 6;
    private static final int SCR = 7;

    private RecordingIrq irq;
    private ByteArrayOutputStream sent;
    private Uart16550 uart;

    @BeforeEach
    void setUp() {
        irq = new RecordingIrq();
        sent = new ByteArrayOutputStream();
        uart = new Uart16550(B, irq, sent::write);
    }

    private int in(int reg) {
        return uart.ioRead(B + reg, 1);
    }

    private void out(int reg, int v) {
        uart.ioWrite(B + reg, 1, v);
    }

    /** drivers/tty/serial/8250/8250_port.c autoconfig() + autoconfig_16550a(): returns the detected type. */
    private String linuxAutoconfig() {
        int scratch = in(IER);
        out(IER, 0);
        int scratch2 = in(IER) & 0x0f;
        out(IER, 0x0f);
        int scratch3 = in(IER) & 0x0f;
        out(IER, scratch);
        if (scratch2 != 0 || scratch3 != 0x0f) {
            return "IER test failed";
        }
        int saveMcr = in(MCR);
        int saveLcr = in(LCR);
        out(MCR, 0x10 | 0x0a);
        int status1 = in(MSR) & 0xf0;
        out(MCR, saveMcr);
        if (status1 != 0x90) {
            return "LOOP test failed";
        }
        out(LCR, 0xbf);
        out(2, 0); // EFR
        out(LCR, 0);
        out(2, 0x01); // FCR enable FIFO
        int iir = in(IIR);
        if (iir >> 6 != 3) {
            return "not 16550A: " + (iir >> 6);
        }
        // autoconfig_16550a
        out(LCR, 0x80);
        if (in(2) == 0) {
            return "ST16C650V1";
        }
        out(LCR, 0xbf);
        if (in(2) == 0) {
            return "EFR UART";
        }
        out(LCR, 0);
        status1 = in(MCR);
        out(LCR, 0xe0);
        int status2 = in(2);
        if (((status2 ^ status1) & 0x10) == 0) {
            out(LCR, 0);
            out(MCR, status1 ^ 0x10);
            out(LCR, 0xe0);
            status2 = in(2);
            out(LCR, 0);
            out(MCR, status1);
            if (((status2 ^ status1) & 0x10) != 0) {
                return "NS SuperIO";
            }
        }
        out(LCR, 0);
        out(2, 0x01 | 0x20);
        status1 = in(IIR) >> 5;
        out(2, 0x01);
        out(LCR, 0x80);
        out(2, 0x01 | 0x20);
        status2 = in(IIR) >> 5;
        out(2, 0x01);
        out(LCR, 0);
        if (status1 == 6 && status2 == 7) {
            return "16750";
        }
        int iersave = in(IER);
        out(IER, iersave | 0x40);
        if ((in(IER) & 0x40) != 0) {
            return "XScale";
        }
        out(IER, iersave);
        out(LCR, saveLcr);
        out(MCR, saveMcr);
        out(2, 0x01);
        out(2, 0x07);
        out(2, 0);
        in(RX);
        out(IER, 0);
        return "16550A";
    }

    @Test
    void linuxAutoconfigDetects16550A() {
        assertEquals("16550A", linuxAutoconfig());
        assertFalse(irq.level());
        assertEquals(0x60, in(LSR));
    }

    @Test
    void scratchAndDivisorLatch() {
        out(SCR, 0x5a);
        assertEquals(0x5a, in(SCR));
        out(LCR, 0x83);
        out(0, 0x01);
        out(1, 0x00); // 115200
        assertEquals(0x01, in(0));
        out(LCR, 0x03);
        assertEquals(0x00, in(IER), "IER is separate from DLM");
        assertEquals(0x03, in(LCR));
    }

    @Test
    void transmitWithThreInterrupts() {
        out(MCR, 0x0b); // DTR RTS OUT2
        out(2, 0x87); // FIFO on, clear, trigger 8
        out(IER, 0x02);
        assertTrue(irq.level(), "enabling ETBEI with THR empty interrupts");
        assertEquals(0xc2, in(IIR));
        assertFalse(irq.level(), "IIR read cleared THRE");
        assertEquals(0xc1, in(IIR));
        for (byte b : "hello".getBytes()) {
            out(RX, b);
        }
        assertEquals("hello", sent.toString());
        assertTrue(irq.level(), "transmitter empty again");
        assertEquals(0x60, in(LSR) & 0x60);
        out(IER, 0x00); // __stop_tx
        assertFalse(irq.level());
    }

    @Test
    void startupThreRetestSeesReassertion() {
        // serial8250_do_startup: UART_BUG_THRE test
        out(MCR, 0x08);
        out(IER, 0x02);
        int iir1 = in(IIR);
        out(IER, 0);
        out(IER, 0x02);
        int iir = in(IIR);
        out(IER, 0);
        assertEquals(0x02, iir1 & 0x0f);
        assertEquals(0x02, iir & 0x0f, "THRE re-asserted");
    }

    @Test
    void receiveFifoTriggerAndTimeout() {
        out(MCR, 0x0b);
        out(2, 0x81); // FIFO, trigger 8
        out(IER, 0x01);
        assertFalse(irq.level());
        assertTrue(uart.receive('a'));
        assertTrue(irq.level());
        assertEquals(0xcc, in(IIR), "below trigger: character timeout");
        for (int i = 0; i < 7; i++) {
            uart.receive('b' + i);
        }
        assertEquals(0xc4, in(IIR), "trigger level reached");
        StringBuilder got = new StringBuilder();
        while ((in(LSR) & 0x01) != 0) {
            got.append((char) in(RX));
        }
        assertEquals("abcdefgh", got.toString());
        assertFalse(irq.level());
        assertEquals(0xc1, in(IIR));
    }

    @Test
    void receiveIsBoundedAndOverrunSetsOe() {
        assertEquals(1, uart.rxSpace(), "FIFO off: only the holding register");
        assertTrue(uart.receive('x'));
        assertFalse(uart.receive('y'), "refused, not lost");
        out(2, 0x01);
        assertEquals(16, uart.rxSpace(), "enabling the FIFO cleared it");
        byte[] data = new byte[40];
        assertEquals(16, uart.receive(data, 0, data.length));
        assertEquals(0, uart.rxSpace());
        out(MCR, 0x08);
        out(IER, 0x05);
        uart.receiveOrOverrun('z');
        assertEquals(0xc6, in(IIR), "line status interrupt has top priority");
        assertEquals(0x63, in(LSR), "DR + OE + THRE + TEMT");
        assertEquals(0x61, in(LSR), "OE cleared by reading LSR");
        assertEquals(0xc4, in(IIR));
    }

    @Test
    void loopbackEchoesAndKeepsIrqQuiet() {
        out(2, 0x01);
        out(MCR, 0x1f);
        out(IER, 0x0f);
        out(RX, 0x42);
        assertEquals("", sent.toString(), "nothing leaves in loopback");
        assertEquals(0x42, in(RX));
        assertFalse(irq.level(), "OUT2 pin is disconnected in loopback");
        assertEquals(0xf0, in(MSR) & 0xf0);
        out(MCR, 0x10);
        assertEquals(0x0f, in(MSR) & 0x0f, "all four lines changed: delta bits");
        assertEquals(0x00, in(MSR));
    }

    @Test
    void modemStatusInterrupt() {
        out(MCR, 0x08);
        out(IER, 0x08);
        in(MSR);
        uart.setModemInputs(Uart16550.MSR_CTS | Uart16550.MSR_DSR);
        assertTrue(irq.level());
        assertEquals(0xc0 & 0, in(IIR) & 0x0f);
        assertEquals(0x30 | 0x08, in(MSR), "DDCD");
        assertFalse(irq.level());
        uart.setModemInputs(Uart16550.MSR_CTS | Uart16550.MSR_DSR | Uart16550.MSR_RI);
        assertEquals(0x70, in(MSR), "RI rising is not a TERI");
        uart.setModemInputs(Uart16550.MSR_CTS | Uart16550.MSR_DSR);
        assertEquals(0x34, in(MSR), "trailing edge of RI");
    }

    @Test
    void out2GatesTheLine() {
        out(IER, 0x02);
        assertFalse(irq.level());
        assertEquals(0x02, in(IIR) & 0x0f, "interrupt pending internally");
        out(IER, 0x00);
        out(IER, 0x02);
        out(MCR, 0x08);
        assertTrue(irq.level());
    }

    @Test
    void consoleThreadWithBackPressureLosesNothing() throws Exception {
        out(2, 0x01);
        int total = 100_000;
        Thread producer = new Thread(() -> {
            for (int i = 0; i < total; ) {
                if (uart.receive(i & 0xff)) {
                    i++;
                } else {
                    Thread.onSpinWait();
                }
            }
        });
        producer.start();
        int expected = 0;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (expected < total && System.nanoTime() < deadline) {
            if ((in(LSR) & 0x01) != 0) {
                assertEquals(expected & 0xff, in(RX));
                expected++;
            }
        }
        producer.join();
        assertEquals(total, expected);
    }

    @Test
    void wordAccessSplitsIntoByteRegisters() {
        uart.ioWrite(B + SCR - 1, 2, 0x7700); // MSR (ignored) + SCR
        assertEquals(0x77, in(SCR));
        assertNotEquals(-1, uart.ioRead(B + 6, 4));
    }

    @Test
    void fuzzNeverThrowsAndStaysUsable() {
        Random rnd = new Random(16550);
        for (int i = 0; i < 200_000; i++) {
            int port = B + rnd.nextInt(9) - (rnd.nextInt(20) == 0 ? 1 : 0);
            int size = 1 << rnd.nextInt(3);
            switch (rnd.nextInt(5)) {
                case 0, 1 -> uart.ioRead(port, size);
                case 2, 3 -> uart.ioWrite(port, size, rnd.nextInt());
                default -> {
                    if (rnd.nextBoolean()) {
                        uart.receive(rnd.nextInt(256));
                    } else {
                        uart.receiveOrOverrun(rnd.nextInt(256));
                    }
                }
            }
            int space = uart.rxSpace();
            assertTrue(space >= 0 && space <= 16, "rxSpace " + space);
        }
        sent.reset();
        out(MCR, 0);
        out(LCR, 0x03);
        assertEquals("16550A", linuxAutoconfig());
        out(RX, 'k');
        assertEquals("k", sent.toString());
    }
}
