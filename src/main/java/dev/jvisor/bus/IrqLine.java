package dev.jvisor.bus;

/**
 * One interrupt request wire from a device to an interrupt controller. Level semantics: the device
 * drives it high or low; an edge-triggered controller reacts to the low-to-high transition.
 * May be called from any thread (console input, disk backends); implementations are thread-safe.
 */
public interface IrqLine {
    void setLevel(boolean high);

    /** An edge: high then low (ISA devices that signal by a pulse). */
    default void pulse() {
        setLevel(true);
        setLevel(false);
    }

    IrqLine NONE = high -> { };
}
