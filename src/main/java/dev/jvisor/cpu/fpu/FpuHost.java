package dev.jvisor.cpu.fpu;

/**
 * What the x87 unit needs from the CPU around it. Memory operands are addressed as
 * (segment register index 0..5 = ES,CS,SS,DS,FS,GS; offset); the CPU applies segmentation, paging
 * and protection and throws {@link dev.jvisor.cpu.CpuFault} on a fault. The FPU must read every
 * memory operand before changing any of its own state, so a fault leaves it untouched (precise).
 * For stores that span several writes (FSAVE, FSTENV, FXSAVE, FSTP m80) the FPU should first
 * call {@link #checkWrite} for the whole range.
 */
public interface FpuHost {
    int read8(int seg, int offset);
    int read16(int seg, int offset);
    int read32(int seg, int offset);
    void write8(int seg, int offset, int value);
    void write16(int seg, int offset, int value);
    void write32(int seg, int offset, int value);

    /** Faults now if [offset, offset+len) in seg is not writable (segment limit, paging). */
    void checkWrite(int seg, int offset, int len);

    /** EFLAGS as the CPU has them now (FCMOVcc reads CF, ZF, PF). */
    int eflags();

    /** Sets ZF, PF, CF from the low bits of {@code zpc} (FCOMI/FUCOMI); clears OF, SF, AF. */
    void setComiFlags(boolean zf, boolean pf, boolean cf);

    /** FNSTSW AX. */
    void setAx(int value);

    /**
     * The selector value now in segment register {@code seg} (0..5 = ES,CS,SS,DS,FS,GS). The FPU records it as
     * the data pointer selector FDS of the last memory operand, which FSTENV/FSAVE/FXSAVE store
     * (SDM Vol.1 8.1.8); in real mode it also forms the 20-bit linear operand address of Figure 8-12.
     */
    int selector(int seg);

    /** True in protected mode (not real or virtual-8086): selects FSTENV/FSAVE layouts. */
    boolean protectedMode();
}
