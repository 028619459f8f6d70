package dev.jvisor.vmm;

import dev.jvisor.bus.MmioBus;
import dev.jvisor.bus.MsrDevice;
import dev.jvisor.bus.PortBus;
import dev.jvisor.bus.Timed;
import dev.jvisor.cpu.CpuFault;
import dev.jvisor.cpu.CpuModel;
import dev.jvisor.cpu.ExitHandler;
import dev.jvisor.cpu.ExitReason;
import dev.jvisor.cpu.Vcpu;
import dev.jvisor.cpu.VmExit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The hypervisor: owns guest RAM, the port and MMIO buses, the virtual clock and the vCPU, and
 * handles every VM exit (DESIGN.md section 2). Like KVM's userspace loop, {@link #run()} enters
 * the guest and comes back only when the VM stops; each exit is emulated here and counted in
 * {@link ExitStats}. Interrupts from the guest's interrupt controller are injected at VM entry
 * when the guest can take them, otherwise an interrupt window is requested.
 */
public final class Vm implements ExitHandler {
    /** Why {@link #run()} returned. */
    public enum StopReason { POWER_OFF, HALTED_WITH_INTERRUPTS_OFF, DEBUG_EXIT, TRIPLE_FAULT, RESET, TIMEOUT, HOST_REQUEST }

    private final GuestRam ram;
    private final PortBus ports = new PortBus();
    private final MmioBus mmio = new MmioBus();
    private final VirtualClock clock;
    private final Vcpu vcpu;
    private final ExitStats stats = new ExitStats();
    private final List<Timed> timed = new ArrayList<>();
    private InterruptController pic;
    private Paravirt paravirt;
    /** Devices behind MSRs, asked in order before the CPU model: the para-virtual interface, the local APIC. */
    private final List<MsrDevice> msrDevices = new ArrayList<>();
    private volatile Thread vcpuThread;
    private volatile StopReason stopReason;
    private volatile int exitStatus;
    private long nextDeadline = Long.MAX_VALUE;
    /** How often (in guest instructions) the hypervisor looks at host events while the guest is busy. */
    private static final long HOST_POLL_INSTRUCTIONS = 2_000_000;
    private Runnable idleHook = () -> { };
    private long deadlineNanos = Long.MAX_VALUE;

    public Vm(int ramBytes, boolean icount) {
        this.ram = new GuestRam(ramBytes);
        this.clock = new VirtualClock(icount);
        this.vcpu = new Vcpu(ram.segment(), GuestRam.VGA_HOLE_START, GuestRam.VGA_HOLE_END, this);
        clock.attach(vcpu);
        ram.setWriteWatcher(vcpu::invalidateCode); // DMA into code pages drops their decoded instructions
        vcpu.setTimeSource(v -> clock.nanos()); // the TSC runs at 1 GHz of virtual time
    }

    public GuestRam ram() { return ram; }
    public PortBus ports() { return ports; }
    public MmioBus mmio() { return mmio; }
    public VirtualClock clock() { return clock; }
    public Vcpu vcpu() { return vcpu; }
    public ExitStats stats() { return stats; }

    public void setInterruptController(InterruptController pic) {
        this.pic = pic;
    }

    public void addTimed(Timed t) {
        timed.add(t);
    }

    public void setParavirt(Paravirt pv) {
        if (paravirt != null) {
            msrDevices.remove(paravirt);
        }
        this.paravirt = pv;
        msrDevices.addFirst(pv);
    }

    /** A device behind MSRs (the local APIC): asked after the para-virtual interface, before the CPU model. */
    public void setMsrDevice(MsrDevice device) {
        msrDevices.add(device);
    }

    /** Called when the guest goes idle (HLT): the console flushes its output there. */
    public void setIdleHook(Runnable hook) {
        this.idleHook = hook;
    }

    /** The INTR line of the interrupt controller: wakes the vCPU for an EXTERNAL_INTERRUPT exit. Any thread. */
    public void interruptLine(boolean high) {
        if (high) {
            vcpu.kick();
            Thread t = vcpuThread;
            if (t != null && t != Thread.currentThread()) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Wakes a halted vCPU (console input arrived). Any thread. */
    public void wake() {
        vcpu.kick();
        Thread t = vcpuThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Ends the VM with a reason and exit status. Any thread. */
    public void stop(StopReason reason, int status) {
        if (stopReason == null) {
            stopReason = reason;
            exitStatus = status;
        }
        vcpu.requestStop();
        Thread t = vcpuThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    public StopReason stopReason() { return stopReason; }
    public int exitStatus() { return exitStatus; }

    /** Stops the VM after this much virtual... host wall time (--timeout). */
    public void setDeadline(long hostNanos) {
        this.deadlineNanos = hostNanos;
    }

    /** Runs the guest on the calling thread until it stops. */
    public StopReason run() {
        return runUntil(Long.MAX_VALUE);
    }

    /**
     * Runs the guest until it stops or exactly {@code icount} instructions have retired (then
     * returns null; call again to go on). The limit is one more preemption-timer deadline, so both
     * execution engines stop at the same instruction: differential tests step two VMs in lockstep.
     */
    public StopReason runUntil(long icount) {
        // HLT sleeps until the guest's timer deadline: wake up on time (see HostTimerSlack); restored on return
        long hostSlack = clock.deterministic() ? -1 : HostTimerSlack.get();
        if (hostSlack > 1) {
            HostTimerSlack.set(1);
        }
        vcpuThread = Thread.currentThread();
        stepLimit = icount;
        rearmTimers();
        while (stopReason == null && vcpu.icount < stepLimit) {
            vcpu.run();
            if (vcpu.isShutdown() && stopReason == null) {
                stop(StopReason.TRIPLE_FAULT, 2);
            }
        }
        stepLimit = Long.MAX_VALUE;
        vcpuThread = null;
        if (hostSlack > 1) {
            HostTimerSlack.set(hostSlack);
        }
        return stopReason;
    }

    /** The icount at which {@link #runUntil} returns. */
    private long stepLimit = Long.MAX_VALUE;

    // =====================================================================================
    // Exit handling
    // =====================================================================================

    @Override
    public void onExit(Vcpu v, VmExit x) {
        long t0 = System.nanoTime();
        ExitReason r = x.reason;
        switch (r) {
            case IO_INSTRUCTION -> {
                io(x);
                stats.recordPort(x.ioPort(), System.nanoTime() - t0);
            }
            case EPT_VIOLATION -> mmio(x);
            case CPUID -> cpuid(v);
            case RDMSR -> {
                long val = rdmsr(v, v.reg[Vcpu.ECX]);
                v.reg[Vcpu.EAX] = (int) val;
                v.reg[Vcpu.EDX] = (int) (val >>> 32);
            }
            case WRMSR -> wrmsr(v, v.reg[Vcpu.ECX], ((long) v.reg[Vcpu.EDX] << 32) | (v.reg[Vcpu.EAX] & 0xffffffffL));
            case CR_ACCESS -> v.emulateCrAccess(x);
            case INVLPG -> v.flushTlbPage(x.guestLinear);
            case HLT -> halt(v);
            case EXTERNAL_INTERRUPT, INTERRUPT_WINDOW -> injectPending();
            case PREEMPTION_TIMER -> {
                if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() > deadlineNanos) {
                    stop(StopReason.TIMEOUT, 3);
                }
                runTimers();
                if (v.icount >= stepLimit) {
                    v.requestStop(); // runUntil's limit: leave vcpu.run() at this boundary
                }
            }
            case VMCALL -> {
                if (paravirt == null) {
                    throw CpuFault.ud(); // no hypercall interface without --pv: VMCALL is undefined for the guest
                }
                paravirt.hypercall(v);
            }
            case TRIPLE_FAULT -> stop(StopReason.TRIPLE_FAULT, 2);
            case RDTSC -> {
                long tsc = v.readTsc();
                v.reg[Vcpu.EAX] = (int) tsc;
                v.reg[Vcpu.EDX] = (int) (tsc >>> 32);
            }
            case RDPMC -> {
                v.reg[Vcpu.EAX] = 0;
                v.reg[Vcpu.EDX] = 0;
            }
            default -> { } // INVD, WBINVD, PAUSE: no cache or scheduler to model
        }
        stats.record(r, System.nanoTime() - t0);
    }

    private void io(VmExit x) {
        int port = x.ioPort();
        int size = x.ioSize();
        if (x.ioIn()) {
            x.data = ports.read(port, size) & (size == 4 ? 0xffffffffL : (1L << (size * 8)) - 1);
        } else {
            ports.write(port, size, (int) x.data);
        }
        // the device may have been reprogrammed (a timer, the PIC's mask or EOI)
        runTimers();
    }

    private void mmio(VmExit x) {
        if (x.mmioWrite()) {
            mmio.write(x.guestPhysical, x.size, x.data);
        } else {
            x.data = mmio.read(x.guestPhysical, x.size);
        }
        runTimers();
    }

    private void cpuid(Vcpu v) {
        int leaf = v.reg[Vcpu.EAX];
        int[] r = paravirt != null ? paravirt.cpuid(leaf, v.reg[Vcpu.ECX]) : null;
        if (r == null) {
            r = CpuModel.cpuid(leaf, v.reg[Vcpu.ECX]);
        }
        v.reg[Vcpu.EAX] = r[0];
        v.reg[Vcpu.EBX] = r[1];
        v.reg[Vcpu.ECX] = r[2];
        v.reg[Vcpu.EDX] = r[3];
    }

    private long rdmsr(Vcpu v, int msr) {
        for (MsrDevice d : msrDevices) {
            if (d.handlesMsr(msr)) {
                return d.rdmsr(msr);
            }
        }
        return CpuModel.rdmsr(v, msr);
    }

    private void wrmsr(Vcpu v, int msr, long value) {
        for (MsrDevice d : msrDevices) {
            if (d.handlesMsr(msr)) {
                if (!d.wrmsr(msr, value)) {
                    throw CpuFault.gp(0);
                }
                runTimers(); // the write may have armed a timer (IA32_TSC_DEADLINE) or changed what is deliverable
                return;
            }
        }
        CpuModel.wrmsr(v, msr, value);
    }

    // =====================================================================================
    // Interrupts and time
    // =====================================================================================

    /** KVM-style injection: deliver the controller's pending interrupt at VM entry if the guest can take it now. */
    private void injectPending() {
        if (pic == null || vcpu.eventPending()) {
            return;
        }
        // the controller is looked at now, which answers any earlier kick of its INTR line (a later one
        // kicks again): otherwise an interrupt injected here, from HLT or an I/O exit, was followed by
        // an EXTERNAL_INTERRUPT exit with nothing left to do (one per wake-up of an idle guest)
        vcpu.clearKick();
        if (pic.hasInterrupt()) {
            if (vcpu.interruptible()) {
                vcpu.injectExternalInterrupt(pic.acknowledge());
                // still a request (auto-EOI, or one of higher priority): look again once the guest can take it
                vcpu.setInterruptWindowExiting(pic.hasInterrupt());
            } else {
                vcpu.setInterruptWindowExiting(true);
            }
        } else if (vcpu.controls.interruptWindowExiting) {
            vcpu.setInterruptWindowExiting(false);
        }
    }

    /** Runs every timer that is due and arms the preemption timer for the next one. */
    private void runTimers() {
        long now = clock.nanos();
        if (now >= nextDeadline) {
            for (Timed t : timed) {
                if (t.nextDeadline() <= now) {
                    t.advanceTo(now);
                }
            }
        }
        rearmTimers();
        injectPending();
    }

    private void rearmTimers() {
        long next = Long.MAX_VALUE;
        for (Timed t : timed) {
            next = Math.min(next, t.nextDeadline());
        }
        nextDeadline = next;
        long deadline = next == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(vcpu.icount + 1, clock.icountAt(next));
        // look at the host now and then: --timeout, console input that arrived while busy
        deadline = Math.min(deadline, vcpu.icount + HOST_POLL_INSTRUCTIONS);
        if (stepLimit > vcpu.icount) {
            deadline = Math.min(deadline, stepLimit);
        }
        if (deadline != vcpu.preemptionDeadline()) {
            vcpu.setPreemptionDeadline(deadline);
        }
    }

    /** HLT: sleep until an interrupt can be delivered (DESIGN.md section 2: HLT never busy-spins). */
    private void halt(Vcpu v) {
        idleHook.run();
        while (stopReason == null) {
            injectPending();
            if (v.eventPending()) {
                return; // entry will deliver it and leave the halted state
            }
            if (!v.interruptsEnabled()) {
                stop(StopReason.HALTED_WITH_INTERRUPTS_OFF, 0); // nothing can wake it: the guest is done
                return;
            }
            if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() > deadlineNanos) {
                stop(StopReason.TIMEOUT, 3);
                return;
            }
            long now = clock.nanos();
            if (nextDeadline <= now) {
                runTimers();
                continue;
            }
            if (nextDeadline == Long.MAX_VALUE) {
                // nothing will happen by itself: wait for input from outside (console)
                LockSupport.parkNanos(this, 50_000_000L);
                continue;
            }
            if (clock.deterministic()) {
                clock.skipTo(nextDeadline);
                continue;
            }
            // real-time idle: wait out the idle period on the host (woken early by input)
            long t0 = System.nanoTime();
            LockSupport.parkNanos(this, Math.min(nextDeadline - now, 50_000_000L));
            clock.skipTo(Math.min(nextDeadline, now + (System.nanoTime() - t0)));
        }
    }

    /** Hook for the para-virtual interface (the --pv KVM interface lives in its own class). */
    public interface Paravirt extends MsrDevice {
        int[] cpuid(int leaf, int subleaf);
        void hypercall(Vcpu v);
    }
}
