package dev.jvisor.devices.ide;

/**
 * The 512-byte IDENTIFY DEVICE response (ATA/ATAPI-6 8.15, table 20): a fixed, non-removable
 * ATA-6 disk with LBA and LBA48, PIO 0-4, multiword DMA 0-2 and Ultra DMA 0-5, write cache and
 * FLUSH CACHE (EXT), READ/WRITE MULTIPLE up to {@link AtaDrive#MAX_MULTIPLE} sectors.
 */
final class IdentifyData {
    static final String MODEL = "JVISOR HARDDISK";
    static final String FIRMWARE = "1.0";

    private IdentifyData() { }

    static byte[] build(AtaDrive d) {
        int[] w = new int[256];
        long n = d.sectors();
        w[0] = 0x0040; // bit 6: fixed device; bit 15 clear: ATA
        w[1] = d.defaultCylinders();
        w[2] = 0xC837; // specific configuration: no spin-up needed, IDENTIFY complete
        w[3] = AtaDrive.DEFAULT_HEADS;
        w[6] = AtaDrive.DEFAULT_SECTORS_PER_TRACK;
        string(w, 10, 20, d.serial);
        string(w, 23, 8, FIRMWARE);
        string(w, 27, 40, MODEL);
        w[47] = 0x8000 | AtaDrive.MAX_MULTIPLE;
        w[49] = 1 << 11 | 1 << 10 | 1 << 9 | 1 << 8; // IORDY, IORDY may be disabled, LBA, DMA
        w[50] = 0x4000;
        w[51] = 0x0200; // obsolete PIO timing: mode 2
        w[53] = 0x0007; // words 54-58, 64-70 and 88 valid
        int cylinders = d.currentCylinders();
        long chsCapacity = Math.min(n, (long) cylinders * d.heads * d.sectorsPerTrack);
        w[54] = cylinders;
        w[55] = d.heads;
        w[56] = d.sectorsPerTrack;
        w[57] = (int) (chsCapacity & 0xFFFF);
        w[58] = (int) (chsCapacity >>> 16 & 0xFFFF);
        w[59] = 0x0100 | d.multipleCount; // bit 8: multiple setting valid
        long lba28 = Math.min(n, 0x0FFF_FFFFL);
        w[60] = (int) (lba28 & 0xFFFF);
        w[61] = (int) (lba28 >>> 16);
        w[63] = 0x0007 | (d.mwdmaMode >= 0 ? 0x0100 << d.mwdmaMode : 0);
        w[64] = 0x0003; // PIO modes 3 and 4
        w[65] = 120; // minimum MWDMA cycle time, ns
        w[66] = 120; // recommended MWDMA cycle time
        w[67] = 120; // minimum PIO cycle time without flow control
        w[68] = 120; // minimum PIO cycle time with IORDY
        w[80] = 0x007E; // major version: ATA-1 to ATA/ATAPI-6
        w[82] = 1 << 5; // write cache supported
        w[83] = 0x4000 | 1 << 13 | 1 << 12 | 1 << 10; // FLUSH CACHE EXT, FLUSH CACHE, 48-bit address
        w[84] = 0x4000;
        w[85] = d.writeCache ? 1 << 5 : 0;
        w[86] = 1 << 13 | 1 << 12 | 1 << 10;
        w[87] = 0x4000;
        w[88] = 0x003F | (d.udmaMode >= 0 ? 0x0100 << d.udmaMode : 0);
        w[93] = d.master ? 0x400B : 0x4300; // hardware reset result: jumper-selected, diagnostics passed
        w[100] = (int) (n & 0xFFFF);
        w[101] = (int) (n >>> 16 & 0xFFFF);
        w[102] = (int) (n >>> 32 & 0xFFFF);
        w[103] = (int) (n >>> 48 & 0xFFFF);
        byte[] out = new byte[512];
        for (int i = 0; i < 255; i++) {
            out[2 * i] = (byte) w[i];
            out[2 * i + 1] = (byte) (w[i] >>> 8);
        }
        // Word 255 (8.15.62): signature A5h, then the byte that makes all 512 bytes sum to 0.
        out[510] = (byte) 0xA5;
        int sum = 0;
        for (int i = 0; i < 511; i++) {
            sum += out[i] & 0xFF;
        }
        out[511] = (byte) -sum;
        return out;
    }

    /** ATA string: space-padded, two characters per word, the first in the high byte (8.15.10). */
    private static void string(int[] w, int word, int chars, String s) {
        for (int i = 0; i < chars; i += 2) {
            int hi = i < s.length() ? s.charAt(i) & 0x7F : ' ';
            int lo = i + 1 < s.length() ? s.charAt(i + 1) & 0x7F : ' ';
            w[word + i / 2] = hi << 8 | lo;
        }
    }
}
