package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;
import java.nio.charset.StandardCharsets;

/**
 * An Intel MultiProcessor Specification 1.4 table (chapter 4) describing one processor with a local
 * APIC and no I/O APIC: the local APIC's interrupt inputs are a virtual wire (LINT0 ExtINT from the
 * 8259A, LINT1 NMI). Linux needs it to run the local APIC timer: without an MP table or an ACPI
 * MADT it selects APIC_VIRTUAL_WIRE_NO_CONFIG, and its SMP kernel then never sets up the per-CPU
 * clockevent (smpboot.c native_smp_prepare_cpus). Firecracker writes such a table for the same
 * reason. Placed in the first KiB of the EBDA (0x9FC00, reserved in our e820 map), one of the
 * places the specification says to search (4.1).
 *
 * <p>Linux reports "BIOS bug, no explicit IRQ entries" for a table without I/O interrupt entries
 * and makes up ISA defaults for an I/O APIC it then does not use (it has none, and runs with
 * {@code noapic}).
 */
public final class MpTable {
    private MpTable() { }

    /** Where the floating pointer structure goes; the configuration table follows it. */
    public static final long ADDRESS = BootLayout.EBDA;
    static final int FLOATING_SIZE = 16, HEADER_SIZE = 44, PROCESSOR_SIZE = 20, BUS_SIZE = 8, LINT_SIZE = 8;
    static final int SPEC_REV = 4;

    /**
     * Writes the floating pointer and the configuration table.
     *
     * @param apicVersion the local APIC's version register low byte
     * @param cpuSignature CPUID.1:EAX
     * @param cpuFeatures CPUID.1:EDX
     */
    public static void write(GuestMemory memory, long localApicBase, int apicVersion, int cpuSignature, int cpuFeatures) {
        int length = HEADER_SIZE + PROCESSOR_SIZE + BUS_SIZE + 2 * LINT_SIZE;
        byte[] t = new byte[length];
        ascii(t, 0, "PCMP");
        put16(t, 4, length);
        t[6] = SPEC_REV;
        ascii(t, 8, "JVISOR  ");
        ascii(t, 16, "PC          ");
        put16(t, 34, 4); // entry count
        put32(t, 36, (int) localApicBase);
        int p = HEADER_SIZE;
        // processor entry (4.3.1): type 0, APIC ID 0, version, flags EN | BP
        t[p] = 0;
        t[p + 1] = 0;
        t[p + 2] = (byte) apicVersion;
        t[p + 3] = 3;
        put32(t, p + 4, cpuSignature);
        put32(t, p + 8, cpuFeatures);
        p += PROCESSOR_SIZE;
        // bus entry (4.3.2): bus 0 is ISA
        t[p] = 1;
        t[p + 1] = 0;
        ascii(t, p + 2, "ISA   ");
        p += BUS_SIZE;
        // local interrupt assignment entries (4.3.5): ExtINT to LINT0 and NMI to LINT1 of all local APICs
        p = lint(t, p, 3, 0);
        lint(t, p, 1, 1);
        t[7] = checksum(t, 0, length);

        byte[] f = new byte[FLOATING_SIZE];
        ascii(f, 0, "_MP_");
        put32(f, 4, (int) (ADDRESS + FLOATING_SIZE));
        f[8] = 1; // length in 16-byte units
        f[9] = SPEC_REV;
        // feature byte 1 = 0: the configuration table is present; byte 2 bit 7 = 0: virtual wire, no IMCR
        f[10] = checksum(f, 0, FLOATING_SIZE);

        memory.write(ADDRESS, f, 0, f.length);
        memory.write(ADDRESS + FLOATING_SIZE, t, 0, t.length);
    }

    private static int lint(byte[] t, int p, int interruptType, int lint) {
        t[p] = 4;
        t[p + 1] = (byte) interruptType; // 3 = ExtINT, 1 = NMI
        put16(t, p + 2, 0); // polarity and trigger: conforming to the bus
        t[p + 4] = 0; // source bus 0
        t[p + 5] = 0; // source bus IRQ
        t[p + 6] = (byte) 0xff; // every local APIC
        t[p + 7] = (byte) lint;
        return p + LINT_SIZE;
    }

    /** The byte that makes the sum of the bytes 0 (4.1, 4.2). */
    static byte checksum(byte[] b, int off, int len) {
        int sum = 0;
        for (int i = off; i < off + len; i++) {
            sum += b[i];
        }
        return (byte) -sum;
    }

    private static void ascii(byte[] b, int off, String s) {
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(a, 0, b, off, a.length);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    private static void put32(byte[] b, int off, int v) {
        put16(b, off, v);
        put16(b, off + 2, v >>> 16);
    }
}
