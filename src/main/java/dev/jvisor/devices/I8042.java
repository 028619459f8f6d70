package dev.jvisor.devices;

import dev.jvisor.bus.IrqLine;
import dev.jvisor.bus.PortIoDevice;
import java.util.ArrayDeque;

/**
 * The 8042 keyboard controller of a PC/AT (IBM PS/2 technical reference, "Keyboard/Auxiliary
 * Device Controller"): data port 0x60, status/command port 0x64, with an attached MF2 keyboard
 * on the first port and no auxiliary (mouse) device.
 *
 * <p>Commands are carried out instantly, so the input buffer is never full (status IBF = 0). The
 * output buffer holds one byte; bytes the keyboard sends wait in a 16-byte queue behind it while
 * the buffer is full or the keyboard interface is disabled. A controller command that answers
 * (0x20, 0xAA, 0xD0...) writes its answer straight into the output buffer, replacing a byte the
 * guest has not read. IRQ1 is a level: output buffer full with keyboard data and the command
 * byte's keyboard interrupt enabled.
 *
 * <p>Absent aux port: the loopback command 0xD3 echoes its byte as keyboard data (not aux data)
 * and the aux interface test 0xA9 answers 0x02 (clock line stuck), which is how Linux's
 * i8042_check_aux decides, at once and without timeouts, that there is no aux port. 0xD4 bytes are
 * dropped.
 *
 * <p>Translation (command byte bit 6): bytes the keyboard itself generates (ID, scan-code set
 * answers) are translated as an 8042 would; bytes given to {@link #keyboardInput(int)} are passed
 * through as they are, so the host must supply the set the guest expects (set 1 when
 * translating).
 */
public final class I8042 implements PortIoDevice {
    public static final int DATA_PORT = 0x60;
    public static final int STATUS_PORT = 0x64;
    public static final int IRQ = 1;
    private static final int KEYBOARD_QUEUE = 16;

    // status register
    private static final int STR_OBF = 0x01;
    private static final int STR_SYS = 0x04;
    private static final int STR_CMD = 0x08;
    private static final int STR_UNLOCKED = 0x10;
    private static final int STR_AUXDATA = 0x20;
    // command byte
    private static final int CTR_KBDINT = 0x01;
    private static final int CTR_SYS = 0x04;
    private static final int CTR_KBDDIS = 0x10;
    private static final int CTR_AUXDIS = 0x20;
    private static final int CTR_XLATE = 0x40;

    private final IrqLine irq1;
    private final Runnable reset;
    private final A20Gate a20;

    private final int[] ram = new int[32];
    private boolean lastWriteWasCommand;
    /** Controller command waiting for its parameter byte on port 0x60, or 0. */
    private int pendingCommand;

    private boolean obFull;
    private int obData;
    private boolean obAux;
    private final ArrayDeque<Integer> keyboardQueue = new ArrayDeque<>();
    private boolean irqLevel;

    // keyboard device
    private int keyboardPendingCommand;
    private boolean scanning = true;
    private int scanSet = 2;
    private int leds;

    public I8042(IrqLine irq1, Runnable reset, A20Gate a20) {
        this.irq1 = irq1 == null ? IrqLine.NONE : irq1;
        this.reset = reset == null ? () -> { } : reset;
        this.a20 = a20 == null ? new A20Gate(null) : a20;
        ram[0] = CTR_XLATE | CTR_AUXDIS | CTR_SYS | CTR_KBDINT; // as a BIOS leaves it
    }

    // ---- host side ----

    /** Queues a byte from the keyboard (a scan code); false if the keyboard's buffer is full or scanning is off. */
    public synchronized boolean keyboardInput(int b) {
        if (!scanning || keyboardQueue.size() >= KEYBOARD_QUEUE) {
            return false;
        }
        keyboardQueue.add(b & 0xff);
        refill();
        return true;
    }

    public synchronized int leds() {
        return leds;
    }

    public synchronized int commandByte() {
        return ram[0];
    }

    // ---- ports ----

    @Override
    public int ioRead(int port, int size) {
        synchronized (this) {
            int value = ByteLanes.read(this::readByte, port, size);
            driveIrq(); // a taken byte drops IRQ1 before the next one raises it: one edge per byte
            refill();
            return value;
        }
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        boolean doReset;
        synchronized (this) {
            resetRequested = false;
            ByteLanes.write(this::writeByte, port, size, value);
            refill();
            doReset = resetRequested;
            resetRequested = false;
        }
        if (doReset) {
            reset.run(); // outside the lock: the machine may tear everything down
        }
    }

    private boolean resetRequested;

    private int readByte(int port) {
        if (port == STATUS_PORT) {
            return (obFull ? STR_OBF : 0) | (ram[0] & CTR_SYS) | (lastWriteWasCommand ? STR_CMD : 0)
                    | STR_UNLOCKED | (obFull && obAux ? STR_AUXDATA : 0);
        }
        if (port == DATA_PORT) {
            obFull = false; // reading takes the byte; a later read sees it again, as on hardware
            return obData;
        }
        return 0xff;
    }

    private void writeByte(int port, int v) {
        if (port == STATUS_PORT) {
            lastWriteWasCommand = true;
            controllerCommand(v);
        } else if (port == DATA_PORT) {
            lastWriteWasCommand = false;
            int command = pendingCommand;
            pendingCommand = 0;
            if (command != 0) {
                controllerParameter(command, v);
            } else {
                keyboardByte(v);
            }
        }
    }

    private void answer(int b) {
        obData = b & 0xff;
        obAux = false;
        obFull = true;
    }

    private void controllerCommand(int c) {
        pendingCommand = 0;
        if (c >= 0x20 && c <= 0x3f) {
            answer(ram[c & 0x1f]); // read controller RAM (0x20: command byte)
            return;
        }
        if (c >= 0x60 && c <= 0x7f) {
            pendingCommand = c; // write controller RAM, parameter follows
            return;
        }
        if (c >= 0xf0) {
            if ((c & 0x01) == 0) {
                resetRequested = true; // pulse output line 0 (0xFE): CPU reset
            }
            return;
        }
        switch (c) {
            case 0xa4 -> answer(0xf1); // no password installed
            case 0xa7 -> ram[0] |= CTR_AUXDIS;
            case 0xa8 -> ram[0] &= ~CTR_AUXDIS;
            case 0xa9 -> answer(0x02); // aux interface test: clock line stuck (no aux port)
            case 0xaa -> answer(0x55); // self-test passed
            case 0xab -> answer(0x00); // keyboard interface test passed
            case 0xad -> ram[0] |= CTR_KBDDIS;
            case 0xae -> ram[0] &= ~CTR_KBDDIS;
            case 0xc0 -> answer(0x80); // input port: keyboard not inhibited
            case 0xd0 -> answer(outputPort());
            case 0xd1, 0xd2, 0xd3, 0xd4 -> pendingCommand = c;
            case 0xdd -> a20.set(false);
            case 0xdf -> a20.set(true);
            case 0xe0 -> answer(0x00); // test inputs
            default -> { } // unknown commands are ignored
        }
    }

    private int outputPort() {
        return 0x01 | (a20.enabled() ? 0x02 : 0) | (obFull && !obAux ? 0x10 : 0) | (obFull && obAux ? 0x20 : 0) | 0xc0;
    }

    private void controllerParameter(int command, int v) {
        switch (command) {
            case 0xd1 -> { // write output port: bit 1 A20, bit 0 low resets the CPU
                a20.set((v & 0x02) != 0);
                if ((v & 0x01) == 0) {
                    resetRequested = true;
                }
            }
            case 0xd2 -> answer(v); // as if the keyboard sent it
            case 0xd3 -> answer(v); // aux loopback without an aux port: comes back as keyboard data
            case 0xd4 -> { } // to the aux device: there is none
            default -> {
                if (command >= 0x60 && command <= 0x7f) {
                    ram[command & 0x1f] = v;
                }
            }
        }
    }

    // ---- the keyboard (IBM PS/2 keyboard command set) ----

    private void keyboardSend(int b) {
        if (keyboardQueue.size() < KEYBOARD_QUEUE) {
            keyboardQueue.add(translate(b));
        }
    }

    private int translate(int b) {
        if ((ram[0] & CTR_XLATE) == 0) {
            return b;
        }
        return switch (b) {
            case 0x83 -> 0x41; // second ID byte
            case 0x01 -> 0x43; // scan-code set numbers as answered to F0 00
            case 0x02 -> 0x41;
            case 0x03 -> 0x3f;
            default -> b; // ACK, BAT, echo, resend: above 0x80, not translated
        };
    }

    private void keyboardByte(int v) {
        int command = keyboardPendingCommand;
        keyboardPendingCommand = 0;
        if (command != 0 && v < 0xed) { // a parameter; a command byte instead aborts the pending one
            keyboardParameter(command, v);
            return;
        }
        switch (v) {
            case 0xff -> { // reset: ACK, then BAT passed
                keyboardQueue.clear();
                scanSet = 2;
                leds = 0;
                scanning = true;
                keyboardSend(0xfa);
                keyboardSend(0xaa);
            }
            case 0xfe -> keyboardSend(0xfa); // resend: nothing was lost, acknowledge
            case 0xf6 -> {
                scanSet = 2;
                scanning = true;
                keyboardSend(0xfa);
            }
            case 0xf5 -> {
                keyboardQueue.clear();
                scanning = false;
                keyboardSend(0xfa);
            }
            case 0xf4 -> {
                keyboardQueue.clear();
                scanning = true;
                keyboardSend(0xfa);
            }
            case 0xf2 -> {
                keyboardSend(0xfa);
                keyboardSend(0xab);
                keyboardSend(0x83);
            }
            case 0xee -> keyboardSend(0xee);
            case 0xed, 0xf0, 0xf3 -> {
                keyboardPendingCommand = v;
                keyboardSend(0xfa);
            }
            case 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd -> keyboardSend(0xfa); // set-3 key modes
            default -> keyboardSend(0xfe); // unknown: resend
        }
    }

    private void keyboardParameter(int command, int v) {
        switch (command) {
            case 0xed -> leds = v & 0x07;
            case 0xf0 -> {
                if (v == 0) {
                    keyboardSend(0xfa);
                    keyboardSend(scanSet);
                    return;
                }
                if (v <= 3) {
                    scanSet = v;
                }
            }
            default -> { } // 0xf3 typematic rate/delay: accepted
        }
        keyboardSend(0xfa);
    }

    /** Moves the next keyboard byte into an empty output buffer and drives IRQ1. */
    private void refill() {
        if (!obFull && (ram[0] & CTR_KBDDIS) == 0 && !keyboardQueue.isEmpty()) {
            obData = keyboardQueue.poll();
            obAux = false;
            obFull = true;
        }
        driveIrq();
    }

    private void driveIrq() {
        boolean level = obFull && !obAux && (ram[0] & CTR_KBDINT) != 0;
        if (level != irqLevel) {
            irqLevel = level;
            irq1.setLevel(level);
        }
    }
}
