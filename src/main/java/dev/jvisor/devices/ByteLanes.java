package dev.jvisor.devices;

/**
 * Splits a 2- or 4-byte port access into byte accesses at consecutive ports, as an ISA device
 * with an 8-bit data bus sees an OUTW/OUTL: byte i of the value goes to port + i (little-endian).
 * Devices whose registers are all 8 bits wide use this, so any access size ends in defined state.
 */
public final class ByteLanes {
    /** Reads one byte register. */
    @FunctionalInterface
    public interface ByteReader {
        int readByte(int port);
    }

    /** Writes one byte register. */
    @FunctionalInterface
    public interface ByteWriter {
        void writeByte(int port, int value);
    }

    private ByteLanes() { }

    /** Normalises an access size: 1, 2 and 4 stay, anything else is treated as 1. */
    public static int size(int size) {
        return size == 2 || size == 4 ? size : 1;
    }

    public static int read(ByteReader reader, int port, int size) {
        int n = size(size);
        int value = 0;
        for (int i = 0; i < n; i++) {
            value |= (reader.readByte((port + i) & 0xffff) & 0xff) << (8 * i);
        }
        return value;
    }

    public static void write(ByteWriter writer, int port, int size, int value) {
        int n = size(size);
        for (int i = 0; i < n; i++) {
            writer.writeByte((port + i) & 0xffff, (value >>> (8 * i)) & 0xff);
        }
    }
}
