package dev.jvisor.vmm;

import dev.jvisor.cpu.CpuFault;
import dev.jvisor.cpu.CpuModel;
import dev.jvisor.cpu.Vcpu;

/**
 * The KVM para-virtual interface that Linux already has built in (Documentation/virt/kvm/x86:
 * cpuid.rst, msr.rst, hypercalls.rst), exposed with --pv:
 * CPUID.1:ECX[31] (hypervisor present), the "KVMKVMKVM" signature leaf 0x40000000 and the feature
 * leaf 0x40000001 (CLOCKSOURCE, NOP_IO_DELAY, CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT, and PV_EOI with the local
 * APIC, whose CPUID bits it then sets too), optionally the
 * invariant-TSC bit of leaf 0x80000007 (the extended range then reaches that leaf; 0x80000005/6 are zero), kvmclock
 * through MSR_KVM_WALL_CLOCK(_NEW) and MSR_KVM_SYSTEM_TIME(_NEW) with the pvclock structures, and
 * hypercalls by VMCALL (nr in EAX, arguments in EBX, ECX, EDX, ESI, result in EAX).
 */
public final class KvmParavirt implements Vm.Paravirt {
    public static final int SIGNATURE_LEAF = 0x40000000, FEATURES_LEAF = 0x40000001;
    public static final int FEATURE_CLOCKSOURCE = 1, FEATURE_NOP_IO_DELAY = 1 << 1, FEATURE_CLOCKSOURCE2 = 1 << 3,
            FEATURE_PV_EOI = 1 << 6, FEATURE_CLOCKSOURCE_STABLE_BIT = 1 << 24;
    /** CPUID.1:EDX[9] on-chip APIC, CPUID.1:ECX[24] TSC-deadline timer (SDM Vol. 2A, Table 3-10/3-11). */
    public static final int CPUID1_EDX_APIC = 1 << 9, CPUID1_ECX_TSC_DEADLINE = 1 << 24;
    public static final int MSR_WALL_CLOCK = 0x11, MSR_SYSTEM_TIME = 0x12,
            MSR_WALL_CLOCK_NEW = 0x4b564d00, MSR_SYSTEM_TIME_NEW = 0x4b564d01;
    /** Hypercall numbers (include/uapi/linux/kvm_para.h) and error codes. */
    public static final int HC_VAPIC_POLL_IRQ = 1, HC_KICK_CPU = 5, KVM_ENOSYS = 1000;
    /** pvclock_vcpu_time_info.flags bit 0: the TSC is stable across vCPUs (pvclock-abi.h). */
    static final int PVCLOCK_TSC_STABLE_BIT = 1;

    /** CPUID.80000007H:EDX[8]: the TSC runs at a constant rate in every state (Linux: CONSTANT_TSC, NONSTOP_TSC). */
    public static final int INVARIANT_TSC_BIT = 1 << 8;
    static final int POWER_LEAF = 0x80000007;

    private final Vm vm;
    private final boolean invariantTsc;
    private final boolean localApic;
    private final long wallClockAtBootNanos;
    private long wallClockMsr;
    private long systemTimeMsr;
    private long hypercalls;

    public KvmParavirt(Vm vm) {
        this(vm, false);
    }

    /**
     * @param invariantTsc also advertise the invariant TSC (CPUID 0x80000007, QEMU's {@code +invtsc}): true of
     *     our TSC, which counts virtual nanoseconds at a constant rate and keeps counting through HLT. Linux then
     *     rates kvm-clock below the TSC (kvmclock.c: 299) and takes the TSC as its clocksource, which 32-bit
     *     guests can read in the vDSO (kvm-clock's vDSO mode exists only on 64-bit), while kvm-clock still gives
     *     it sched_clock, the TSC frequency (no calibration) and the wall clock.
     */
    public KvmParavirt(Vm vm, boolean invariantTsc) {
        this(vm, invariantTsc, false);
    }

    /**
     * @param localApic the machine has a local APIC (devices.apic.LocalApic) with the TSC-deadline timer and PV
     *     EOI: CPUID leaf 1 then shows the APIC (initial APIC ID 0 in EBX[31:24]) and TSC-deadline, and the KVM
     *     feature leaf PV_EOI (its MSR is the APIC's).
     */
    public KvmParavirt(Vm vm, boolean invariantTsc, boolean localApic) {
        this.vm = vm;
        this.invariantTsc = invariantTsc;
        this.localApic = localApic;
        this.wallClockAtBootNanos = System.currentTimeMillis() * 1_000_000L;
    }

    public long hypercalls() {
        return hypercalls;
    }

    @Override
    public int[] cpuid(int leaf, int subleaf) {
        if (leaf == 1) {
            int[] r = CpuModel.cpuid(1, subleaf);
            r[2] |= 1 << 31; // hypervisor present
            if (localApic) {
                r[3] |= CPUID1_EDX_APIC;
                r[2] |= CPUID1_ECX_TSC_DEADLINE;
                r[1] &= 0x00ffffff; // initial APIC ID 0
            }
            return r;
        }
        if (invariantTsc && leaf == 0x80000000) {
            int[] r = CpuModel.cpuid(leaf, subleaf);
            r[0] = POWER_LEAF;
            return r;
        }
        if (invariantTsc && (leaf == 0x80000005 || leaf == 0x80000006)) {
            return new int[4];
        }
        if (invariantTsc && leaf == POWER_LEAF) {
            return new int[] {0, 0, 0, INVARIANT_TSC_BIT};
        }
        if (leaf == SIGNATURE_LEAF) {
            return new int[] {FEATURES_LEAF, 0x4b4d564b, 0x564b4d56, 0x4d}; // "KVMKVMKVM\0\0\0"
        }
        if (leaf == FEATURES_LEAF) {
            return new int[] {FEATURE_CLOCKSOURCE | FEATURE_NOP_IO_DELAY | FEATURE_CLOCKSOURCE2
                    | (localApic ? FEATURE_PV_EOI : 0) | FEATURE_CLOCKSOURCE_STABLE_BIT, 0, 0, 0};
        }
        return null;
    }

    @Override
    public boolean handlesMsr(int msr) {
        return msr == MSR_WALL_CLOCK || msr == MSR_SYSTEM_TIME || msr == MSR_WALL_CLOCK_NEW || msr == MSR_SYSTEM_TIME_NEW;
    }

    @Override
    public long rdmsr(int msr) {
        return msr == MSR_WALL_CLOCK || msr == MSR_WALL_CLOCK_NEW ? wallClockMsr : systemTimeMsr;
    }

    @Override
    public boolean wrmsr(int msr, long value) {
        if (msr == MSR_WALL_CLOCK || msr == MSR_WALL_CLOCK_NEW) {
            wallClockMsr = value;
            writeWallClock(value & 0xffffffffL);
        } else {
            systemTimeMsr = value;
            if ((value & 1) != 0) {
                writeSystemTime((value & 0xffffffffL) & ~1L);
            }
        }
        return true; // any value: a bad address is ignored, as KVM does
    }

    /** struct pvclock_wall_clock { u32 version; u32 sec; u32 nsec; }: the wall time at virtual time 0. */
    private void writeWallClock(long gpa) {
        GuestRam ram = vm.ram();
        if (!ram.isRam(gpa, 12)) {
            return; // a bad address is ignored, as KVM does for unmapped guest memory
        }
        int version = ram.read32(gpa);
        long boot = wallClockAtBootNanos;
        ram.write32(gpa, version + 1 | 1);
        ram.write32(gpa + 4, (int) (boot / 1_000_000_000L));
        ram.write32(gpa + 8, (int) (boot % 1_000_000_000L));
        ram.write32(gpa, (version + 2) & ~1);
    }

    /**
     * struct pvclock_vcpu_time_info { u32 version; u32 pad0; u64 tsc_timestamp; u64 system_time;
     * u32 tsc_to_system_mul; s8 tsc_shift; u8 flags; u8 pad[2]; }. Our TSC counts virtual
     * nanoseconds, so the scale is 1: shift 1 and multiplier 2^31 ((delta << 1) * 2^31 >> 32 = delta).
     */
    private void writeSystemTime(long gpa) {
        GuestRam ram = vm.ram();
        if (!ram.isRam(gpa, 32)) {
            return;
        }
        Vcpu v = vm.vcpu();
        int version = ram.read32(gpa);
        ram.write32(gpa, version + 1 | 1); // odd while updating
        long tsc = v.readTsc();
        ram.write64(gpa + 8, tsc);
        ram.write64(gpa + 16, vm.clock().nanos());
        ram.write32(gpa + 24, 0x80000000);
        ram.write8(gpa + 28, 1);
        ram.write8(gpa + 29, PVCLOCK_TSC_STABLE_BIT);
        ram.write32(gpa, (version + 2) & ~1);
    }

    @Override
    public void hypercall(Vcpu v) {
        hypercalls++;
        int nr = v.reg[Vcpu.EAX];
        v.reg[Vcpu.EAX] = switch (nr) {
            case HC_VAPIC_POLL_IRQ, HC_KICK_CPU -> 0; // one vCPU: nothing to poll or kick
            default -> -KVM_ENOSYS;
        };
    }

}
