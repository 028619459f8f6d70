package dev.jvisor.devices;

import java.util.function.Consumer;

/**
 * The A20 address line gate shared by the i8042 output port (bit 1) and System Control Port A
 * (0x92, bit 1): the line is enabled when the last of them written asked for it, as the PIIX3's
 * A20GATE pin ORs nothing and simply follows the most recent write. The listener (the machine's
 * memory map) hears every change.
 */
public final class A20Gate {
    private final Consumer<Boolean> listener;
    private boolean enabled;

    /** Starts with A20 enabled: the machine enters the kernel directly, not through a real-mode BIOS. */
    public A20Gate(Consumer<Boolean> listener) {
        this(listener, true);
    }

    public A20Gate(Consumer<Boolean> listener, boolean initiallyEnabled) {
        this.listener = listener == null ? on -> { } : listener;
        this.enabled = initiallyEnabled;
    }

    public synchronized boolean enabled() {
        return enabled;
    }

    public synchronized void set(boolean on) {
        if (on != enabled) {
            enabled = on;
            listener.accept(on);
        }
    }
}
