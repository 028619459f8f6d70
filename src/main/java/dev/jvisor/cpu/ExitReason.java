package dev.jvisor.cpu;

/**
 * Why the guest left non-root mode: the VMX basic exit reasons (SDM Vol. 3C, Appendix C), with
 * their architectural numbers. Only the ones this CPU can produce are listed.
 */
public enum ExitReason {
    EXCEPTION_NMI(0),
    EXTERNAL_INTERRUPT(1),
    TRIPLE_FAULT(2),
    INTERRUPT_WINDOW(7),
    TASK_SWITCH(9),
    CPUID(10),
    HLT(12),
    INVD(13),
    INVLPG(14),
    RDPMC(15),
    RDTSC(16),
    VMCALL(18),
    CR_ACCESS(28),
    DR_ACCESS(29),
    IO_INSTRUCTION(30),
    RDMSR(31),
    WRMSR(32),
    PAUSE(40),
    EPT_VIOLATION(48),
    PREEMPTION_TIMER(52),
    WBINVD(54);

    public final int number;

    ExitReason(int number) {
        this.number = number;
    }

    private static final ExitReason[] VALUES = values();

    public static ExitReason[] all() {
        return VALUES;
    }
}
