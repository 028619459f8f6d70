package dev.jvisor.cpu;

/**
 * A translated guest block: the superclass of the hidden classes {@link BtTranslator} generates.
 * {@link #run} executes the block on the vCPU (guest registers in JVM locals, written back at every
 * exit) and returns the index of the exit it left by; the tables below say what that exit means.
 */
abstract class BtBlock {
    /** Exit kinds. */
    static final int CHAIN = 0, INDIRECT = 1, END = 2, FAULT = 4, HELPER = 5, MISS = 6;
    /**
     * The op of a CHAIN exit that goes straight on where the trace stopped for its size or the page end:
     * the code there is as hot as this unit, so the engine translates it at once.
     */
    static final int CONTINUES = 1;

    /** Entry EIP (CS base is 0 whenever translated code runs) and the physical address it was translated from. */
    int eip;
    int pa;
    /** SS.B the block was translated for (push/pop width of the stack pointer). */
    boolean stack32;
    /** Instructions on the longest path through one pass (the interrupt/preemption budget needed to enter). */
    int n;
    /** False once the block's page was written (or the cache flushed): never entered again. */
    boolean valid = true;
    /** Per exit: kind, static target EIP (CHAIN), opcode of the instruction not translated (END). */
    int[] kind, target, op;
    /** Per exit: the last successor it led to (any page; checked on use), filled by the dispatcher. */
    BtBlock[] succ;
    /** Per exit: a direct exit to this unit's own page (its successor needs no TLB check: {@link BtRt#chain}). */
    boolean[] onPage;
    /** Instructions the unit runs through the interpreter ({@link BtRt#interp}), by index. */
    Insn[] helperInsns;
    /**
     * Unit profile ({@link BtEngine#profileUnits}, --stats): entries into the unit, and the guest instructions
     * retired in it (an instruction run by the interpreter inside it included; one that faults not). Counted by
     * the unit's own code only when it was translated with the profile on.
     */
    long runs, retired;

    abstract int run(Vcpu c);

    /**
     * Whether this cached successor may run now: still valid, its entry EIP is the current EIP and the
     * current TLB still maps that EIP to the physical page it was translated from (a miss sends the
     * caller to the engine's lookup, which fills it). No SS.B check: a unit runs only with its own SS.B,
     * its successors were cached with the same, and translated code cannot load SS (a callout); code
     * segment and mode cannot change inside translated code either. {@link BtRt#chain} has the same test
     * written out, so that C2 inlines it at every unit exit (see there).
     */
    final boolean current(Vcpu c) {
        if (!valid || eip != c.eip) {
            return false;
        }
        int e = c.tlbRead[eip >>> 12];
        return e != 0 && ((e ^ pa) & ~0xfff) == 0;
    }
}
