package dev.jvisor.machine;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Everything that defines a machine, validated before anything is built.
 *
 * @param kernel    kernel image (bzImage, ELF vmlinux or multiboot ELF); null = the default Debian guest
 * @param initrd    initrd file (Linux) or multiboot modules "file args,file2" (QEMU syntax); null for none
 * @param append    kernel command line; null = the default for the guest
 * @param memBytes  guest RAM
 * @param icount    deterministic virtual time (one instruction = one nanosecond)
 * @param serial    where COM1 goes: "stdio", "none" or "file:PATH"
 * @param pv        expose the KVM para-virtual interface and the virtio console and rng
 * @param drives    disks (--drive), IDE or virtio-blk
 * @param guestDecompress a bzImage runs its own decompressor in the guest instead of being unpacked on the host
 * @param rtcBase   the RTC's date and time at power-on (UTC); null = the host's clock. With {@code icount}
 *                  a fixed base makes a run repeat exactly (QEMU: {@code -rtc base=...,clock=vm})
 * @param invariantTsc with {@code pv}: advertise the invariant TSC (CPUID 0x80000007, QEMU's {@code +invtsc})
 */
public record MachineConfig(Path kernel, String initrd, String append, long memBytes, boolean icount, String serial,
        boolean pv, List<DriveSpec> drives, boolean guestDecompress, LocalDateTime rtcBase, boolean invariantTsc) {

    public MachineConfig(Path kernel, String initrd, String append, long memBytes, boolean icount, String serial,
            boolean pv, List<DriveSpec> drives, boolean guestDecompress, LocalDateTime rtcBase) {
        this(kernel, initrd, append, memBytes, icount, serial, pv, drives, guestDecompress, rtcBase, false);
    }

    public MachineConfig(Path kernel, String initrd, String append, long memBytes, boolean icount, String serial,
            boolean pv, List<DriveSpec> drives) {
        this(kernel, initrd, append, memBytes, icount, serial, pv, drives, false, null);
    }

    public MachineConfig(Path kernel, String initrd, String append, long memBytes, boolean icount, String serial,
            boolean pv) {
        this(kernel, initrd, append, memBytes, icount, serial, pv, List.of());
    }

    public static final long MIN_MEM = 2L << 20;
    public static final long MAX_MEM = 2047L << 20;

    public MachineConfig {
        if (memBytes < MIN_MEM || memBytes > MAX_MEM) {
            throw new IllegalArgumentException("memory size " + (memBytes >> 20) + " MiB is out of range (2 MiB to 2047 MiB)");
        }
        if ((memBytes & 0xfff) != 0) {
            throw new IllegalArgumentException("memory size " + memBytes + " bytes is not a whole number of 4 KiB pages");
        }
        if (!serial.equals("stdio") && !serial.equals("none") && !serial.startsWith("file:")) {
            throw new IllegalArgumentException("--serial must be stdio, none or file:PATH, not '" + serial + "'");
        }
        if (invariantTsc && !pv) {
            throw new IllegalArgumentException("--invtsc is part of the para-virtual CPU: it needs --pv");
        }
    }
}
