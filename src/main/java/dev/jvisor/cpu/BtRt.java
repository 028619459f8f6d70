package dev.jvisor.cpu;

/**
 * Small runtime helpers called from translated code (HotSpot inlines them into the block): chaining,
 * the memory accesses' TLB hit paths, carry evaluation, instructions run by the interpreter inside a
 * unit, and fault delivery exactly as {@link Interpreter#step()} does it.
 */
final class BtRt {
    private BtRt() { }

    /** Units chained into one another by {@link #next} before control returns to the dispatcher (bounds the JVM stack). */
    static final int MAX_CHAIN = 64;

    /**
     * Leaves a unit by its exit x: goes on into the exit's cached successor (see {@link BtEngine}) and returns
     * what that returns, or returns x to the dispatcher. The successor runs when it is still valid, the
     * budget to the next checkpoint covers one pass of it (the dispatcher's rules), at most {@link #MAX_CHAIN}
     * in a row, and it starts at the current EIP, still mapped there by the TLB.
     *
     * <p>For a direct exit to the unit's own page ({@link BtBlock#onPage}) the cached successor starts at the
     * static target and was found under the mapping the running unit was entered with, so it is on this unit's
     * physical page. That mapping still holds: flushes and INVLPG are callouts, which end units; a fill in an
     * inline fallback may evict the entry, and a CPU may go on using a translation it cached until software
     * invalidates it (SDM Vol. 3A 4.10.4). Left to check there: validity, the budget, the chain length.
     *
     * <p>Every unit calls this from its one shared exit, so the branches here are profiled for all units
     * together: in a unit's own code, a branch that its profile had never seen taken (no successor yet, an
     * exit not yet left by) became a C2 uncommon trap, and its first use sent the unit back to the JVM's
     * interpreter to be profiled and compiled again.
     */
    static int chain(Vcpu c, BtBlock b, int x) {
        BtBlock nb = b.succ[x];
        if (nb == null || !nb.valid || c.checkpoint - c.icount < nb.n || c.btChain >= MAX_CHAIN) {
            return x;
        }
        if (!b.onPage[x]) {
            // BtBlock.current written out: as a call (56 bytes of bytecode) C2 inlined it at no unit's exit ("too
            // big"), and in pieces small enough not at most ("low call site frequency": chain's profile is its own)
            int e = c.tlbRead[nb.eip >>> 12];
            if (nb.eip != c.eip || e == 0 || ((e ^ nb.pa) & ~0xfff) != 0) {
                return x;
            }
        }
        c.btChain++;
        return nb.run(c);
    }

    /**
     * CLI in translated code (protected mode, not virtual-8086: units run nowhere else): IF cleared when
     * CPL <= IOPL; otherwise the interpreter takes the instruction and raises #GP(0) (SDM Vol. 2A, CLI).
     */
    static void cli(Vcpu c) {
        if (c.cpl > c.iopl()) {
            throw MISS;
        }
        c.flags &= ~Vcpu.IF;
    }

    static int cfAdd(int a, int b, int r, int m) {
        return (((a & b) | ((a | b) & ~r)) & m) != 0 ? 1 : 0;
    }

    static int cfSub(int a, int b, int r, int m) {
        return (((~a & b) | ((~a | b) & r)) & m) != 0 ? 1 : 0;
    }

    /**
     * One instruction of a unit run by the interpreter, as {@link Interpreter#step()} runs it (TF is
     * clear in translated code, so no single-step trap): EIP past it, execute, retire; a fault rolls
     * EIP back and is delivered here. Returns 0 when execution falls through to next and no
     * translated code was written, else 1 (the unit leaves for c.eip).
     */
    static int interp(Vcpu c, Insn in, int eip0) {
        c.bt.inlined[in.op & 0x3ff]++;
        return run(c, in, eip0);
    }

    /**
     * A sensitive instruction that need not end the unit, run inside it by the interpreter's handler as
     * {@link #interp} runs one and counted as a callout: STI and POPF, which may open an interrupt window,
     * RDTSC, and loads of DS, ES, FS and GS. Returns 1 (the unit leaves for c.eip) where {@link #interp} would,
     * where TF is now set, where the window opened for something waiting at the next boundary
     * ({@link Vcpu#waitsForWindow}), and where a segment load changed which segments are flat (the unit's
     * accesses were translated for them). Otherwise the unit goes on, as the boundary would have let it: the
     * shadow after STI only holds back events, and none is pending. RDTSC under RDTSC exiting is the
     * interpreter's (MISS), which takes the exit.
     */
    static int sensitive(Vcpu c, Insn in, int eip0) {
        int op = in.op & 0x3ff;
        if (op == 0x131 && c.controls.rdtscExiting) {
            throw MISS;
        }
        BtEngine bt = c.bt;
        bt.callouts[op]++;
        bt.calloutsInUnits[op]++;
        long cp = c.checkpoint;
        int flat = c.flatMask;
        if (run(c, in, eip0) != 0 || (c.flags & Vcpu.TF) != 0 || c.flatMask != flat) {
            return 1;
        }
        if (c.checkpoint != cp) {
            // IF rose (Vcpu.setEflags, sti): the boundary is taken only for what waits for the window
            if (c.waitsForWindow()) {
                return 1;
            }
            c.checkpoint = cp;
        }
        return 0;
    }

    private static int run(Vcpu c, Insn in, int eip0) {
        Interpreter ip = c.interp;
        BtEngine bt = c.bt;
        bt.smc = false;
        int next = eip0 + in.length;
        ip.startEip = eip0;
        ip.in = in;
        c.eip = next;
        try {
            ip.execute(in);
            c.icount++;
        } catch (CpuFault f) {
            c.eip = eip0;
            c.icount++;
            c.raiseFault(f);
            return 1;
        }
        return c.eip != next || bt.smc ? 1 : 0;
    }

    /**
     * The flags of a shift or rotate the translator left pending ({@code BtTranslator.flagsDeadAfter}) when
     * an instruction before the one that overwrites them faults: the record in the vCPU is as before the
     * shift, p holds its group-2 operation, size and count, a its operand; as the interpreter leaves them.
     */
    static void pendingShift(Vcpu c, int p, int a) {
        // as Alu.shift commits them for the interpreter
        Alu.setArith(c, Alu.shiftFlags(p & 7, a, (p >>> 8) & 31, (p >>> 4) & 7, c.getEflags()));
    }

    /**
     * A fault in translated code, state already rolled back to the faulting instruction: as the interpreter's
     * catch; returns the unit's exit x (FAULT), or x + 1 (MISS) for {@link #MISS}, where nothing is delivered.
     */
    static int fault(Vcpu c, CpuFault f, int x) {
        if (f == MISS) {
            return x + 1;
        }
        c.icount++;
        c.raiseFault(f);
        return x;
    }

    // Memory accesses of translated code with native guest RAM (BtTranslator.load/store): the TLB hit path in the
    // vCPU's host-address tables (Vcpu.hostRead/hostWrite: host address of lin = entry + lin - 1), a raw
    // little-endian access (see host for why it stays inside RAM). A miss or an access crossing its page throws
    // MISS: the unit rolls back to the instruction's start, as for a fault, and leaves it to the interpreter,
    // which fills the TLB, faults, reaches MMIO or notes self-modifying code (code pages have no write
    // entries). So the hit path is all a unit's compiled code holds: no call that can clobber the registers,
    // no self-modifying-code test after each store.
    private static final jdk.internal.misc.Unsafe UNSAFE = jdk.internal.misc.Unsafe.getUnsafe();

    /** Not an exception of the architecture: "the interpreter runs this instruction" (see above); never delivered. */
    static final CpuFault MISS = CpuFault.of(-1);

    static int ld8(long[] tlb, int lin) {
        long e = entry(tlb, lin);
        if (e == 0) {
            throw MISS;
        }
        return UNSAFE.getByte(null, host(e, lin)) & 0xff;
    }

    static int ld16(long[] tlb, int lin) {
        long e = entry(tlb, lin);
        if (e == 0 || (lin & 0xfff) > 0xffe) {
            throw MISS;
        }
        return UNSAFE.getShortUnaligned(null, host(e, lin), false) & 0xffff;
    }

    static int ld32(long[] tlb, int lin) {
        long e = entry(tlb, lin);
        if (e == 0 || (lin & 0xfff) > 0xffc) {
            throw MISS;
        }
        return UNSAFE.getIntUnaligned(null, host(e, lin), false);
    }

    static void sto8(long[] tlb, int lin, int v) {
        long e = entry(tlb, lin);
        if (e == 0) {
            throw MISS;
        }
        UNSAFE.putByte(null, host(e, lin), (byte) v);
    }

    static void sto16(long[] tlb, int lin, int v) {
        long e = entry(tlb, lin);
        if (e == 0 || (lin & 0xfff) > 0xffe) {
            throw MISS;
        }
        UNSAFE.putShortUnaligned(null, host(e, lin), (short) v, false);
    }

    static void sto32(long[] tlb, int lin, int v) {
        long e = entry(tlb, lin);
        if (e == 0 || (lin & 0xfff) > 0xffc) {
            throw MISS;
        }
        UNSAFE.putIntUnaligned(null, host(e, lin), v, false);
    }

    /**
     * The host-address TLB entry for lin: the tables have an entry for every linear page (2^20), so the index is
     * always in bounds and the read needs no range check (one branch less per access in a unit's compiled code).
     */
    private static long entry(long[] tlb, int lin) {
        return UNSAFE.getLong(tlb, LONG_BASE + ((long) (lin >>> 12) << 3));
    }

    private static final long LONG_BASE = UNSAFE.arrayBaseOffset(long[].class);

    /**
     * The host address of lin in host-address TLB entry e. No bounds check: the TLB holds entries only for RAM
     * pages ({@code Vcpu.translate} fills after {@code isRamPage}, and RAM is a whole number of pages, outside
     * the hole), so an access that does not cross its page stays inside RAM.
     */
    private static long host(long e, int lin) {
        return e + (lin & 0xffffffffL) - 1;
    }
}
