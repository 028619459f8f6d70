package dev.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.cpu.CpuModel;
import org.junit.jupiter.api.Test;

/** The CPUID leaves of the KVM interface, with and without the invariant TSC (--invtsc). */
class KvmParavirtTest {
    private final Vm vm = new Vm(4 << 20, true);

    @Test
    void kvmSignatureAndFeatures() {
        KvmParavirt pv = new KvmParavirt(vm);
        assertTrue((pv.cpuid(1, 0)[2] & 1 << 31) != 0, "hypervisor bit");
        int[] sig = pv.cpuid(KvmParavirt.SIGNATURE_LEAF, 0);
        assertEquals(KvmParavirt.FEATURES_LEAF, sig[0]);
        assertArrayEquals(new int[] {0x4b4d564b, 0x564b4d56, 0x4d}, new int[] {sig[1], sig[2], sig[3]}, "KVMKVMKVM");
        int features = pv.cpuid(KvmParavirt.FEATURES_LEAF, 0)[0];
        assertTrue((features & KvmParavirt.FEATURE_NOP_IO_DELAY) != 0, "no port 0x80 delays");
        assertTrue((features & KvmParavirt.FEATURE_CLOCKSOURCE2) != 0);
    }

    @Test
    void withoutInvtscTheExtendedLeavesAreThePlainCpus() {
        KvmParavirt pv = new KvmParavirt(vm, false);
        assertNull(pv.cpuid(0x80000000, 0), "the CPU model answers");
        assertNull(pv.cpuid(0x80000007, 0));
        assertEquals(0x80000004, CpuModel.cpuid(0x80000000, 0)[0]);
    }

    @Test
    void invtscReachesLeaf80000007WithBit8() {
        KvmParavirt pv = new KvmParavirt(vm, true);
        int[] max = pv.cpuid(0x80000000, 0);
        assertEquals(0x80000007, max[0]);
        assertArrayEquals(new int[] {0, 0, 0, KvmParavirt.INVARIANT_TSC_BIT}, pv.cpuid(0x80000007, 0));
        assertArrayEquals(new int[4], pv.cpuid(0x80000005, 0), "no cache leaves to invent");
        assertArrayEquals(new int[4], pv.cpuid(0x80000006, 0));
        assertNull(pv.cpuid(0x80000002, 0), "the brand string stays the CPU model's");
        assertNull(pv.cpuid(0x80000001, 0));
    }

    @Test
    void localApicAddsApicTscDeadlineAndPvEoi() {
        int[] plain = new KvmParavirt(vm, false).cpuid(1, 0);
        assertEquals(0, plain[3] & KvmParavirt.CPUID1_EDX_APIC, "no APIC without one");
        assertEquals(0, plain[2] & KvmParavirt.CPUID1_ECX_TSC_DEADLINE);
        assertEquals(0, new KvmParavirt(vm, false).cpuid(KvmParavirt.FEATURES_LEAF, 0)[0] & KvmParavirt.FEATURE_PV_EOI);
        KvmParavirt pv = new KvmParavirt(vm, false, true);
        int[] leaf1 = pv.cpuid(1, 0);
        assertTrue((leaf1[3] & KvmParavirt.CPUID1_EDX_APIC) != 0);
        assertTrue((leaf1[2] & KvmParavirt.CPUID1_ECX_TSC_DEADLINE) != 0);
        assertEquals(0, leaf1[1] >>> 24, "initial APIC ID 0");
        assertTrue((pv.cpuid(KvmParavirt.FEATURES_LEAF, 0)[0] & KvmParavirt.FEATURE_PV_EOI) != 0);
    }
}
