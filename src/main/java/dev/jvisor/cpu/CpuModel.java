package dev.jvisor.cpu;

/**
 * What this CPU is: its CPUID leaves and its model-specific registers (SDM Vol. 2A CPUID, Vol. 4).
 * A GenuineIntel family 6 processor that advertises exactly the features implemented here:
 * FPU, DE, PSE, TSC, MSR, CX8, SEP, PGE, CMOV, FXSR. No APIC, PAE, MTRR, MMX or SSE (the --pv machine adds a
 * local APIC as a device, and KvmParavirt its CPUID bits). LFENCE/MFENCE/SFENCE execute nevertheless (InsnSystem).
 */
public final class CpuModel {
    private CpuModel() { }

    /** Family 6, model 3, stepping 3 (a P6 with SYSENTER that Linux does not quirk away). */
    public static final int SIGNATURE = 0x633;

    public static final int FEAT_FPU = 1, FEAT_DE = 1 << 2, FEAT_PSE = 1 << 3, FEAT_TSC = 1 << 4, FEAT_MSR = 1 << 5,
            FEAT_CX8 = 1 << 8, FEAT_SEP = 1 << 11, FEAT_PGE = 1 << 13, FEAT_CMOV = 1 << 15, FEAT_FXSR = 1 << 24;

    public static final int FEATURES_EDX = FEAT_FPU | FEAT_DE | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_CX8 | FEAT_SEP
            | FEAT_PGE | FEAT_CMOV | FEAT_FXSR;

    private static final int MAX_BASIC = 2;
    private static final int MAX_EXTENDED = 0x80000004;
    private static final String BRAND = "jvisor virtual P6 CPU";

    /** The native CPUID result for leaf EAX (subleaf ECX) as {eax, ebx, ecx, edx}. */
    public static int[] cpuid(int leaf, int subleaf) {
        if (Integer.compareUnsigned(leaf, 0x80000000) >= 0) {
            if (Integer.compareUnsigned(leaf, MAX_EXTENDED) > 0) {
                leaf = MAX_BASIC; // Intel: out-of-range leaves return the highest basic leaf
            } else {
                return extended(leaf);
            }
        } else if (Integer.compareUnsigned(leaf, MAX_BASIC) > 0) {
            leaf = MAX_BASIC;
        }
        return switch (leaf) {
            case 0 -> new int[] {MAX_BASIC, 0x756e6547, 0x6c65746e, 0x49656e69}; // "GenuineIntel"
            case 1 -> new int[] {SIGNATURE, 0, 0, FEATURES_EDX};
            // leaf 2: cache and TLB descriptors of a P6 (instruction/data TLBs, 16 KiB L1s, 512 KiB L2)
            default -> new int[] {0x03020101, 0, 0, 0x0c040843};
        };
    }

    private static int[] extended(int leaf) {
        if (leaf == 0x80000000) {
            return new int[] {MAX_EXTENDED, 0, 0, 0};
        }
        if (leaf == 0x80000001) {
            return new int[] {0, 0, 0, 0};
        }
        byte[] b = new byte[48];
        byte[] s = BRAND.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, b, 0, s.length);
        int base = (leaf - 0x80000002) * 16;
        int[] r = new int[4];
        for (int i = 0; i < 4; i++) {
            int o = base + i * 4;
            r[i] = (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
        }
        return r;
    }

    public static final int MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_BIOS_SIGN_ID = 0x8b,
            MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176, MSR_MISC_ENABLE = 0x1a0;

    /** RDMSR of an architectural MSR; #GP(0) for any MSR this CPU does not have. */
    public static long rdmsr(Vcpu c, int msr) {
        return switch (msr) {
            case MSR_TSC -> c.readTsc();
            case MSR_PLATFORM_ID -> 0;
            case MSR_BIOS_SIGN_ID -> 0; // microcode revision 0 in bits 63:32
            case MSR_SYSENTER_CS -> c.sysenterCs & 0xffffffffL;
            case MSR_SYSENTER_ESP -> c.sysenterEsp & 0xffffffffL;
            case MSR_SYSENTER_EIP -> c.sysenterEip & 0xffffffffL;
            case MSR_MISC_ENABLE -> c.miscEnable;
            default -> throw CpuFault.gp(0);
        };
    }

    public static void wrmsr(Vcpu c, int msr, long v) {
        switch (msr) {
            case MSR_TSC -> c.tscOffset += v - c.readTsc();
            case MSR_BIOS_SIGN_ID -> { } // writing 0 before CPUID(1) is how software reads the revision
            case MSR_SYSENTER_CS -> c.sysenterCs = (int) v & 0xffff;
            case MSR_SYSENTER_ESP -> c.sysenterEsp = (int) v;
            case MSR_SYSENTER_EIP -> c.sysenterEip = (int) v;
            case MSR_MISC_ENABLE -> c.miscEnable = v & 1; // only fast-strings is implemented
            default -> throw CpuFault.gp(0);
        }
    }
}
