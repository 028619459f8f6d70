package dev.jvisor.boot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** A minimal multiboot v1 ELF for tests: headers, the multiboot header at 84, code at 96, loaded at 1 MiB. */
public final class MultibootElf {
    private MultibootElf() {}

    public static Path write(Path file, byte[] code) throws IOException {
        int base = 0x100000;
        int size = 96 + code.length;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1, 0});
        b.position(16);
        b.putShort((short) 2).putShort((short) 3).putInt(1).putInt(base + 96).putInt(52).putInt(0).putInt(0)
                .putShort((short) 52).putShort((short) 32).putShort((short) 1).putShort((short) 40).putShort((short) 0)
                .putShort((short) 0);
        b.putInt(1).putInt(0).putInt(base).putInt(base).putInt(size).putInt(size).putInt(7).putInt(0x1000);
        b.putInt(0x1badb002).putInt(0).putInt(-0x1badb002);
        b.position(96);
        b.put(code);
        Files.write(file, b.array());
        return file;
    }
}
