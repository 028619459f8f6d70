package dev.jvisor.devices.ide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest as an adversary: seeded random register traffic of every size, random commands with
 * random task files, random PRD tables (no EOT, 64 KiB counts, addresses past RAM, tables that the
 * transfer itself overwrites) and a backend that fails at random. Nothing may throw, nothing may
 * be touched outside RAM, and afterwards a reset brings back a drive that answers IDENTIFY.
 */
class IdeHostileTest {
    static final int RAM = 1 << 20;
    static final int[] COMMANDS = {
        0x08, 0x10, 0x20, 0x21, 0x24, 0x25, 0x29, 0x30, 0x31, 0x34, 0x35, 0x39, 0x40, 0x41, 0x42, 0x70,
        0x90, 0x91, 0xA0, 0xA1, 0xB0, 0xC4, 0xC5, 0xC6, 0xC8, 0xC9, 0xCA, 0xCB, 0xE0, 0xE1, 0xE2, 0xE3,
        0xE4, 0xE5, 0xE6, 0xE7, 0xEA, 0xEC, 0xEF, 0xF8, 0xFF, 0x00,
    };

    @TempDir
    Path dir;
    static int dmaDone;
    static int dmaErrors;
    int refused;
    int failures;

    @Test
    void randomTrafficNeverEscapes() throws IOException {
        dmaDone = 0;
        dmaErrors = 0;
        refused = 0;
        failures = 0;
        for (long seed = 1; seed <= 6; seed++) {
            run(seed, 6000);
        }
        // the traffic did reach the paths it is meant to attack
        assertTrue(refused > 0, "PRD walks met addresses outside RAM");
        assertTrue(failures > 0, "the backend failed");
        assertTrue(dmaDone > 0 && dmaErrors > 0, "DMA completed " + dmaDone + ", failed " + dmaErrors);
        System.out.printf("hostile: %d DMA done, %d DMA errors, %d refused RAM accesses, %d backend failures%n",
                dmaDone, dmaErrors, refused, failures);
    }

    private void run(long seed, int steps) throws IOException {
        Path big = dir.resolve("big" + seed + ".img");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(64L << 20); // sparse 64 MiB: room for 65536-sector LBA48 transfers
        }
        IdeRig rig = new IdeRig(RAM);
        rig.ide.attach(0, RawIdeDisk.open(big, false));
        FlakyDisk flaky = new FlakyDisk(300, seed);
        rig.ide.attach(1, flaky);
        rig.ide.attach(2, RawIdeDisk.open(IdeRig.image(dir, "ro" + seed + ".img", 40, seed), true));
        Random r = new Random(seed);
        int[] legacy = {0x1F0, 0x1F1, 0x1F2, 0x1F3, 0x1F4, 0x1F5, 0x1F6, 0x1F7, 0x3F6, 0x3F7,
            0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376};
        for (int step = 0; step < steps; step++) {
            int size = new int[] {1, 2, 4}[r.nextInt(3)];
            if (step % 400 == 0) {
                reenable(rig); // a guest driver re-probing: random config writes may have disabled decoding
            }
            switch (r.nextInt(12)) {
                case 0, 1 -> rig.ports.write(legacy[r.nextInt(legacy.length)], size, r.nextInt());
                case 2 -> rig.ports.read(legacy[r.nextInt(legacy.length)], size);
                case 3 -> {
                    int off = r.nextInt(18);
                    if (r.nextBoolean()) {
                        rig.ports.write(rig.bmBase + off, size, r.nextInt());
                    } else {
                        rig.ports.read(rig.bmBase + off, size);
                    }
                }
                case 4, 5 -> command(rig, r);
                case 6 -> randomPrdTable(rig, r, rig.bmBase + (r.nextBoolean() ? 0 : 8));
                case 7 -> {
                    // drain or feed the data port the way a PIO loop would
                    int base = r.nextBoolean() ? 0x1F0 : 0x170;
                    int n = r.nextInt(600);
                    for (int i = 0; i < n; i++) {
                        if (r.nextBoolean()) {
                            rig.ports.read(base, size);
                        } else {
                            rig.ports.write(base, size, r.nextInt());
                        }
                    }
                }
                case 8 -> {
                    // bus master start/stop with random direction on a random channel
                    int bm = rig.bmBase + (r.nextBoolean() ? 0 : 8);
                    rig.ports.write(bm, 1, r.nextInt(16));
                }
                case 9, 10 -> dmaCommand(rig, r);
                default -> {
                    // configuration space of 00:01.1, keeping BAR4 where the rig expects it most of the time
                    int off = r.nextInt(256);
                    if (off >= 0x20 && off < 0x24 && r.nextInt(4) != 0) {
                        break;
                    }
                    rig.cfgWrite(off, size, r.nextInt());
                }
            }
        }
        assertTrue(rig.ram.guardsIntact(), "guard regions untouched");
        assertEquals(0, rig.ram.misuse, "no bad host-array ranges passed to GuestMemory");
        assertEquals(0, rig.ide.internalErrors(), "no exception reached the safety net");
        refused += rig.ram.refused;
        failures += flaky.failures;

        // Recovery: firmware-style re-enable, then libata's reset and IDENTIFY on both channels.
        reenable(rig);
        rig.bmStop();
        rig.softReset();
        assertIdentifies(rig, 0, 0);
        assertIdentifies(rig, 1, 0);
        rig.secondary();
        rig.softReset();
        assertIdentifies(rig, 0, 1);
    }

    private static void reenable(IdeRig rig) {
        rig.cfgWrite(0x20, 4, rig.bmBase | 1);
        rig.cfgWrite(0x04, 2, 0x0005);
        rig.cfgWrite(0x40, 2, 0x8000);
        rig.cfgWrite(0x42, 2, 0x8000);
    }

    /** A libata-shaped DMA command (setup, command, start) with hostile parameters. */
    private static void dmaCommand(IdeRig rig, Random r) {
        boolean primary = r.nextInt(4) != 0;
        int base = primary ? 0x1F0 : 0x170;
        int bm = rig.bmBase + (primary ? 0 : 8);
        randomPrdTable(rig, r, bm);
        boolean write = r.nextBoolean();
        boolean directionRight = r.nextInt(8) != 0;
        rig.ports.write(bm, 1, (write ^ directionRight ? 0 : BusMasterChannel.CMD_WRITE_TO_MEMORY));
        boolean ext = r.nextBoolean();
        long lba = switch (r.nextInt(4)) {
            case 0 -> r.nextLong() & 0xFFFF_FFFF_FFFFL;
            case 1 -> r.nextInt(140000);
            default -> r.nextInt(300);
        };
        int count = r.nextInt(3) == 0 ? 0 : r.nextInt(300);
        if (ext) {
            rig.ports.write(base + 2, 1, count >>> 8);
            rig.ports.write(base + 3, 1, (int) (lba >>> 24));
            rig.ports.write(base + 4, 1, (int) (lba >>> 32));
            rig.ports.write(base + 5, 1, (int) (lba >>> 40));
        }
        rig.ports.write(base + 2, 1, count);
        rig.ports.write(base + 3, 1, (int) lba);
        rig.ports.write(base + 4, 1, (int) (lba >>> 8));
        rig.ports.write(base + 5, 1, (int) (lba >>> 16));
        rig.ports.write(base + 6, 1, 0x40 | (r.nextInt(4) == 0 ? 0x10 : 0) | (ext ? 0 : (int) (lba >>> 24) & 0xF));
        int cmd = ext ? (write ? AtaCommand.WRITE_DMA_EXT : AtaCommand.READ_DMA_EXT)
                : (write ? AtaCommand.WRITE_DMA : AtaCommand.READ_DMA);
        rig.ports.write(base + 7, 1, cmd);
        rig.ports.write(bm, 1, rig.ports.read(bm, 1) | BusMasterChannel.CMD_START);
        int st = rig.ports.read(bm + 2, 1);
        if ((st & BusMasterChannel.ST_INTERRUPT) != 0) {
            if ((st & BusMasterChannel.ST_ERROR) != 0) {
                dmaErrors++;
            } else {
                dmaDone++;
            }
        }
        rig.ports.read(base + 7, 1);
        rig.ports.write(bm, 1, 0);
        rig.ports.write(bm + 2, 1, rig.ports.read(bm + 2, 1));
    }

    private static void assertIdentifies(IdeRig rig, int dev, int channel) {
        rig.select(dev);
        rig.status();
        rig.outb(7, AtaCommand.IDENTIFY_DEVICE);
        assertEquals(0x58, rig.status(), "seed run: IDENTIFY on channel " + channel + " device " + dev);
        byte[] id = rig.readBlock(512);
        int sum = 0;
        for (byte b : id) {
            sum += b;
        }
        assertEquals(0, sum & 0xFF);
        assertEquals(0x50, rig.status());
    }

    private static void command(IdeRig rig, Random r) {
        IdeRig c = rig;
        int base = r.nextBoolean() ? 0x1F0 : 0x170;
        for (int reg = 1; reg <= 5; reg++) {
            if (r.nextInt(3) != 0) {
                c.ports.write(base + reg, 1, r.nextInt(4) == 0 ? 0 : r.nextInt(256));
                c.ports.write(base + reg, 1, r.nextInt(3) == 0 ? 0 : r.nextInt(256));
            }
        }
        c.ports.write(base + 6, 1, r.nextInt(256));
        c.ports.write(base + 7, 1, r.nextInt(5) == 0 ? r.nextInt(256) : COMMANDS[r.nextInt(COMMANDS.length)]);
        if (r.nextInt(3) == 0) {
            c.ports.write(c.bmBase + (base == 0x1F0 ? 0 : 8), 1, r.nextInt(16));
        }
    }

    /** PRD tables built to hurt: no EOT, 64 KiB or 2-byte regions, addresses past RAM, self-overwriting. */
    private static void randomPrdTable(IdeRig rig, Random r, int bm) {
        long table = r.nextInt(RAM / 8) * 8L;
        if (r.nextInt(8) == 0) {
            table = RAM - 8L * r.nextInt(4); // runs off the end of RAM
        }
        int entries = 1 + r.nextInt(64);
        for (int i = 0; i < entries; i++) {
            long at = table + 8L * i;
            if (at + 8 > RAM) {
                break;
            }
            long address = switch (r.nextInt(6)) {
                case 0 -> RAM - r.nextInt(1024);
                case 1 -> r.nextLong() & 0xFFFF_FFFFL;
                case 2 -> table; // the transfer overwrites its own table
                default -> r.nextInt(RAM);
            };
            int count = switch (r.nextInt(4)) {
                case 0 -> 0;
                case 1 -> 2;
                default -> r.nextInt(0x10000);
            };
            rig.ram.prd(table, i, address, count, r.nextInt(6) == 0);
        }
        rig.ports.write(bm + 4, 4, (int) (r.nextInt(5) == 0 ? r.nextLong() : table));
    }
}
