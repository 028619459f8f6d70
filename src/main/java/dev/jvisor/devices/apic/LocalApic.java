package dev.jvisor.devices.apic;

import dev.jvisor.bus.Clock;
import dev.jvisor.bus.GuestMemory;
import dev.jvisor.bus.MmioDevice;
import dev.jvisor.bus.MsrDevice;
import dev.jvisor.bus.Timed;
import java.util.function.LongSupplier;

/**
 * The local APIC of our one vCPU in xAPIC mode (SDM Vol. 3A chapter 11, "Advanced Programmable
 * Interrupt Controller"): the 4 KiB register page at IA32_APIC_BASE (0xFEE00000), the priority
 * logic over IRR/ISR/TMR, the timer ({@link ApicTimer}, with TSC-deadline mode), self-IPIs through
 * the ICR, and LINT0 as the 8259A's virtual wire. It is the hypervisor's interrupt controller:
 * {@link #hasInterrupt}/{@link #acknowledge} deliver APIC vectors by priority and the PIC's
 * vectors through LINT0 in ExtINT mode (those bypass IRR/ISR, 11.5.1). Optionally it offers KVM's
 * PV EOI ({@link PvEoi}).
 *
 * <p>What is modelled and what is not:
 * <ul>
 * <li>Reset state: as Firecracker leaves it for a BIOS-less boot, LINT0 = ExtINT and LINT1 = NMI,
 *     unmasked, so the PIC's interrupts reach the CPU before the guest programs the APIC; the rest
 *     is the power-up state of 11.4.7.1 (SVR 0xFF: software-disabled, other LVTs masked).</li>
 * <li>IA32_APIC_BASE (0x1B): BSP bit 8 is read-only 1; clearing the global enable (bit 11)
 *     hardware-disables the APIC (the PIC's INTR then goes straight to the CPU, the page reads
 *     0) and re-enabling starts from the reset state (11.4.3 says prior state may be lost). The
 *     base cannot move (KVM does not support relocation either): a write of another base is
 *     ignored, and the MSR keeps reading 0xFEE00000, where the page is. Reserved bits and x2APIC
 *     (bit 10, not offered) are #GP.</li>
 * <li>Only fixed-delivery self-IPIs arrive (shorthand self or all-including-self, or a destination
 *     that matches our physical ID, broadcast 0xFF, or our logical ID in the flat model). INIT,
 *     SIPI, NMI, SMI and IPIs to other APICs are dropped: there is one vCPU. The delivery status is
 *     always idle.</li>
 * <li>Vectors 0-15 are illegal: not delivered, ESR bit 6 (received) or 5 (sent), 11.5.3.</li>
 * <li>Every vector is edge-triggered (no I/O APIC sends level interrupts): TMR stays 0.</li>
 * <li>LVT thermal, performance counter, CMCI and error entries are stored; only the error entry
 *     ever fires (on an illegal vector). LINT1's NMI is not wired to anything.</li>
 * </ul>
 * Register accesses must be 32-bit and 16-byte aligned (11.4.1); any other access reads 0 and is
 * ignored when written. Called on the vCPU thread only (MMIO, MSR and timer exits, injection).
 */
public final class LocalApic implements MmioDevice, MsrDevice, Timed {
    public static final long DEFAULT_BASE = 0xFEE00000L;
    public static final int PAGE_SIZE = 0x1000;
    public static final int MSR_APIC_BASE = 0x1b, MSR_TSC_DEADLINE = 0x6e0, MSR_PV_EOI = PvEoi.MSR;
    static final long BASE_BSP = 1 << 8, BASE_X2APIC = 1 << 10, BASE_ENABLE = 1 << 11;
    /** Version 0x14 (integrated APIC), max LVT entry 5: six LVT entries (11.4.8). */
    public static final int VERSION = 0x00050014;

    // register offsets (Table 11-1)
    static final int ID = 0x20, LVR = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, LDR = 0xd0, DFR = 0xe0,
            SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280, LVT_CMCI = 0x2f0, ICR_LOW = 0x300,
            ICR_HIGH = 0x310, LVT_TIMER = 0x320, LVT_THERMAL = 0x330, LVT_PERF = 0x340, LVT_LINT0 = 0x350,
            LVT_LINT1 = 0x360, LVT_ERROR = 0x370, TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3e0;

    static final int LVT_MASKED = 1 << 16;
    static final int DM_FIXED = 0, DM_LOWEST = 1, DM_NMI = 4, DM_EXTINT = 7;
    static final int SVR_ENABLE = 1 << 8;
    /** ESR bits (11.5.3). */
    static final int ESR_SEND_ILLEGAL = 1 << 5, ESR_RECEIVE_ILLEGAL = 1 << 6;

    private final ExtIntSource pic;
    private final Clock clock;
    private final ApicTimer timer;
    private final PvEoi pvEoi;
    private final VectorSet irr = new VectorSet();
    private final VectorSet isr = new VectorSet();
    private final VectorSet tmr = new VectorSet();

    private long apicBase;
    private int id;
    private int tpr;
    private int ldr;
    private int dfr;
    private int svr;
    private int esr;
    private int esrPending;
    private int icrLow;
    private int icrHigh;
    private int lvtCmci;
    private int lvtThermal;
    private int lvtPerf;
    private int lvtLint0;
    private int lvtLint1;
    private int lvtError;
    /** The vector injected last, until the next EOI (KVM's highest_isr_cache): PV EOI may skip its EOI. */
    private int lastInjected = -1;
    private long eoiWrites;

    /**
     * @param pic the 8259A pair behind LINT0
     * @param clock the VM's virtual clock
     * @param tsc the guest's TSC (the virtual clock plus the vCPU's offset)
     * @param memory guest RAM for PV EOI's flag, or null if PV EOI is not offered
     */
    public LocalApic(ExtIntSource pic, Clock clock, LongSupplier tsc, GuestMemory memory) {
        this.pic = pic;
        this.clock = clock;
        this.timer = new ApicTimer(clock, tsc);
        this.pvEoi = memory == null ? null : new PvEoi(memory);
        apicBase = DEFAULT_BASE | BASE_BSP | BASE_ENABLE;
        reset();
    }

    /** The register state of 11.4.7.1, with LINT0/LINT1 wired as virtual wire (see the class comment). */
    private void reset() {
        irr.clearAll();
        isr.clearAll();
        tmr.clearAll();
        id = 0;
        tpr = 0;
        ldr = 0;
        dfr = 0xffffffff;
        svr = 0xff;
        esr = 0;
        esrPending = 0;
        icrLow = 0;
        icrHigh = 0;
        lvtCmci = LVT_MASKED;
        lvtThermal = LVT_MASKED;
        lvtPerf = LVT_MASKED;
        lvtLint0 = DM_EXTINT << 8;
        lvtLint1 = DM_NMI << 8;
        lvtError = LVT_MASKED;
        timer.reset();
        lastInjected = -1;
        if (pvEoi != null) {
            pvEoi.reset();
        }
    }

    private boolean hardwareEnabled() {
        return (apicBase & BASE_ENABLE) != 0;
    }

    private boolean softwareEnabled() {
        return (svr & SVR_ENABLE) != 0;
    }

    // =====================================================================================
    // The interrupt controller seam
    // =====================================================================================

    /** True if an interrupt is waiting for the CPU: a PIC interrupt through ExtINT, or an APIC vector above the PPR. */
    public boolean hasInterrupt() {
        if (!hardwareEnabled()) {
            return pic.hasInterrupt();
        }
        syncFromGuest();
        boolean r = extIntOpen() && pic.hasInterrupt() || deliverable() >= 0;
        syncToGuest();
        return r;
    }

    /**
     * The INTA cycle. ExtINT first, as KVM's kvm_cpu_get_interrupt does; else the highest IRR
     * vector above the PPR moves to ISR (11.8.4); with nothing left, the spurious vector (11.9).
     */
    public int acknowledge() {
        if (!hardwareEnabled()) {
            return pic.acknowledge();
        }
        syncFromGuest();
        int vector;
        if (extIntOpen() && pic.hasInterrupt()) {
            vector = pic.acknowledge();
        } else {
            vector = deliverable();
            if (vector >= 0) {
                irr.clear(vector);
                isr.set(vector);
                lastInjected = vector;
            } else {
                vector = svr & 0xff;
            }
        }
        syncToGuest();
        return vector;
    }

    /** LINT0 passes the PIC's INTR: unmasked, ExtINT delivery mode (KVM's kvm_apic_accept_pic_intr). */
    private boolean extIntOpen() {
        return (lvtLint0 & LVT_MASKED) == 0 && (lvtLint0 >>> 8 & 7) == DM_EXTINT;
    }

    /** The highest IRR vector whose priority class is above the PPR's, or -1 (11.8.3.1). */
    private int deliverable() {
        int v = irr.highest();
        return v >= 0 && (v & 0xf0) > (ppr() & 0xf0) ? v : -1;
    }

    /** PPR: the TPR if its class is at least the highest in-service class, else that class (11.8.3.1). */
    private int ppr() {
        int isrv = Math.max(isr.highest(), 0);
        return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr & 0xff : isrv & 0xf0;
    }

    /** An interrupt arrives for this APIC: fixed delivery of {@code vector} into IRR. */
    private void accept(int vector) {
        if (vector < 16) {
            error(ESR_RECEIVE_ILLEGAL);
            return;
        }
        if (!softwareEnabled()) {
            return; // a software-disabled APIC drops fixed interrupts (KVM __apic_accept_irq)
        }
        irr.set(vector);
    }

    /** Records an error and raises the LVT error interrupt if it is unmasked (11.5.3). */
    private void error(int bit) {
        boolean first = (esrPending & bit) == 0;
        esrPending |= bit;
        int vector = lvtError & 0xff;
        if (first && (lvtError & LVT_MASKED) == 0 && vector >= 16 && softwareEnabled()) {
            irr.set(vector);
        }
    }

    /** EOI: the highest in-service vector leaves ISR (11.8.5). */
    private void eoi() {
        int v = isr.highest();
        if (v >= 0) {
            isr.clear(v);
        }
        lastInjected = -1;
    }

    // ---- PV EOI: KVM's apic_sync_pv_eoi_from_guest / _to_guest around every look at the APIC ----

    private void syncFromGuest() {
        if (pvEoi != null && pvEoi.syncFromGuest()) {
            eoi();
        }
    }

    /** The guest may skip the EOI of the last injected vector if nothing else is pending (KVM's conditions). */
    private void syncToGuest() {
        if (pvEoi != null && pvEoi.enabled() && irr.isEmpty() && lastInjected >= 0 && !tmr.contains(lastInjected)
                && hardwareEnabled()) {
            pvEoi.syncToGuest();
        }
    }

    // =====================================================================================
    // Timed
    // =====================================================================================

    @Override
    public void advanceTo(long nowNanos) {
        syncFromGuest();
        if (timer.expire(nowNanos) && !timer.masked() && hardwareEnabled()) {
            accept(timer.vector());
        }
        syncToGuest();
    }

    @Override
    public long nextDeadline() {
        return timer.nextDeadline();
    }

    // =====================================================================================
    // MSRs
    // =====================================================================================

    @Override
    public boolean handlesMsr(int msr) {
        return msr == MSR_APIC_BASE || msr == MSR_TSC_DEADLINE || msr == MSR_PV_EOI && pvEoi != null;
    }

    @Override
    public long rdmsr(int msr) {
        return switch (msr) {
            case MSR_APIC_BASE -> apicBase;
            case MSR_TSC_DEADLINE -> hardwareEnabled() ? timer.readTscDeadline() : 0;
            case MSR_PV_EOI -> pvEoi == null ? 0 : pvEoi.msr();
            default -> 0;
        };
    }

    @Override
    public boolean wrmsr(int msr, long value) {
        syncFromGuest();
        boolean ok = switch (msr) {
            case MSR_APIC_BASE -> writeApicBase(value);
            case MSR_TSC_DEADLINE -> {
                if (hardwareEnabled()) {
                    timer.writeTscDeadline(value);
                }
                yield true;
            }
            case MSR_PV_EOI -> pvEoi != null && pvEoi.write(value);
            default -> false;
        };
        syncToGuest();
        return ok;
    }

    private boolean writeApicBase(long value) {
        // MAXPHYADDR 32: bits 63:32, 9:0 but BSP (8) are reserved; x2APIC (10) is not offered
        if ((value & ~(0xfffff000L | BASE_ENABLE | BASE_BSP)) != 0) {
            return false;
        }
        boolean wasEnabled = hardwareEnabled();
        apicBase = DEFAULT_BASE | BASE_BSP | value & BASE_ENABLE; // the page does not move: the MSR says where it is
        if (wasEnabled != hardwareEnabled()) {
            reset(); // disabling may lose the state (11.4.3); coming back starts from reset
        }
        return true;
    }

    // =====================================================================================
    // MMIO
    // =====================================================================================

    @Override
    public long mmioRead(long offset, int size) {
        if (size != 4 || (offset & 0xf) != 0 || offset < 0 || offset >= PAGE_SIZE || !hardwareEnabled()) {
            return 0;
        }
        syncFromGuest();
        int value = readRegister((int) offset);
        syncToGuest();
        return value & 0xffffffffL;
    }

    @Override
    public void mmioWrite(long offset, int size, long value) {
        if (size != 4 || (offset & 0xf) != 0 || offset < 0 || offset >= PAGE_SIZE || !hardwareEnabled()) {
            return;
        }
        syncFromGuest();
        writeRegister((int) offset, (int) value);
        syncToGuest();
    }

    int readRegister(int offset) {
        if (offset >= ISR && offset < ISR + 0x80) {
            return isr.word((offset - ISR) >> 4);
        }
        if (offset >= TMR && offset < TMR + 0x80) {
            return tmr.word((offset - TMR) >> 4);
        }
        if (offset >= IRR && offset < IRR + 0x80) {
            return irr.word((offset - IRR) >> 4);
        }
        return switch (offset) {
            case ID -> id;
            case LVR -> VERSION;
            case TPR -> tpr;
            case PPR -> ppr();
            case LDR -> ldr;
            case DFR -> dfr;
            case SVR -> svr;
            case ESR -> esr;
            case LVT_CMCI -> lvtCmci;
            case ICR_LOW -> icrLow;
            case ICR_HIGH -> icrHigh;
            case LVT_TIMER -> timer.lvt();
            case LVT_THERMAL -> lvtThermal;
            case LVT_PERF -> lvtPerf;
            case LVT_LINT0 -> lvtLint0;
            case LVT_LINT1 -> lvtLint1;
            case LVT_ERROR -> lvtError;
            case TIMER_INITIAL -> timer.initialCount();
            case TIMER_CURRENT -> timer.currentCount(clockNow());
            case TIMER_DIVIDE -> timer.divideConfig();
            default -> 0; // APR (no bus arbitration), EOI (write-only) and reserved offsets
        };
    }

    void writeRegister(int offset, int value) {
        switch (offset) {
            case ID -> id = value & 0xff000000;
            case TPR -> tpr = value & 0xff;
            case EOI -> {
                eoiWrites++;
                eoi();
            }
            case LDR -> ldr = value & 0xff000000;
            case DFR -> dfr = value | 0x0fffffff;
            case SVR -> writeSvr(value);
            case ESR -> {
                esr = esrPending; // a write latches the errors since the last write (11.5.3)
                esrPending = 0;
            }
            case LVT_CMCI -> lvtCmci = lvt(value, 0x107ff);
            case ICR_LOW -> {
                icrLow = value & 0x000cdfff; // delivery status (bit 12) reads idle
                sendIpi();
            }
            case ICR_HIGH -> icrHigh = value & 0xff000000;
            case LVT_TIMER -> timer.writeLvt(softwareEnabled() ? value : value | LVT_MASKED);
            case LVT_THERMAL -> lvtThermal = lvt(value, 0x107ff);
            case LVT_PERF -> lvtPerf = lvt(value, 0x107ff);
            case LVT_LINT0 -> lvtLint0 = lvt(value, 0x1a7ff);
            case LVT_LINT1 -> lvtLint1 = lvt(value, 0x1a7ff);
            case LVT_ERROR -> lvtError = lvt(value, 0x100ff);
            case TIMER_INITIAL -> timer.writeInitialCount(value);
            case TIMER_DIVIDE -> timer.writeDivideConfig(value);
            default -> { } // read-only and reserved registers
        }
    }

    /** An LVT write: its writable bits; the mask stays set while the APIC is software-disabled (11.4.7.2). */
    private int lvt(int value, int writable) {
        int v = value & writable;
        return softwareEnabled() ? v : v | LVT_MASKED;
    }

    private void writeSvr(int value) {
        svr = value & 0x3ff;
        if (!softwareEnabled()) {
            // software disable sets every LVT mask bit (11.4.7.2); IRR/ISR are kept
            lvtCmci |= LVT_MASKED;
            lvtThermal |= LVT_MASKED;
            lvtPerf |= LVT_MASKED;
            lvtLint0 |= LVT_MASKED;
            lvtLint1 |= LVT_MASKED;
            lvtError |= LVT_MASKED;
            timer.mask();
        }
    }

    /** A write of ICR low sends the IPI (11.6.1); only what reaches this APIC has an effect. */
    private void sendIpi() {
        int vector = icrLow & 0xff;
        int mode = icrLow >>> 8 & 7;
        if (mode != DM_FIXED && mode != DM_LOWEST) {
            return; // INIT, SIPI, NMI, SMI: no other vCPU to start, no NMI path (class comment)
        }
        if (!ipiReachesSelf()) {
            return;
        }
        if (vector < 16) {
            error(ESR_SEND_ILLEGAL);
            return;
        }
        accept(vector);
    }

    private boolean ipiReachesSelf() {
        int shorthand = icrLow >>> 18 & 3;
        if (shorthand == 1 || shorthand == 2) {
            return true; // self, all including self
        }
        if (shorthand == 3) {
            return false; // all excluding self
        }
        int dest = icrHigh >>> 24;
        if ((icrLow & 1 << 11) == 0) {
            return dest == 0xff || dest == id >>> 24; // physical destination
        }
        if ((dfr >>> 28) == 0xf) {
            return (dest & ldr >>> 24) != 0; // logical, flat model
        }
        // logical, cluster model: cluster in the high nibble, members in the low one
        return (dest >>> 4 == 0xf || dest >>> 4 == ldr >>> 28) && (dest & ldr >>> 24 & 0xf) != 0;
    }

    private long clockNow() {
        return clock.nanos();
    }

    // ---- inspection for tests, stats and the monitor ----

    /** EOIs the guest wrote to the EOI register (each one an MMIO exit). */
    public long eoiWrites() {
        return eoiWrites;
    }

    /** EOIs the guest skipped through PV EOI. */
    public long pvEoisSkipped() {
        return pvEoi == null ? 0 : pvEoi.eoisSkipped();
    }

    /** Whether the guest enabled PV EOI. */
    public boolean pvEoiEnabled() {
        return pvEoi != null && pvEoi.enabled();
    }

    public int timerMode() {
        return timer.mode();
    }

    /** Whether the APIC is hardware- and software-enabled. */
    public boolean enabled() {
        return hardwareEnabled() && softwareEnabled();
    }
}
