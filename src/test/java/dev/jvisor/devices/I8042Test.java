package dev.jvisor.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class I8042Test {
    private static final int CMD_CTL_RCTR = 0x0120;
    private static final int CMD_CTL_WCTR = 0x1060;
    private static final int CMD_CTL_TEST = 0x01aa;
    private static final int CMD_AUX_LOOP = 0x11d3;
    private static final int CMD_AUX_TEST = 0x01a9;
    private static final int CMD_KBD_TEST = 0x01ab;

    private RecordingIrq irq1;
    private AtomicInteger resets;
    private List<Boolean> a20Changes;
    private A20Gate a20;
    private I8042 kbc;
    private int timeouts;

    @BeforeEach
    void setUp() {
        irq1 = new RecordingIrq();
        resets = new AtomicInteger();
        a20Changes = new ArrayList<>();
        a20 = new A20Gate(a20Changes::add);
        kbc = new I8042(irq1, resets::incrementAndGet, a20);
    }

    private int status() {
        return kbc.ioRead(0x64, 1);
    }

    /** drivers/input/serio/i8042.c __i8042_command. */
    private int command(int[] param, int command) {
        if ((status() & 0x02) != 0) {
            timeouts++;
            return -1;
        }
        kbc.ioWrite(0x64, 1, command & 0xff);
        for (int i = 0; i < ((command >> 12) & 0xf); i++) {
            if ((status() & 0x02) != 0) {
                timeouts++;
                return -1;
            }
            kbc.ioWrite(0x60, 1, param[i]);
        }
        for (int i = 0; i < ((command >> 8) & 0xf); i++) {
            if ((status() & 0x01) == 0) {
                timeouts++;
                return -1;
            }
            if (command == CMD_AUX_LOOP && (status() & 0x20) == 0) {
                return -1; // auxerr
            }
            param[i] = kbc.ioRead(0x60, 1);
        }
        return 0;
    }

    private int flush() {
        int n = 0;
        while ((status() & 0x01) != 0 && n < 16) {
            kbc.ioRead(0x60, 1);
            n++;
        }
        return n;
    }

    private int[] keyboardCommand(int... bytes) {
        List<Integer> got = new ArrayList<>();
        for (int b : bytes) {
            kbc.ioWrite(0x60, 1, b);
            while ((status() & 0x01) != 0) {
                got.add(kbc.ioRead(0x60, 1));
            }
        }
        return got.stream().mapToInt(Integer::intValue).toArray();
    }

    /** i8042_controller_selftest + i8042_controller_init + i8042_check_aux + i8042_enable_kbd_port. */
    @Test
    void linuxProbeFindsKeyboardAndNoAux() {
        assertEquals(0x10, status() & 0x13, "unlocked, buffers empty");
        flush();
        int[] p = new int[1];
        assertEquals(0, command(p, CMD_CTL_TEST));
        assertEquals(0x55, p[0]);
        int[] c0 = new int[1];
        int[] c1 = new int[1];
        assertEquals(0, command(c0, CMD_CTL_RCTR));
        assertEquals(0, command(c1, CMD_CTL_RCTR));
        assertEquals(c0[0], c1[0], "stable CTR");
        assertTrue((c0[0] & 0x40) != 0, "BIOS left translation on");
        int ctr = (c0[0] | 0x10) & ~0x01;
        assertEquals(0, command(new int[] {ctr}, CMD_CTL_WCTR));
        flush();

        // i8042_check_aux
        flush();
        int[] loop = {0x5a};
        int retval = command(loop, CMD_AUX_LOOP);
        assertEquals(-1, retval, "loop data comes back as keyboard data: no aux");
        int[] test = new int[1];
        assertEquals(0, command(test, CMD_AUX_TEST));
        assertTrue(test[0] != 0 && test[0] != 0xfa && test[0] != 0xff, "aux test reports a fault: " + test[0]);
        assertEquals(0, timeouts, "no probe waits for a timeout");

        assertEquals(0, command(p, CMD_KBD_TEST));
        assertEquals(0x00, p[0]);

        // i8042_enable_kbd_port
        ctr = (ctr & ~0x10) | 0x01;
        assertEquals(0, command(new int[] {ctr}, CMD_CTL_WCTR));
        assertEquals(ctr, kbc.commandByte());
        flush();
        irq1.takeEdges();

        // atkbd_probe: GETID, translated
        kbc.ioWrite(0x60, 1, 0xf2);
        assertTrue(irq1.level(), "IRQ1 with the ACK");
        int[] id = new int[3];
        for (int i = 0; i < 3; i++) {
            assertTrue((status() & 0x01) != 0);
            id[i] = kbc.ioRead(0x60, 1);
        }
        assertEquals(0xfa, id[0]);
        assertEquals(0xab, id[1]);
        assertEquals(0x41, id[2]);
        assertFalse(irq1.level());
        assertEquals(3, irq1.takeEdges(), "one edge per byte");
    }

    @Test
    void keyboardCommands() {
        kbc.ioWrite(0x64, 1, 0x60);
        kbc.ioWrite(0x60, 1, 0x05); // untranslated, IRQ on
        assertEquals(List.of(0xfa, 0xaa), box(keyboardCommand(0xff)));
        assertEquals(List.of(0xfa, 0xfa), box(keyboardCommand(0xed, 0x07)));
        assertEquals(7, kbc.leds());
        assertEquals(List.of(0xfa, 0xab, 0x83), box(keyboardCommand(0xf2)));
        assertEquals(List.of(0xfa, 0xfa, 0x02), box(keyboardCommand(0xf0, 0x00)));
        assertEquals(List.of(0xfa, 0xfa), box(keyboardCommand(0xf0, 0x01)));
        assertEquals(List.of(0xfa, 0xfa, 0x01), box(keyboardCommand(0xf0, 0x00)));
        assertEquals(List.of(0xfa, 0xfa), box(keyboardCommand(0xf3, 0x20)));
        assertEquals(List.of(0xee), box(keyboardCommand(0xee)));
        assertEquals(List.of(0xfe), box(keyboardCommand(0x12)));
        assertEquals(List.of(0xfa), box(keyboardCommand(0xf5)));
        assertFalse(kbc.keyboardInput(0x1c), "scanning disabled");
        assertEquals(List.of(0xfa), box(keyboardCommand(0xf4)));
        assertTrue(kbc.keyboardInput(0x1c));
        assertEquals(0x1c, kbc.ioRead(0x60, 1));
    }

    private static List<Integer> box(int[] a) {
        List<Integer> l = new ArrayList<>();
        for (int v : a) {
            l.add(v);
        }
        return l;
    }

    @Test
    void keyboardQueueWaitsWhileInterfaceDisabled() {
        kbc.ioWrite(0x64, 1, 0xad);
        assertTrue(kbc.keyboardInput(0x1e));
        assertEquals(0, status() & 0x01);
        kbc.ioWrite(0x64, 1, 0xae);
        assertEquals(0x01, status() & 0x01);
        assertTrue(irq1.level());
        assertEquals(0x1e, kbc.ioRead(0x60, 1));
        for (int i = 0; i < 40; i++) {
            kbc.keyboardInput(i);
        }
        int n = 0;
        while ((status() & 0x01) != 0) {
            kbc.ioRead(0x60, 1);
            n++;
        }
        assertEquals(17, n, "output buffer + bounded 16-byte keyboard buffer");
    }

    @Test
    void resetPulseAndOutputPort() {
        for (int i = 0; i < 10; i++) { // arch/x86/kernel/reboot.c BOOT_KBD
            assertEquals(0, status() & 0x02);
            kbc.ioWrite(0x64, 1, 0xfe);
        }
        assertEquals(10, resets.get());
        kbc.ioWrite(0x64, 1, 0xff);
        assertEquals(10, resets.get(), "0xFF pulses nothing");
        kbc.ioWrite(0x64, 1, 0xd1); // arch/x86/boot/a20.c enable_a20_kbc
        kbc.ioWrite(0x60, 1, 0xdd);
        assertFalse(a20.enabled());
        kbc.ioWrite(0x64, 1, 0xd0);
        assertEquals(0x00, kbc.ioRead(0x60, 1) & 0x02);
        kbc.ioWrite(0x64, 1, 0xd1);
        kbc.ioWrite(0x60, 1, 0xdf);
        assertTrue(a20.enabled());
        assertEquals(List.of(false, true), a20Changes);
        kbc.ioWrite(0x64, 1, 0xd1);
        kbc.ioWrite(0x60, 1, 0xde);
        assertEquals(11, resets.get(), "output port bit 0 low resets");
    }

    @Test
    void systemControlPortA() {
        SystemControlPortA port92 = new SystemControlPortA(a20, resets::incrementAndGet);
        assertEquals(0x02, port92.ioRead(0x92, 1));
        port92.ioWrite(0x92, 1, 0x00);
        assertFalse(a20.enabled());
        port92.ioWrite(0x92, 1, 0x02);
        assertTrue(a20.enabled());
        port92.ioWrite(0x92, 1, 0x03);
        assertEquals(1, resets.get());
        port92.ioWrite(0x92, 1, 0x03);
        assertEquals(1, resets.get(), "only a 0-to-1 transition resets");
    }

    @Test
    void postAndDebugExit() {
        PostCodePort post = new PostCodePort();
        post.ioWrite(0x80, 1, 0x1234);
        assertEquals(0x34, post.lastCode());
        assertEquals(0x34, post.ioRead(0x80, 1));
        List<Integer> exits = new ArrayList<>();
        DebugExit exit = new DebugExit(0xf4, 4, exits::add);
        exit.ioWrite(0xf4, 1, 0x31);
        exit.ioWrite(0xf4, 4, 0x10);
        exit.ioWrite(0xf6, 2, 0x1ff);
        exit.ioWrite(0xf8, 1, 0x1);
        assertEquals(List.of(0x63, 0x21, 0x3ff), exits);
        assertEquals(4, exit.width());
    }

    @Test
    void fuzzNeverThrowsAndStaysUsable() {
        Random rnd = new Random(8042);
        for (int i = 0; i < 200_000; i++) {
            int port = rnd.nextBoolean() ? 0x60 : 0x64;
            int size = 1 << rnd.nextInt(3);
            switch (rnd.nextInt(5)) {
                case 0, 1 -> kbc.ioRead(port, size);
                case 2, 3 -> kbc.ioWrite(port, size, rnd.nextInt());
                default -> kbc.keyboardInput(rnd.nextInt(256));
            }
        }
        kbc.ioWrite(0x64, 1, 0x60);
        kbc.ioWrite(0x60, 1, 0x45);
        flush();
        int[] p = new int[1];
        assertEquals(0, command(p, CMD_CTL_TEST));
        assertEquals(0x55, p[0]);
        assertEquals(0, command(p, CMD_CTL_RCTR));
        assertEquals(0x45, p[0]);
    }
}
