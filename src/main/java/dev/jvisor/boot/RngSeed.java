package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;

/**
 * A random seed for a Linux guest: a setup_data entry of type SETUP_RNG_SEED (9) linked into the
 * zero page's setup_data list (boot.rst "setup_data", protocol 2.09 and later;
 * arch/x86/include/uapi/asm/bootparam.h). Linux mixes it into its input pool in setup_arch and,
 * with CONFIG_RANDOM_TRUST_BOOTLOADER (Debian's default; {@code random.trust_bootloader=off}
 * turns it off), credits it: {@link #SEED_BYTES} bytes are the 256 bits that make its CRNG ready
 * at once ("random: crng init done"). Without a seed, every early get_random_bytes() extracts
 * from the input pool again (blake2s): about a sixth of a boot's instructions. Modern PC
 * firmware offers RDRAND for this; a direct kernel boot has the loader pass a seed instead.
 */
public final class RngSeed {
    private RngSeed() {}

    /** setup_data type of an RNG seed. */
    public static final int SETUP_RNG_SEED = 9;
    /** Seed length: 256 bits, the input pool's "ready" level (POOL_READY_BITS). */
    public static final int SEED_BYTES = 32;
    /** Offset of the 64-bit setup_data list head in struct boot_params. */
    public static final int SETUP_DATA = 0x250;
    /** First boot protocol version with setup_data. */
    public static final int MIN_VERSION = 0x0209;

    private static final int HEADER = 16;

    /**
     * Links a seed into the Linux zero page that {@code entry} hands to the kernel (ESI), if there
     * is one and its kernel speaks protocol 2.09 or later; returns false (nothing written) otherwise,
     * e.g. for a multiboot kernel.
     */
    public static boolean attach(GuestMemory mem, BootEntry entry, byte[] seed) {
        if (seed.length != SEED_BYTES) {
            throw new IllegalArgumentException("RNG seed must be " + SEED_BYTES + " bytes");
        }
        long zp = entry.esi() & 0xffffffffL;
        if (zp != BootLayout.ZERO_PAGE
                || mem.read32(zp + 0x202) != SetupHeader.HDRS
                || mem.read16(zp + 0x206) < MIN_VERSION) {
            return false;
        }
        byte[] sd = new byte[HEADER + SEED_BYTES];
        LittleEndian.put64(sd, 0, mem.read64(zp + SETUP_DATA)); // next: whatever the list held
        LittleEndian.put32(sd, 8, SETUP_RNG_SEED);
        LittleEndian.put32(sd, 12, SEED_BYTES);
        System.arraycopy(seed, 0, sd, HEADER, SEED_BYTES);
        if (!mem.write(BootLayout.SETUP_DATA, sd, 0, sd.length)) {
            return false;
        }
        mem.write64(zp + SETUP_DATA, BootLayout.SETUP_DATA);
        return true;
    }
}
