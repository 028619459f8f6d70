package dev.jvisor.cpu;

/**
 * Small runtime helpers called from translated code (HotSpot inlines them into the block): the
 * slow paths of stores (which report self-modifying code), write probes, carry evaluation and
 * fault delivery exactly as {@link Interpreter#step()} does it.
 */
final class BtRt {
    private BtRt() { }

    /** Units chained into one another by {@link #next} before control returns to the dispatcher (bounds the JVM stack). */
    static final int MAX_CHAIN = 64;

    /**
     * The successor a unit goes on into from its exit x, or null to return to the dispatcher: the exit's
     * cached successor (see {@link BtEngine}) when it is still valid, starts at the current EIP, is still
     * mapped there by the TLB, and the budget to the next checkpoint covers one
     * pass of it (the dispatcher's rules); at most {@link #MAX_CHAIN} in a row.
     */
    static BtBlock next(Vcpu c, BtBlock b, int x) {
        BtBlock nb = b.succ[x];
        if (nb == null || c.checkpoint - c.icount < nb.n || c.btChain >= MAX_CHAIN || !nb.current(c)) {
            return null;
        }
        c.btChain++;
        return nb;
    }

    static int cfAdd(int a, int b, int r, int m) {
        return (((a & b) | ((a | b) & ~r)) & m) != 0 ? 1 : 0;
    }

    static int cfSub(int a, int b, int r, int m) {
        return (((~a & b) | ((~a | b) & r)) & m) != 0 ? 1 : 0;
    }

    /** Faults now unless lin..lin+size-1 is writable (read-modify-write: nothing is stored until both halves are known good). */
    static void probeWrite(Vcpu c, int lin, int size) {
        if (c.tlbWrite[lin >>> 12] == 0) {
            c.translate(lin, true, c.cpl == 3);
        }
        int last = lin + size - 1;
        if (((last ^ lin) >>> 12) != 0 && c.tlbWrite[last >>> 12] == 0) {
            c.translate(last, true, c.cpl == 3);
        }
    }

    /** Store slow paths: 1 when the store dropped translated code (the block must stop after this instruction). */
    static int wr32(Vcpu c, int lin, int v) {
        BtEngine bt = c.bt;
        bt.smc = false;
        c.writeLin32(lin, v);
        return bt.smc ? 1 : 0;
    }

    static int wr16(Vcpu c, int lin, int v) {
        BtEngine bt = c.bt;
        bt.smc = false;
        c.writeLin16(lin, v);
        return bt.smc ? 1 : 0;
    }

    static int wr8(Vcpu c, int lin, int v) {
        BtEngine bt = c.bt;
        bt.smc = false;
        c.writeLin8(lin, v);
        return bt.smc ? 1 : 0;
    }

    /**
     * One instruction of a unit run by the interpreter, as {@link Interpreter#step()} runs it (TF is
     * clear in translated code, so no single-step trap): EIP past it, execute, retire; a fault rolls
     * EIP back and is delivered here. Returns 0 when execution falls through to next and no
     * translated code was written, else 1 (the unit leaves for c.eip).
     */
    static int interp(Vcpu c, Insn in, int eip0) {
        Interpreter ip = c.interp;
        BtEngine bt = c.bt;
        bt.smc = false;
        bt.inlined[in.op & 0x3ff]++;
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

    /** A fault in translated code, state already rolled back to the faulting instruction: as the interpreter's catch. */
    static void fault(Vcpu c, CpuFault f) {
        c.icount++;
        c.raiseFault(f);
    }

    // Native guest RAM at a host address the translator computed from a TLB hit and checked against RAM's
    // size (BtTranslator.rawAddress); little-endian as the guest is, whatever the host.
    private static final jdk.internal.misc.Unsafe UNSAFE = jdk.internal.misc.Unsafe.getUnsafe();

    static int rd8(long a) {
        return UNSAFE.getByte(null, a) & 0xff;
    }

    static int rd16(long a) {
        return UNSAFE.getShortUnaligned(null, a, false) & 0xffff;
    }

    static int rd32(long a) {
        return UNSAFE.getIntUnaligned(null, a, false);
    }

    static void st8(long a, int v) {
        UNSAFE.putByte(null, a, (byte) v);
    }

    static void st16(long a, int v) {
        UNSAFE.putShortUnaligned(null, a, (short) v, false);
    }

    static void st32(long a, int v) {
        UNSAFE.putIntUnaligned(null, a, v, false);
    }

    /** A TLB entry that leads outside guest RAM (a bug): refused as {@code Vcpu.ram32} refuses it. */
    static RuntimeException outsideRam(int pa) {
        return new IndexOutOfBoundsException("guest-physical 0x" + Integer.toHexString(pa) + " outside guest RAM");
    }
}
