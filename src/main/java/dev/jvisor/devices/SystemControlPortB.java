package dev.jvisor.devices;

import dev.jvisor.bus.PortIoDevice;

/**
 * PC/AT system control port B at 0x61 (PIIX3 "NMI Status and Control Register"): bit 0 drives
 * the gate of PIT channel 2, bit 1 enables the speaker, bits 2-3 are the parity/IOCHK enables
 * (stored), bit 4 is the refresh toggle and bit 5 reads back PIT channel 2's OUT. Bits 6-7 (NMI
 * sources) read as 0: nothing raises an NMI here.
 *
 * <p>The refresh bit flips on every read, so BIOS-style delay loops that wait for it to change
 * terminate whatever the clock does. Linux's pit_calibrate_tsc and quick_pit_calibrate poll bit 5
 * and counter 2, which follow the virtual clock through the {@link Pit8254}.
 */
public final class SystemControlPortB implements PortIoDevice {
    public static final int PORT = 0x61;
    public static final int PORT_COUNT = 1;

    private final Pit8254 pit;
    private int control;
    private boolean refresh;

    public SystemControlPortB(Pit8254 pit) {
        this.pit = pit;
        pit.setGate(2, false); // reset value 0: gate 2 low
    }

    @Override
    public synchronized int ioRead(int port, int size) {
        return ByteLanes.read(p -> p == PORT ? readByte() : 0xff, port, size);
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        ByteLanes.write((p, v) -> {
            if (p == PORT) {
                control = v & 0x0f;
                pit.setGate(2, (v & 0x01) != 0);
            }
        }, port, size, value);
    }

    private int readByte() {
        refresh = !refresh;
        return control | (refresh ? 0x10 : 0) | (pit.output(2) ? 0x20 : 0);
    }

    /** Speaker data enable (bit 1) and gate 2 both set: the PC speaker sounds channel 2's square wave. */
    public synchronized boolean speakerOn() {
        return (control & 0x03) == 0x03;
    }
}
