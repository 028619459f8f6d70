package dev.jvisor.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The binary translator's dispatcher and translation cache ({@code --accel bt}).
 *
 * <p>Blocks are keyed by the physical address of their first instruction (plus the entry EIP and
 * SS.B, checked on entry): the decoded instruction cached there ({@link Insn#block}, with the
 * start's heat) holds the block, and a list per physical page holds them all. Translated code runs only in 32-bit code with
 * a flat CS (base 0, 4 GiB limit), TF clear and outside V86; everything else is interpreted.
 * A block start becomes hot in the interpreter (a counter per branch target and per instruction
 * after an untranslated one) and is translated on the vCPU thread at the threshold. Blocks are
 * chained: every direct or indirect exit caches the last successor it led to (filled in here),
 * used again while it is valid, its entry EIP matches and its page is still mapped there. A block
 * is entered only if the instruction budget to the next checkpoint (interrupts, preemption timer,
 * stop requests) covers one pass of it. A block goes on into a cached successor itself
 * ({@link BtRt#chain}, up to {@link BtRt#MAX_CHAIN} deep, inlined into each unit, whose call site HotSpot's
 * inline cache makes a direct call); the dispatcher here sees only where such a chain ends.
 *
 * <p>Invalidation reuses the CPU's decoded-instruction cache mechanism: a translated page always has
 * its decoded-code array, so write TLB entries to it are absent and every store to it (CPU or DMA)
 * reaches {@link #invalidatePage}, which drops all blocks of the page. The cache is bounded by a
 * block count; at the bound everything is flushed.
 */
final class BtEngine {
    /**
     * Executions of a block start before it is translated (at most Short.MAX_VALUE: the counters are
     * shorts). Measured with bench/boot_vs_qemu.py --accel bt (one run each, boot / WL1 / WL2 s):
     * 64: 11.8 / 6.7 / 4.2; 512: 8.9 / 6.2 / 4.2; 2048: 6.9 / 6.4 / 3.8; 4096: 6.7 / 6.9 / 3.7;
     * 16384: 5.8 / 5.9 / 3.5 and 6.1 / 6.7 / 3.9. Lukewarm code runs well enough interpreted; each
     * trace translated costs a C2 compile that competes with the guest on a 2-core host. Session 21, 8192
     * against 16384 (bench/ab.py, 20 interleaved rounds in three A/Bs): WL1's median 7-14% shorter in each
     * (better in 13 of 20 pairs: the kernel's pipe and syscall paths, which WL1 runs ~16,000 times, get
     * translated halfway through it instead of at its end), the boot even, WL2 within its noise (+3%, -7%, +3%).
     */
    static final int DEFAULT_THRESHOLD = Math.min(Short.MAX_VALUE, Integer.getInteger("jvisor.bt.threshold", 8192));
    static final int MAX_BLOCKS = Integer.getInteger("jvisor.bt.maxBlocks", 32768);

    private final Vcpu c;
    private final BtTranslator translator;
    int threshold = DEFAULT_THRESHOLD;
    private int liveBlocks;
    /** Set when a store dropped translated code (read by the store slow paths of translated code). */
    boolean smc;

    // interpreter-side tracking of block-start candidates
    private int prevStart = -1;
    /** The icount at which enter() last took the checkpoint early for a unit's budget (once per boundary: progress). */
    private long budgetRefreshedAt = -1;

    // statistics
    long btInsns, blockRuns, dispatches, translated, untranslatable, invalidatedBlocks, flushes, translateNanos, faults, misses;
    final long[] fallbacks = new long[0x400];
    final long[] callouts = new long[0x400];
    /** Of the callouts, those run inside a unit without ending it (BtRt.sensitive). */
    final long[] calloutsInUnits = new long[0x400];
    /** Instructions run by the interpreter inside a unit (BtRt.interp), by opcode. */
    final long[] inlined = new long[0x400];

    /** By physical page: the units translated from it (to drop them when it is written or evicted), or null. */
    private final List<BtBlock>[] pages;

    /**
     * Whether units translated from now on count their runs and retired instructions (--stats: the report's
     * top units). Off by default: the counting is two field updates per unit run.
     */
    boolean profileUnits;
    /** Unit profiles of dropped units (invalidated or flushed), summed by entry EIP: {runs, retired, n}. */
    final java.util.Map<Integer, long[]> droppedProfiles = new java.util.HashMap<>();

    BtEngine(Vcpu c) {
        this.c = c;
        this.translator = new BtTranslator(c);
        @SuppressWarnings("unchecked")
        List<BtBlock>[] lists = new List[c.decoded.ramPages()];
        this.pages = lists;
    }

    /** The instruction count at the last MISS exit (-1: none pending): the interpreter runs that instruction first. */
    private long missedAt = -1;

    /**
     * Runs translated code at the current EIP if there is (or now should be) some. Returns false
     * when the interpreter should execute the next instruction.
     */
    boolean enter() {
        Vcpu c = this.c;
        int eip = c.eip;
        // a unit may start after a branch, after an instruction no unit holds, and on a new page (units stay in
        // theirs: an instruction that crosses into the next page cannot be in one, and a hot kallsyms loop with
        // such a load left 13 of its 15 instructions interpreted when only branches made candidates). This test
        // runs before every interpreted instruction, so it comes first and the translator's verdict on the
        // previous instruction is cached in it (the mode checks below only for candidates: code that becomes
        // flat again gets there by a far transfer or an event, which are candidates or make the next one)
        if (straightOn()) {
            return false;
        }
        if (!c.code32 || c.segBase[Segment.CS] != 0 || c.segLimit[Segment.CS] != -1 || (c.flags & (Vcpu.TF | Vcpu.VM)) != 0) {
            prevStart = -1;
            return false;
        }
        if (c.icount == missedAt) {
            // a unit just left this instruction to the interpreter (BtRt.MISS): it runs before any unit again
            missedAt = -1;
            prevStart = eip;
            return false;
        }
        // the instruction here, which the interpreter looks up next anyway, holds this start's heat and unit
        Insn in = c.interp.cachedInsn(eip);
        BtBlock b = in == null ? null : unitAt(in, eip, false);
        if (b == null) {
            prevStart = eip;
            return false;
        }
        if (c.checkpoint - c.icount < b.n) {
            if (budgetRefreshedAt != c.icount) {
                // short of one pass before the checkpoint: take the checkpoint now (nothing is due earlier
                // than it was) and enter with a fresh budget, instead of interpreting up to the checkpoint
                // and on to the next unit start (~1% of all instructions with 40-instruction units)
                budgetRefreshedAt = c.icount;
                c.checkpoint = c.icount;
                return true;
            }
            // an event is due within one pass (an interrupt window, the shadow after STI): the interpreter
            // runs this instruction, and the next one may start a unit (otherwise the interpreter would go on
            // through this unit's body to the next unit start)
            prevStart = -1;
            return false;
        }
        long ic0 = c.icount;
        long runs = 0, returns = 0;
        while (true) {
            c.btChain = 0;
            int x = b.run(c);
            b = c.btLast; // the unit that left: b itself or the last one chained into from it
            runs += 1 + c.btChain;
            returns++;
            switch (b.kind[x]) {
                case BtBlock.CHAIN, BtBlock.INDIRECT -> {
                    // chained successor (direct exits: the static target; indirect ones: the last
                    // target, a one-entry inline cache), valid while its page is still mapped there
                    BtBlock nb = b.succ[x];
                    if (nb == null || !nb.current(c)) {
                        // a unit cut at its size limit leads to code as hot as itself: translated now, not after
                        // another threshold's worth of runs (a 160-instruction loop body needed four times the
                        // threshold to be translated whole, and boot's blake2s rounds stayed interpreted)
                        nb = lookup(c.eip, b.kind[x] == BtBlock.CHAIN && b.op[x] == BtBlock.CONTINUES);
                        if (nb != null) {
                            b.succ[x] = nb;
                        }
                    }
                    b = nb;
                }
                case BtBlock.HELPER -> {
                    // an instruction run by the interpreter left the unit (transfer, REP chunk, fault, SMC):
                    // a delivered fault may have left flat 32-bit code, which lookup checks except TF/VM
                    b = (c.flags & (Vcpu.TF | Vcpu.VM)) == 0 ? lookup(c.eip, false) : null;
                }
                case BtBlock.END -> {
                    int op = b.op[x];
                    if (BtStats.isCallout(op)) {
                        callouts[op]++;
                    } else {
                        fallbacks[op]++;
                    }
                    b = null;
                }
                case BtBlock.MISS -> {
                    misses++;
                    missedAt = c.icount;
                    b = null;
                }
                default -> {
                    faults++;
                    b = null;
                }
            }
            if (b == null || c.checkpoint - c.icount < b.n) {
                break;
            }
        }
        btInsns += c.icount - ic0;
        blockRuns += runs;
        dispatches += returns;
        prevStart = -1;
        return true;
    }

    /**
     * Whether the next instruction goes straight on from the one just interpreted, on its page, after an
     * instruction a unit could have held: then it is no unit start of its own (a unit there is entered the
     * next time a branch or an untranslatable instruction leads to it; looking on every interpreted
     * instruction cost ~20% of the vCPU thread in a boot), and the interpreter runs it without the rest of
     * {@link #enter} (Vcpu.run loops on this test, small enough to be inlined there).
     */
    boolean straightOn() {
        int eip = c.eip;
        int ps = prevStart;
        Insn prev = c.interp.in;
        if (ps != -1 && eip == ps + prev.length && ((eip ^ ps) & ~0xfff) == 0 && unitCanHold(prev)) {
            prevStart = eip;
            return true;
        }
        return false;
    }

    /** Whether a unit can hold the instruction (translated, or run inline by the interpreter), cached in it. */
    private boolean unitCanHold(Insn in) {
        int u = in.unit;
        if (u == 0) {
            u = translator.translatable(in) ? 1 : 2;
            in.unit = (byte) u;
        }
        return u == 1;
    }

    /**
     * The valid block for eip where a unit left for it (counting heat and translating when hot, or at once
     * if hot is set), or null.
     */
    private BtBlock lookup(int eip, boolean hot) {
        Vcpu c = this.c;
        if (!c.code32 || c.segBase[Segment.CS] != 0 || c.segLimit[Segment.CS] != -1) {
            return null;
        }
        int e = c.tlbRead[eip >>> 12];
        if (e == 0) {
            // fill the TLB as the interpreter's fetch would (a fault is left for the interpreter to
            // raise when it really fetches there: an interrupt may come first, so this probe must not
            // leave CR2 changed; found by LinuxLockstepTest)
            int cr2 = c.cr2;
            try {
                if (c.translate(eip, false, c.cpl == 3) < 0) {
                    return null; // code in MMIO
                }
            } catch (CpuFault f) {
                c.cr2 = cr2;
                return null;
            }
            e = c.tlbRead[eip >>> 12];
            if (e == 0) {
                return null;
            }
        }
        int pa = (e & ~0xfff) | (eip & 0xfff);
        Insn[] code = c.decoded.get(pa >>> 12);
        Insn in = code == null ? null : code[pa & 0xfff];
        if (in == null || !in.code32) {
            // not decoded here yet: the interpreter runs it now (and caches it), so the next lookup finds it
            return null;
        }
        return unitAt(in, eip, hot);
    }

    /**
     * The valid unit starting at the cached instruction in (at eip in flat 32-bit code), counting heat
     * and translating at the threshold (or at once if hot); null while it stays interpreted.
     */
    private BtBlock unitAt(Insn in, int eip, boolean hot) {
        BtBlock b = in.block;
        if (b != null && b.valid && b.eip == eip && b.stack32 == c.stack32) {
            return b;
        }
        int h = in.heat;
        if (h < 0) {
            return null; // not translatable here
        }
        if (h + 1 < threshold && !hot) {
            in.heat = (short) (h + 1);
            return null;
        }
        int e = c.tlbRead[eip >>> 12];
        if (e == 0) {
            return null;
        }
        return translate(in, (e & ~0xfff) | (eip & 0xfff), eip);
    }

    /** Blocks the translator failed on (a bug; they run on the interpreter instead). */
    long translationFailures;

    private BtBlock translate(Insn in, int pa, int eip) {
        if (liveBlocks >= MAX_BLOCKS) {
            flushAll();
        }
        long t0 = System.nanoTime();
        BtBlock b;
        try {
            b = translator.translate(pa, eip);
        } catch (VirtualMachineError e) {
            throw e; // out of memory is not a translator bug
        } catch (Throwable t) {
            // a translator bug must not take the VM down: this block stays on the interpreter
            if (translationFailures++ == 0) {
                System.err.println("jvisor: bt: translation failed at " + Integer.toHexString(eip)
                        + " (the interpreter runs it): " + t);
            }
            b = null;
        }
        translateNanos += System.nanoTime() - t0;
        if (b == null) {
            untranslatable++;
            in.heat = -1;
            return null;
        }
        int ppn = pa >>> 12;
        warm(b);
        c.codePage(ppn); // writes to the page now take the slow path and invalidate
        c.decoded.pin(ppn); // ... as long as its blocks live: the decoded cache must not evict it
        translated++;
        liveBlocks++;
        List<BtBlock> list = pages[ppn];
        if (list == null) {
            list = new ArrayList<>();
            pages[ppn] = list;
        }
        list.add(b);
        in.block = b;
        in.heat = 0;
        return b;
    }

    static final int WARM_CALLS = Integer.getInteger("jvisor.bt.warmCalls", 256);

    /**
     * Calls a new unit WARM_CALLS times with {@link Vcpu#btDry} set, so that it returns at once: the JVM counts
     * them as invocations and queues the unit for C1 at once, instead of after its first couple of hundred
     * real runs in the JVM's bytecode interpreter (which runs a unit many times slower than our interpreter).
     */
    private void warm(BtBlock b) {
        c.btDry = true;
        try {
            for (int i = 0; i < WARM_CALLS; i++) {
                b.run(c);
            }
        } finally {
            c.btDry = false;
        }
    }

    /** A physical page holding code was written (by the CPU or by DMA) or left the decoded cache: drop its blocks and heat. */
    void invalidatePage(int ppn) {
        List<BtBlock> list = pages[ppn];
        if (list == null) {
            return;
        }
        pages[ppn] = null;
        smc = true;
        for (BtBlock b : list) {
            b.valid = false;
            addProfile(droppedProfiles, b);
        }
        invalidatedBlocks += list.size();
        liveBlocks -= list.size();
    }

    /** Drops every block (the cache bound); the heat counted since a start was last translated stays. */
    void flushAll() {
        for (int i = 0; i < pages.length; i++) {
            List<BtBlock> list = pages[i];
            if (list != null) {
                for (BtBlock b : list) {
                    b.valid = false;
                    addProfile(droppedProfiles, b);
                }
                pages[i] = null;
                c.decoded.unpin(i);
            }
        }
        liveBlocks = 0;
        flushes++;
    }

    /**
     * Adds a unit's profile to profiles by its entry EIP. A dropped unit's goes into droppedProfiles when it is
     * dropped: one dropped while it runs (by its own write to its page) loses the counts of that last run.
     */
    private static void addProfile(java.util.Map<Integer, long[]> profiles, BtBlock b) {
        if (b.runs != 0) {
            long[] p = profiles.computeIfAbsent(b.eip, k -> new long[3]);
            p[0] += b.runs;
            p[1] += b.retired;
            p[2] = Math.max(p[2], b.n);
        }
    }

    /** The unit profiles by entry EIP, live units and dropped ones together: {runs, retired, n}. */
    java.util.Map<Integer, long[]> unitProfiles() {
        java.util.Map<Integer, long[]> all = new java.util.HashMap<>();
        droppedProfiles.forEach((eip, p) -> all.put(eip, p.clone()));
        for (List<BtBlock> list : pages) {
            if (list != null) {
                for (BtBlock b : list) {
                    addProfile(all, b);
                }
            }
        }
        return all;
    }

    /** Units translated whole as a loop longer than {@link BtTranslator#MAX_INSNS} (statistics). */
    long loopUnits() {
        return translator.loopUnits;
    }

    String stats() {
        return BtStats.format(this, c.icount);
    }

    static String pct(long a, long b) {
        return String.format(Locale.ROOT, "%.1f%%", b == 0 ? 0.0 : 100.0 * a / b);
    }
}
