package dev.jvisor.devices.apic;

/**
 * A 256-bit set of interrupt vectors: the APIC's IRR, ISR and TMR (SDM Vol. 3A 11.8.4). Register
 * n (n = 0..7) of the MMIO view holds vectors 32n..32n+31.
 */
final class VectorSet {
    private final long[] bits = new long[4];

    void set(int vector) {
        bits[(vector >> 6) & 3] |= 1L << vector;
    }

    void clear(int vector) {
        bits[(vector >> 6) & 3] &= ~(1L << vector);
    }

    boolean contains(int vector) {
        return (bits[(vector >> 6) & 3] & 1L << vector) != 0;
    }

    /** The highest vector in the set, or -1 if it is empty. */
    int highest() {
        for (int i = 3; i >= 0; i--) {
            if (bits[i] != 0) {
                return i * 64 + 63 - Long.numberOfLeadingZeros(bits[i]);
            }
        }
        return -1;
    }

    boolean isEmpty() {
        return (bits[0] | bits[1] | bits[2] | bits[3]) == 0;
    }

    /** Bits 32n..32n+31 as the 32-bit register n (0..7). */
    int word(int n) {
        return (int) (bits[(n >> 1) & 3] >>> ((n & 1) * 32));
    }

    void clearAll() {
        java.util.Arrays.fill(bits, 0);
    }
}
