package dev.jvisor.cpu;

/**
 * VM-execution controls (SDM Vol. 3C, 24.6), set by the hypervisor per vCPU: they decide which
 * guest events cause a VM exit. CPUID, INVD, triple fault and VMCALL always exit.
 */
public final class Controls {
    public boolean hltExiting = true;
    public boolean invlpgExiting = true;
    public boolean rdtscExiting;
    public boolean rdpmcExiting = true;
    public boolean cr3LoadExiting = true;
    public boolean cr3StoreExiting;
    /** Bits of CR0 / CR4 owned by the hypervisor: a MOV to CR that changes one of them exits. */
    public int cr0GuestHostMask = -1;
    public int cr4GuestHostMask = -1;
    public boolean movDrExiting;
    /** Unconditional I/O exiting: every IN/OUT/INS/OUTS exits (the I/O bitmaps are all ones). */
    public boolean unconditionalIoExiting = true;
    /** MSR bitmaps, simplified: when true every RDMSR/WRMSR exits. */
    public boolean msrExiting = true;
    public boolean pauseExiting;
    public boolean wbinvdExiting = true;
    /** Exception bitmap: bit n set means exception vector n exits instead of being delivered. */
    public int exceptionBitmap;
    public boolean externalInterruptExiting = true;
    public boolean interruptWindowExiting;
}
