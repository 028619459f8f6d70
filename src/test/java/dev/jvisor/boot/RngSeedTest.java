package dev.jvisor.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RngSeedTest {
    private static final int RAM = 64 << 20;

    @TempDir
    Path dir;

    private static byte[] seed() {
        byte[] s = new byte[RngSeed.SEED_BYTES];
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (0xA0 + i);
        }
        return s;
    }

    private BootEntry load(ArrayGuestMemory mem, int version) throws Exception {
        SyntheticBzImage s = new SyntheticBzImage();
        s.version = version;
        Path k = dir.resolve("bzImage-" + Integer.toHexString(version));
        Files.write(k, s.build());
        return LinuxLoader.load(mem, k, (Path) null, "console=ttyS0");
    }

    @Test
    void linksASeedEntryIntoTheZeroPage() throws Exception {
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        BootEntry e = load(mem, 0x020F);
        int zp = BootLayout.ZERO_PAGE;
        mem.write64(zp + RngSeed.SETUP_DATA, 0x12345678L); // an entry the loader linked before us

        assertTrue(RngSeed.attach(mem, e, seed()));

        assertEquals(BootLayout.SETUP_DATA, mem.read64(zp + RngSeed.SETUP_DATA));
        int sd = BootLayout.SETUP_DATA;
        assertEquals(0x12345678L, mem.read64(sd), "next keeps the list that was there");
        assertEquals(RngSeed.SETUP_RNG_SEED, mem.read32(sd + 8));
        assertEquals(32, mem.read32(sd + 12));
        byte[] data = new byte[32];
        mem.read(sd + 16, data, 0, 32);
        assertArrayEquals(seed(), data);
    }

    @Test
    void protocolBefore209HasNoSetupData() throws Exception {
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        BootEntry e = load(mem, 0x0208);

        assertFalse(RngSeed.attach(mem, e, seed()));
        assertEquals(0, mem.read64(BootLayout.ZERO_PAGE + RngSeed.SETUP_DATA));
        assertEquals(0, mem.read32(BootLayout.SETUP_DATA + 8));
    }

    @Test
    void noZeroPageNoSeed() {
        ArrayGuestMemory mem = new ArrayGuestMemory(RAM);
        BootEntry multiboot = FlatGdt.entry(0x100000, BootLayout.STACK_TOP, 0x2BADB002, 0x9000, 0);

        assertFalse(RngSeed.attach(mem, multiboot, seed()));
        assertEquals(0, mem.read32(BootLayout.SETUP_DATA + 8));
    }
}
