package dev.jvisor.cpu;

import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest block to JVM bytecode (DESIGN.md section 4). A block is a trace of instructions within one
 * 4 KiB physical page, starting at a physical address, decoded with the shared {@link Decoder}; it
 * follows direct JMPs and CALLs to elsewhere on the page. Conditional branches leave the trace as side exits, become forward jumps when
 * their target is later in the trace, or a real JVM back-edge (with an instruction-budget check)
 * when they go back to the block start. The block ends at an unconditional transfer, at the page
 * end, at a size limit, or just before an instruction it does not translate (the interpreter runs
 * that one: a fallback, or a callout for sensitive instructions).
 *
 * <p>Generated shape: one hidden class (in this package, not STRONG, so it can unload) extending
 * {@link BtBlock}; its {@code run(Vcpu)} keeps the eight registers and the lazy-flags record
 * (operation, operands, result, size) in JVM locals and writes them back at a shared exit. The
 * static flag state is tracked while emitting, so CMP/TEST/SUB/DEC followed by Jcc/SETcc/CMOVcc
 * become direct JVM compares, and flag records overwritten in the block are dead stores for C2.
 * Memory accesses inline the TLB hit path; a miss leaves the unit at the instruction (BtRt.MISS, as a fault
 * that the interpreter then takes over). Every instruction commits
 * its register and flag effects after its last access that can fault, so a {@link CpuFault} caught
 * by the method's handler finds the locals exactly as of the faulting instruction's start: the
 * handler writes them back, sets EIP and icount as the interpreter would, and delivers the fault.
 */
final class BtTranslator {
    static final int MAX_INSNS = Integer.getInteger("jvisor.bt.maxInsns", 40);
    /** The longest trace taken when it closes a loop back to its start (a longer body stays split at MAX_INSNS). */
    static final int MAX_LOOP_INSNS = Integer.getInteger("jvisor.bt.maxLoopInsns", 128);
    /** Traces taken longer than MAX_INSNS because they close a loop (statistics). */
    long loopUnits;
    /** Bytecode size a block's method may reach (HotSpot's HugeMethodLimit is 8000). */
    static final int MAX_CODE = 7000;
    /** A directory to write each unit's class file to (named by entry EIP), for javap; diagnostics only. */
    static final String DUMP = System.getProperty("jvisor.bt.dump");

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final jdk.internal.misc.Unsafe UNSAFE = jdk.internal.misc.Unsafe.getUnsafe();
    private static final ClassDesc CD_VCPU = ClassDesc.of("dev.jvisor.cpu.Vcpu");
    private static final ClassDesc CD_BLOCK = ClassDesc.of("dev.jvisor.cpu.BtBlock");
    private static final ClassDesc CD_RT = ClassDesc.of("dev.jvisor.cpu.BtRt");
    private static final ClassDesc CD_ALU = ClassDesc.of("dev.jvisor.cpu.Alu");
    private static final ClassDesc CD_MULDIV = ClassDesc.of("dev.jvisor.cpu.MulDiv");
    private static final ClassDesc CD_FAULT = ClassDesc.of("dev.jvisor.cpu.CpuFault");
    private static final ClassDesc CD_INTS = CD_int.arrayType();
    private static final ClassDesc CD_INSN = ClassDesc.of("dev.jvisor.cpu.Insn");
    private static final ClassDesc CD_INSNS = CD_INSN.arrayType();
    private static final ClassDesc CD_LONGS = CD_long.arrayType();
    private static final MethodTypeDesc MT_LD = MethodTypeDesc.of(CD_int, CD_LONGS, CD_int);
    private static final MethodTypeDesc MT_ST = MethodTypeDesc.of(CD_void, CD_LONGS, CD_int, CD_int);
    private static final ClassDesc CD_INTEGER = ClassDesc.of("java.lang.Integer");
    private static final MethodTypeDesc MT_I_III = MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int);
    /** Units are version-49 class files (see generate): no stack maps, so no class hierarchy to resolve. */
    private static final ClassFile CF = ClassFile.of();

    /**
     * The operand stack depth a unit is declared to need. The ClassFile API would compute it by walking
     * the bytecode (its {@code StackCounter}): 10% of the time to generate a unit, and that walker's own C2
     * compiles took 0.3 s of the JIT's time in a boot (0.47 s in a boot plus WL1). The emitter's deepest
     * sequence is a helper call's arguments over a value or two (6 in the units of a Linux boot, by
     * {@code javap}); the JVM's verifier checks the bound for every unit, so a unit that needed more would
     * fail to load and stay on the interpreter, counted as a translation failure (the tests assert none).
     */
    static final int MAX_STACK = 16;

    /**
     * Whether the maxima can be given to the ClassFile API (its implementation package is exported to us:
     * the launcher and the test runner do it). Otherwise the API computes them, as it did before.
     */
    static final boolean GIVE_MAXS = Object.class.getModule().isExported("jdk.internal.classfile.impl",
            BtTranslator.class.getModule());

    // local variable slots of run(Vcpu)
    private static final int C = 1, R0 = 2, FOP = 10, FA = 11, FB = 12, FRES = 13, FMASK = 14, IC = 15, REIP = 17,
            LIN = 18, E = 19, V = 20, T = 21, T2 = 22, XEIP = 24, XIDX = 25, EXC = 26,
            PSHIFT = 28, PSHIFTA = 29, TR = 30, TW = 31, PEND = 32, IC0 = 33;
    // static flag state: a known lazy op (Alu.OP_*), or
    private static final int ST_IN_C = -2, ST_DYN = -1;

    static final class PageEnd extends RuntimeException {
        PageEnd() {
            super(null, null, false, false);
        }
    }

    static final PageEnd PAGE_END = new PageEnd();

    private final Vcpu c;

    BtTranslator(Vcpu c) {
        this.c = c;
    }

    // ---- per-translation state ----
    private CodeBuilder b;
    private List<Insn> insns;
    private int[] eips;
    private Label[] labels;
    private int[] labelSt, labelSize;
    private int st, stSize;
    private int written;
    private final List<int[]> exits = new ArrayList<>();
    private final List<Runnable> stubs = new ArrayList<>();
    /** Instructions run by the interpreter inside the unit (BtBlock.helperInsns, by index). */
    private final List<Insn> helperInsns = new ArrayList<>();
    private Label common, head;
    private int startEip;
    private int endOp;
    /** Instructions retired since the last update of the IC local (see flushIc). */
    private int pend;

    /**
     * Translates the block at physical address pa (entered at eip). Returns null when its first
     * instruction is not translatable.
     */
    BtBlock translate(int pa, int eip) throws Throwable {
        int max = MAX_INSNS;
        while (true) {
            if (!trace(pa, eip, max)) {
                return null;
            }
            if (max == MAX_INSNS && insns.size() >= max && !hasBackEdge() && firstInnerBackEdge(0) < 0) {
                // cut at the size limit: a loop whose body is longer (busybox md5's four rounds, 55 instructions
                // each) would take two units and a chained call per iteration. If a longer trace closes the loop
                // back to the start, it becomes one unit, ending after its last back-edge: one JVM loop for C2.
                // Else, if it runs into a loop and closes it (code before a loop, then the loop: md5's rounds
                // again, entered from the code between them), it ends after that loop's first back-edge: the
                // loop is a JVM loop inside the unit, where the code before it would otherwise have run part of
                // the first pass and left for a unit at the loop head (three units per round instead of one).
                trace(pa, eip, MAX_LOOP_INSNS);
                int last = lastBackEdge();
                if (last < 0) {
                    last = firstInnerBackEdge(MAX_INSNS);
                }
                if (last >= 0) {
                    max = last + 1;
                }
                trace(pa, eip, max);
            }
            byte[] bytes = generate();
            if (DUMP != null) {
                java.nio.file.Files.write(java.nio.file.Path.of(DUMP, String.format("u%08x-%d.class", eip, max)), bytes);
            }
            if (codeLength(bytes) <= MAX_CODE || max <= 2) {
                MethodHandles.Lookup hl = LOOKUP.defineHiddenClass(bytes, true);
                // the unit's class has no constructor and no fields of its own: an instance needs no more than
                // allocating (a method handle to a constructor, adapted and invoked once per unit, cost 6% of
                // the translation time)
                BtBlock blk = (BtBlock) UNSAFE.allocateInstance(hl.lookupClass());
                blk.valid = true;
                blk.eip = eip;
                blk.pa = pa;
                blk.stack32 = c.stack32;
                blk.n = insns.size();
                int nx = exits.size();
                blk.kind = new int[nx];
                blk.target = new int[nx];
                blk.op = new int[nx];
                blk.succ = new BtBlock[nx];
                blk.onPage = new boolean[nx];
                blk.helperInsns = helperInsns.toArray(new Insn[0]);
                for (int i = 0; i < nx; i++) {
                    blk.kind[i] = exits.get(i)[0];
                    blk.target[i] = exits.get(i)[1];
                    blk.op[i] = exits.get(i)[2];
                    blk.onPage[i] = blk.kind[i] == BtBlock.CHAIN && ((blk.target[i] ^ eip) & ~0xfff) == 0;
                }
                if (blk.n > MAX_INSNS) {
                    loopUnits++; // only a loop is taken longer
                }
                return blk;
            }
            max = insns.size() / 2;
        }
    }

    /**
     * The length of the bytecode of the class's first method with code (a unit's {@code run}), read off
     * the class file (JVMS 4.1, 4.4, 4.7.3): the constant pool skipped entry by entry, then the methods'
     * attributes. Parsing the class with the ClassFile API to ask this cost 7% of the translation time.
     */
    static int codeLength(byte[] b) {
        int p = 8;
        int count = u2(b, p);
        p += 2;
        int code = -1; // the constant pool index of the Utf8 "Code"
        for (int i = 1; i < count; i++) {
            int tag = b[p] & 0xff;
            if (tag == 1 && u2(b, p + 1) == 4 && b[p + 3] == 'C' && b[p + 4] == 'o' && b[p + 5] == 'd' && b[p + 6] == 'e') {
                code = i;
            }
            p += switch (tag) {
                case 1 -> 3 + u2(b, p + 1); // Utf8
                case 3, 4, 9, 10, 11, 12, 17, 18 -> 5; // Integer, Float, refs, NameAndType, (Invoke)Dynamic
                case 5, 6 -> 9; // Long, Double: two entries
                case 7, 8, 16, 19, 20 -> 3; // Class, String, MethodType, Module, Package
                case 15 -> 4; // MethodHandle
                default -> throw new IllegalArgumentException("constant pool tag " + tag);
            };
            if (tag == 5 || tag == 6) {
                i++;
            }
        }
        p += 6; // access, this, super
        p += 2 + 2 * u2(b, p); // interfaces
        for (int pass = 0; pass < 2; pass++) { // fields, then methods
            int members = u2(b, p);
            p += 2;
            for (int m = 0; m < members; m++) {
                int attrs = u2(b, p + 6);
                p += 8;
                for (int a = 0; a < attrs; a++) {
                    if (pass == 1 && u2(b, p) == code) {
                        return u4(b, p + 10); // after the name and length: max_stack, max_locals, code_length
                    }
                    p += 6 + u4(b, p + 2);
                }
            }
        }
        return 0;
    }

    private static int u2(byte[] b, int p) {
        return (b[p] & 0xff) << 8 | b[p + 1] & 0xff;
    }

    private static int u4(byte[] b, int p) {
        return u2(b, p) << 16 | u2(b, p + 2);
    }

    // =====================================================================================
    // Block formation
    // =====================================================================================

    /** Whether the last decode followed a Jcc (see decode). */
    private boolean followedJcc;

    private boolean decode(int pa, int eip, int max, boolean followJcc) {
        followedJcc = false;
        insns = new ArrayList<>();
        List<Integer> e = new ArrayList<>();
        Vcpu cpu = c;
        int page = pa & ~0xfff;
        int off = pa & 0xfff;
        int cur = eip;
        endOp = -1;
        while (insns.size() < max) {
            Insn in = new Insn();
            final int start = off;
            try {
                cpu.interp.decodePhysical(page + start, in);
            } catch (PageEnd | CpuFault x) {
                endOp = 0x3ff; // crosses the page (or too long): the interpreter takes it
                break;
            }
            if (!supported(in) && !inlineInterp(in) && !inlineCallout(in)) {
                endOp = in.op & 0xffff;
                break;
            }
            insns.add(in);
            e.add(cur);
            cur += in.length;
            off += in.length;
            int op = in.op;
            if ((op == 0xe8 || op == 0xe9 || op == 0xeb) && supported(in)) {
                // a direct JMP/CALL to elsewhere on this page: the trace goes on there (not to the
                // start, which is a loop back-edge, nor to an instruction already in the trace)
                int target = cur + (op == 0xeb ? (byte) in.imm : in.imm);
                if (((target ^ eip) & ~0xfff) != 0 || target == eip || e.contains(target)) {
                    break;
                }
                off = target & 0xfff;
                cur = target;
                continue;
            }
            if (followJcc && (op >= 0x70 && op <= 0x7f || op >= 0x180 && op <= 0x18f) && supported(in)
                    && mostlyTaken(page | start)) {
                // a Jcc the interpreter mostly took: the trace goes on at its target when that is on this
                // page (not the start: a loop back-edge; not in the trace already); not taken becomes the side exit
                int target = cur + (op < 0x80 ? (byte) in.imm : in.imm);
                if (((target ^ eip) & ~0xfff) == 0 && target != eip && !e.contains(target)) {
                    off = target & 0xfff;
                    cur = target;
                    followedJcc = true;
                    continue;
                }
            }
            if (endsBlock(in) || off >= 4096) {
                break;
            }
        }
        if (insns.isEmpty()) {
            return false;
        }
        eips = new int[insns.size() + 1];
        for (int i = 0; i < insns.size(); i++) {
            eips[i] = e.get(i);
        }
        eips[insns.size()] = cur;
        startEip = eip;
        return true;
    }

    /**
     * Whether the interpreter's decoded instruction at pa is a Jcc it took more often than not in its recent runs
     * ({@link Insn#bias}). Before session 20 the trace followed the way a Jcc went the last time: gzip's
     * longest_match loop, whose first compare mostly branches to the chain step, became a unit along the rarer
     * match path when the run before translation happened to match, and each iteration then took two units.
     */
    private boolean mostlyTaken(int pa) {
        Insn[] page = c.decoded.get(pa >>> 12);
        Insn cached = page == null ? null : page[pa & 0xfff];
        return cached != null && cached.bias > 0;
    }

    private static boolean endsBlock(Insn in) {
        int op = in.op;
        return op == 0xe8 || op == 0xe9 || op == 0xeb || op == 0xc2 || op == 0xc3
                || (op == 0xff && (in.regField == 2 || in.regField == 4));
    }

    /** Whether the translator handles this decoded instruction (32-bit code, flat CS). */
    boolean supported(Insn in) {
        int op = in.op;
        if (op > 0x1ff || (in.prefixes & Insn.P_LOCK) != 0) {
            return false;
        }
        if (in.hasModrm && in.mod != 3 && in.adSize != 4) {
            return false;
        }
        boolean os4 = in.opSize == 4;
        boolean mem = in.hasModrm && in.mod != 3;
        if (op < 0x40) {
            return (op & 7) < 6;
        }
        if (op >= 0x40 && op <= 0x4f) {
            return true;
        }
        if (op >= 0x50 && op <= 0x5f) {
            return os4 && c.stack32;
        }
        if (op >= 0x70 && op <= 0x7f) {
            return os4;
        }
        if (op >= 0xb0 && op <= 0xbf) {
            return true;
        }
        if (op >= 0x140 && op <= 0x14f || op >= 0x190 && op <= 0x19f) {
            return true;
        }
        if (op >= 0x180 && op <= 0x18f) {
            return os4;
        }
        return switch (op) {
            case 0x68, 0x6a, 0x9c -> os4 && c.stack32;
            case 0x69, 0x6b, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
                    0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0xa8, 0xa9, 0x1af, 0x1b6, 0x1b7, 0x1be, 0x1bf -> true;
            case 0x8d -> mem;
            case 0x90 -> (in.prefixes & Insn.P_REP) == 0;
            case 0xa0, 0xa1, 0xa2, 0xa3 -> in.adSize == 4;
            case 0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf -> in.adSize == 4 && !in.rep();
            case 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3 -> true;
            case 0xc2, 0xc3, 0xc9, 0xe8 -> os4 && c.stack32;
            case 0xe9, 0xeb -> os4;
            case 0xc6, 0xc7 -> in.regField == 0;
            case 0xf6, 0xf7, 0x9e, 0xfa, 0xfc, 0xfd, 0x1bc, 0x1bd -> true;
            case 0x1a4, 0x1a5, 0x1ac, 0x1ad -> in.mod == 3;
            case 0xfe -> in.regField <= 1;
            case 0xff -> in.regField <= 1 || ((in.regField == 2 || in.regField == 4 || in.regField == 6) && os4 && c.stack32);
            default -> false;
        };
    }

    /**
     * Whether an instruction the translator does not generate code for may still run inside the unit
     * by a call to the interpreter (one instruction; {@link BtRt#interp}). Excluded: sensitive
     * instructions (callouts: they end the unit so the engine counts them and events are checked; the
     * few that may stay in it are {@link #inlineCallout}'s), and everything that can change what
     * translated code assumes at entry (CS, SS.B, CPL, paging, IF/TF/VM): those are all callouts
     * already. A control transfer or a REP chunk that stays on the instruction is fine: the unit
     * leaves when EIP is not the next instruction.
     */
    static boolean inlineInterp(Insn in) {
        int op = in.op;
        return op <= 0x1ff && !BtStats.isCallout(op);
    }

    /**
     * Sensitive instructions run inside the unit by the interpreter's handler ({@link BtRt#sensitive}) instead
     * of ending it: STI and POPF (the unit leaves after them only when an opened interrupt window has something
     * waiting, or TF was set) and RDTSC (the interpreter's under RDTSC exiting). Each was a unit exit and
     * straight-line interpreted code up to the next branch, ~30,000 times per 8 MiB of WL1 (spin_unlock_irq,
     * local_irq_restore, sched_clock). Also MOV and POP to DS, ES, FS and GS (Linux's syscall entry and exit,
     * ~9,000 times per 8 MiB of WL1): the unit leaves after one only when it changed which segments are flat,
     * which the unit's accesses were translated for ({@code Vcpu.flatMask}, checked on entry); not SS (SS.B, the
     * shadow).
     */
    static boolean inlineCallout(Insn in) {
        int op = in.op;
        return op == 0xfb || op == 0x9d || op == 0x131
                || (op == 0x8e && in.regField != Segment.SS) || op == 0x07 || op == 0x1f || op == 0x1a1 || op == 0x1a9;
    }

    /** Translated or run inline by the interpreter: the unit does not end before it. */
    boolean translatable(Insn in) {
        // the cheap tests first: they decide for all but callouts
        return inlineInterp(in) || inlineCallout(in) || supported(in);
    }

    // =====================================================================================
    // Class generation
    // =====================================================================================

    private byte[] generate() {
        exits.clear();
        helperInsns.clear();
        // named by the entry EIP (BtGen_c1234567, hex; the JVM adds /0x... to a hidden class's name), so that profilers,
        // JFR's compilation events and -XX:CompileCommand patterns show which guest code a unit is
        return CF.build(ClassDesc.of("dev.jvisor.cpu.BtGen_" + Integer.toHexString(startEip)), cb -> {
            // class file version 49 (Java 5): no StackMapTable, which the ClassFile API would compute in Java for
            // every unit (its own C2 compiles took 0.45 s of a boot plus four gzip rounds); the JVM checks
            // such a class with its type-inferring verifier instead
            cb.withVersion(ClassFile.JAVA_5_VERSION, 0);
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
            cb.withSuperclass(CD_BLOCK); // no constructor: translate() allocates the instance
            cb.withMethodBody("run", MethodTypeDesc.of(CD_int, CD_VCPU), ClassFile.ACC_FINAL, this::body);
        });
    }

    private void body(CodeBuilder code) {
        this.b = code;
        if (GIVE_MAXS) {
            jdk.internal.classfile.impl.DirectCodeBuilder.withMaxs(code, MAX_STACK, IC0 + 2);
        }
        stubs.clear();
        written = 0;
        int n = insns.size();
        labels = new Label[n + 1];
        labelSt = new int[n + 1];
        labelSize = new int[n + 1];
        for (int i = 0; i <= n; i++) {
            labels[i] = b.newLabel();
            labelSt[i] = Integer.MIN_VALUE;
        }
        for (int i = 0; i < n; i++) {
            int h = innerBackEdgeHead(i);
            if (h > 0) {
                labelSt[h] = ST_DYN; // an inner loop head: its back-edge arrives with any flags record
            }
        }
        common = b.newLabel();
        head = b.newLabel();
        // a dry call (BtEngine.warm) returns before anything
        Label live = b.newLabel();
        b.aload(C).getfield(CD_VCPU, "btDry", CD_boolean).ifeq(live);
        b.iconst_0().ireturn();
        b.labelBinding(live);
        // the check that the segments the accesses take as flat still are, emitted at the end (when they are known)
        flatAtTranslation = c.flatMask;
        flatRequired = 0;
        Label flatCheck = b.newLabel();
        Label entry = b.newLabel();
        b.goto_(flatCheck);
        b.labelBinding(entry);
        // prologue: registers and an empty flags record (FOP -1: the record is in the Vcpu)
        for (int r = 0; r < 8; r++) {
            regFromVcpu(r);
        }
        ic(-1);
        b.istore(FOP);
        for (int s : new int[] {FA, FB, FRES, FMASK, LIN, E, V, T, T2, XEIP, XIDX, PSHIFT, PSHIFTA}) {
            b.iconst_0().istore(s);
        }
        ic(startEip);
        b.istore(REIP);
        b.aload(C).getfield(CD_VCPU, "icount", CD_long).lstore(IC);
        b.iconst_0().istore(PEND);
        pend = 0;
        profile = c.bt != null && c.bt.profileUnits;
        if (profile) {
            // the unit profile (--stats): one more entry; IC0 is icount on entry
            b.aload(0).dup().getfield(CD_BLOCK, "runs", CD_long).lconst_1().ladd().putfield(CD_BLOCK, "runs", CD_long);
            b.lload(IC).lstore(IC0);
        }
        loadTlbTables();
        Label tryStart = b.newLabel();
        Label tryEnd = b.newLabel();
        Label handler = b.newLabel();
        b.labelBinding(tryStart);
        b.labelBinding(head);
        st = hasBackEdge() ? ST_DYN : ST_IN_C;
        pendingClearAt = -1;
        anyPendingShift = false;
        boolean reachable = true;
        for (int i = 0; i < n; i++) {
            if (labelSt[i] != Integer.MIN_VALUE) {
                // a jump target: every way in has the instruction count flushed to IC
                if (reachable) {
                    flushIc();
                }
                pend = 0;
                if (!reachable) {
                    st = labelSt[i];
                    stSize = labelSize[i];
                } else if (st != labelSt[i] || (st > 0 && stSize != labelSize[i])) {
                    st = ST_DYN;
                }
                reachable = true;
            }
            b.labelBinding(labels[i]);
            if (!reachable) {
                continue; // dead code after an unconditional exit (cannot happen: the trace ends there)
            }
            if (i == pendingClearAt) {
                b.iconst_0().istore(PSHIFT); // the deferred shift's flags are overwritten now
                pendingClearAt = -1;
            }
            reachable = insn(i, insns.get(i));
        }
        b.labelBinding(labels[n]);
        if (reachable) {
            if (endOp >= 0 && endOp != 0x3ff) {
                exitTo(eips[n], BtBlock.END, endOp);
            } else {
                // straight on at the size limit or the page end (0x3ff: before an instruction no unit can start with)
                exitTo(eips[n], BtBlock.CHAIN, endOp == -1 ? BtBlock.CONTINUES : 0);
            }
        }
        b.labelBinding(tryEnd);
        for (int i = 0; i < stubs.size(); i++) {
            pend = 0; // each stub starts where IC was flushed (a branch, an inline instruction's return)
            stubs.get(i).run();
        }
        // shared exit: write back, EIP, icount; record this unit as the one left; then either go on into the
        // exit's chained successor (a call from a call site of its own, so HotSpot's inline cache makes it a
        // direct call) or return the exit index to the dispatcher
        b.labelBinding(common);
        writeBack();
        if (profile) {
            retired(false);
        }
        b.aload(C).iload(XEIP).putfield(CD_VCPU, "eip", CD_int);
        b.aload(C).lload(IC).putfield(CD_VCPU, "icount", CD_long);
        b.aload(C).aload(0).putfield(CD_VCPU, "btLast", CD_BLOCK);
        // the chained successor runs from BtRt.chain, not from a switch and a call site per exit here: branches
        // in this method that a unit's profile had never seen taken (a successor missing, an exit not yet left by)
        // became C2 uncommon traps, and each first use deoptimized the unit back to the JVM's interpreter
        b.aload(C).aload(0).iload(XIDX);
        b.invokestatic(CD_RT, "chain", MethodTypeDesc.of(CD_int, CD_VCPU, CD_BLOCK, CD_int));
        b.ireturn();
        // fault handler: the locals hold the state as of the faulting instruction's start
        b.labelBinding(handler);
        b.astore(EXC);
        writeBack();
        if (anyPendingShift) {
            Label none = b.newLabel();
            b.iload(PSHIFT).ifeq(none);
            b.aload(C).iload(PSHIFT).iload(PSHIFTA).invokestatic(CD_RT, "pendingShift", MethodTypeDesc.of(CD_void, CD_VCPU, CD_int, CD_int));
            b.labelBinding(none);
        }
        if (profile) {
            retired(true);
        }
        b.aload(C).iload(REIP).putfield(CD_VCPU, "eip", CD_int);
        b.aload(C).lload(IC).iload(PEND).i2l().ladd().putfield(CD_VCPU, "icount", CD_long);
        b.aload(C).aload(0).putfield(CD_VCPU, "btLast", CD_BLOCK);
        b.aload(C).aload(EXC);
        ic(addExit(BtBlock.FAULT, 0, 0));
        int miss = addExit(BtBlock.MISS, 0, 0);
        b.invokestatic(CD_RT, "fault", MethodTypeDesc.of(CD_int, CD_VCPU, CD_FAULT, CD_int));
        b.ireturn();
        b.exceptionCatch(tryStart, tryEnd, handler, CD_FAULT);
        // on entry: a segment the accesses take as flat is not (any more): the unit is dropped (its start is
        // translated again when hot, for the segments as they are then) and the interpreter runs the instruction
        b.labelBinding(flatCheck);
        if (flatRequired != 0) {
            Label stale = b.newLabel();
            b.aload(C).getfield(CD_VCPU, "flatMask", CD_int);
            ic(flatRequired);
            b.iand();
            ic(flatRequired);
            b.if_icmpne(stale);
            b.goto_(entry);
            b.labelBinding(stale);
            b.aload(0).iconst_0().putfield(CD_BLOCK, "valid", CD_boolean);
            b.aload(C).aload(0).putfield(CD_VCPU, "btLast", CD_BLOCK);
            ic(miss);
            b.ireturn();
        } else {
            b.goto_(entry);
        }
    }

    /** Decodes the trace at pa for up to max instructions, following taken branches only where that closes a loop. */
    private boolean trace(int pa, int eip, int max) {
        if (!decode(pa, eip, max, true)) {
            return false;
        }
        if (followedJcc && !hasBackEdge()) {
            // following the branches the interpreter took did not close a loop back to the start: the plain
            // trace. Measured (A/B, 3 runs): following every such branch made WL2 22% faster (gzip's
            // longest_match chain loop becomes one JVM loop) and WL1 14% slower (kernel code); following
            // only into loops keeps WL2's gain and WL1 as it was.
            decode(pa, eip, max, false);
        }
        return true;
    }

    /** Whether some branch goes back to the block start (then the flags record at the start is dynamic). */
    private boolean hasBackEdge() {
        return lastBackEdge() >= 0;
    }

    /** The index of the last instruction that branches back to the block start, or -1. */
    private int lastBackEdge() {
        int last = -1;
        for (int i = 0; i < insns.size(); i++) {
            if (isDirectBranch(i) && directTarget(i) == startEip) {
                last = i;
            }
        }
        return last;
    }

    /** Whether instruction i is a direct JMP, CALL or Jcc. */
    private boolean isDirectBranch(int i) {
        int op = insns.get(i).op;
        return op >= 0x70 && op <= 0x7f || op == 0xeb || op >= 0x180 && op <= 0x18f || op == 0xe8 || op == 0xe9;
    }

    /** The static target of direct branch i. */
    private int directTarget(int i) {
        Insn in = insns.get(i);
        int op = in.op;
        return eips[i] + in.length + (op >= 0x70 && op <= 0x7f || op == 0xeb ? (byte) in.imm : in.imm);
    }

    /**
     * The index of the instruction at eip among instructions 1..i of the trace, or -1: the head of a loop inside
     * the unit, where a branch at i goes back to (the first such index if straight-line code after a followed
     * jump came back to an EIP already in the trace: the code at both is the same).
     */
    private int innerHead(int eip, int i) {
        for (int k = 1; k <= i; k++) {
            if (eips[k] == eip) {
                return k;
            }
        }
        return -1;
    }

    /** The inner loop head that direct branch i goes back to (see innerHead), or -1 (also for other instructions). */
    private int innerBackEdgeHead(int i) {
        return isDirectBranch(i) ? innerHead(directTarget(i), i) : -1;
    }

    /** The index of the first instruction at or after from that branches back to an inner loop head, or -1. */
    private int firstInnerBackEdge(int from) {
        for (int i = from; i < insns.size(); i++) {
            if (innerBackEdgeHead(i) > 0) {
                return i;
            }
        }
        return -1;
    }

    /** Whether this unit counts its runs and retired instructions (BtBlock.runs, retired). */
    private boolean profile;

    /** The unit profile at an exit: retired += IC (+ PEND at a fault: those before it) - IC0. */
    private void retired(boolean fault) {
        b.aload(0).dup().getfield(CD_BLOCK, "retired", CD_long);
        b.lload(IC);
        if (fault) {
            b.iload(PEND).i2l().ladd();
        }
        b.lload(IC0).lsub().ladd().putfield(CD_BLOCK, "retired", CD_long);
    }

    private void writeBack() {
        for (int r = 0; r < 8; r++) {
            if ((written & (1 << r)) != 0) {
                regToVcpu(r);
            }
        }
        Label skip = b.newLabel();
        b.iload(FOP).iflt(skip);
        storeRecord();
        b.labelBinding(skip);
    }

    private void storeRecord() {
        b.aload(C).iload(FOP).putfield(CD_VCPU, "lfOp", CD_int);
        b.aload(C).iload(FA).putfield(CD_VCPU, "lfA", CD_int);
        b.aload(C).iload(FB).putfield(CD_VCPU, "lfB", CD_int);
        b.aload(C).iload(FRES).putfield(CD_VCPU, "lfRes", CD_int);
        b.aload(C).iload(FMASK).putfield(CD_VCPU, "lfMask", CD_int);
    }

    private int addExit(int kind, int target, int op) {
        exits.add(new int[] {kind, target, op});
        return exits.size() - 1;
    }

    /** Leaves the block for a static EIP. */
    private void exitTo(int eip, int kind, int op) {
        flushIc();
        int x = addExit(kind, eip, op);
        ic(eip);
        b.istore(XEIP);
        ic(x);
        b.istore(XIDX);
        b.goto_(common);
    }

    /** Leaves the block for the EIP on the stack. */
    private void exitIndirect() {
        flushIc();
        b.istore(XEIP);
        ic(addExit(BtBlock.INDIRECT, 0, 0));
        b.istore(XIDX);
        b.goto_(common);
    }

    private void ic(int v) {
        b.loadConstant(v);
    }

    // =====================================================================================
    // Operands
    // =====================================================================================

    private void ldReg(int size, int r) {
        if (size == 4) {
            b.iload(R0 + r);
        } else if (size == 2) {
            b.iload(R0 + r);
            ic(0xffff);
            b.iand();
        } else if (r < 4) {
            b.iload(R0 + r);
            ic(0xff);
            b.iand();
        } else {
            b.iload(R0 + r - 4);
            ic(8);
            b.iushr();
            ic(0xff);
            b.iand();
        }
    }

    /** Stores the value on the stack into a register of the size (partial registers merged). */
    private void stReg(int size, int r) {
        if (size == 4) {
            b.istore(R0 + r);
            written |= 1 << r;
        } else if (size == 2) {
            ic(0xffff);
            b.iand().iload(R0 + r);
            ic(0xffff0000);
            b.iand().ior().istore(R0 + r);
            written |= 1 << r;
        } else if (r < 4) {
            ic(0xff);
            b.iand().iload(R0 + r);
            ic(~0xff);
            b.iand().ior().istore(R0 + r);
            written |= 1 << r;
        } else {
            ic(0xff);
            b.iand();
            ic(8);
            b.ishl().iload(R0 + r - 4);
            ic(~0xff00);
            b.iand().ior().istore(R0 + r - 4);
            written |= 1 << (r - 4);
        }
    }

    private void ea(Insn in) {
        ic(in.disp);
        if (in.base >= 0) {
            b.iload(R0 + in.base).iadd();
        }
        if (in.index >= 0) {
            b.iload(R0 + in.index);
            if (in.scale != 0) {
                ic(in.scale);
                b.ishl();
            }
            b.iadd();
        }
    }

    /** LIN = linear address of seg:(offset on stack) for a read (or write) of size bytes (segment checks). */
    private void lin(int seg, int size, boolean write) {
        b.istore(LIN);
        int bit = 1 << (seg + (write ? 8 : 0));
        if ((flatAtTranslation & bit) != 0) {
            // flat when translated: the unit checks once on entry that it still is (a segment load inside the unit
            // leaves it when it changed which segments are flat: BtRt.sensitive), and the linear address is the offset
            flatRequired |= bit;
            return;
        }
        b.aload(C);
        ic(seg);
        b.iload(LIN);
        ic(size);
        b.invokevirtual(CD_VCPU, write ? "linWrite" : "linRead", MT_I_III);
        b.istore(LIN);
    }

    /** c.flatMask when the unit is translated, and the bits of it the unit's accesses assume (checked on entry). */
    private int flatAtTranslation, flatRequired;

    private void linE(Insn in, int size, boolean write) {
        ea(in);
        lin(in.seg(), size, write);
    }

    private static int mask(int size) {
        return size == 4 ? -1 : size == 2 ? 0xffff : 0xff;
    }

    private static int sign(int size) {
        return size == 4 ? 0x80000000 : size == 2 ? 0x8000 : 0x80;
    }

    /**
     * Pushes the value at LIN (zero-extended): one call to a helper with the TLB hit path (HotSpot inlines
     * it where the access is hot; less bytecode for the JVM's interpreter and C1, which run a new unit for
     * its first thousands of runs). A miss leaves the unit (BtRt.MISS).
     */
    private void load(int size) {
        b.aload(TR).iload(LIN);
        b.invokestatic(CD_RT, size == 4 ? "ld32" : size == 2 ? "ld16" : "ld8", MT_LD);
    }

    /** The vCPU's copy of guest register r from its local. */
    private void regToVcpu(int r) {
        b.aload(C).getfield(CD_VCPU, "reg", CD_INTS);
        ic(r);
        b.iload(R0 + r).iastore();
    }

    /** Guest register r's local from the vCPU. */
    private void regFromVcpu(int r) {
        b.aload(C).getfield(CD_VCPU, "reg", CD_INTS);
        ic(r);
        b.iaload().istore(R0 + r);
    }

    /** The vCPU's TLB tables for its CPL into TR and TW (the CPL cannot change inside a unit: far transfers end it). */
    private void loadTlbTables() {
        b.aload(C).getfield(CD_VCPU, "hostRead", CD_LONGS).astore(TR);
        b.aload(C).getfield(CD_VCPU, "hostWrite", CD_LONGS).astore(TW);
    }

    /**
     * Stores V at LIN through BtRt.sto*. A miss leaves the unit before the store (BtRt.MISS), so it never
     * writes code (code pages have no write entries), and a read-modify-write needs no write probe: the
     * store's miss rolls the whole instruction back to the interpreter, which faults as a write.
     */
    private void store(int size) {
        b.aload(TW).iload(LIN).iload(V);
        b.invokestatic(CD_RT, size == 4 ? "sto32" : size == 2 ? "sto16" : "sto8", MT_ST);
    }

    /** Pushes the E operand (register or memory) of the size. */
    private void loadE(Insn in, int size) {
        if (in.mod == 3) {
            ldReg(size, in.rm);
        } else {
            linE(in, size, false);
            load(size);
        }
    }

    // =====================================================================================
    // Flags
    // =====================================================================================

    /** Materializes the lazy record in the Vcpu (for helpers and generic condition evaluation). */
    private void sync() {
        if (st == ST_IN_C) {
            return;
        }
        if (st == ST_DYN) {
            Label skip = b.newLabel();
            b.iload(FOP).iflt(skip);
            storeRecord();
            ic(-1);
            b.istore(FOP);
            b.labelBinding(skip);
        } else {
            storeRecord();
            ic(-1);
            b.istore(FOP);
        }
        st = ST_IN_C;
    }

    /** Sets the record from T (a), T2 (b) and V (result). */
    private void setFlags(int op, int size) {
        b.iload(T).istore(FA);
        b.iload(T2).istore(FB);
        b.iload(V).istore(FRES);
        ic(op);
        b.istore(FOP);
        ic(sign(size));
        b.istore(FMASK);
        st = op;
        stSize = size;
    }

    /** Before INC/DEC: CF of the current record goes into the flags word (Alu.saveCarry). */
    private void saveCarry() {
        if (st == Alu.OP_INC || st == Alu.OP_DEC) {
            return;
        }
        if (st == Alu.OP_ADD || st == Alu.OP_SUB || st == Alu.OP_LOGIC || st == Alu.OP_FLAGS) {
            b.aload(C).aload(C).getfield(CD_VCPU, "flags", CD_int);
            ic(~Vcpu.CF);
            b.iand();
            if (st == Alu.OP_FLAGS) {
                b.iload(FA);
                ic(Vcpu.CF);
                b.iand().ior();
            } else if (st != Alu.OP_LOGIC) {
                b.iload(FA).iload(FB).iload(FRES).iload(FMASK);
                b.invokestatic(CD_RT, st == Alu.OP_ADD ? "cfAdd" : "cfSub", MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int, CD_int));
                b.ior();
            }
            b.putfield(CD_VCPU, "flags", CD_int);
            return;
        }
        sync();
        b.aload(C).invokestatic(CD_ALU, "saveCarry", MethodTypeDesc.of(CD_void, CD_VCPU));
    }

    private void signExt(int size) {
        if (size == 1) {
            b.i2b();
        } else if (size == 2) {
            b.i2s();
        }
    }

    /** Branches to t when condition cc holds (SDM B.1.4.7), falls through otherwise. */
    private void cond(int cc, Label t) {
        if (st == Alu.OP_SUB) {
            switch (cc) {
                case 2, 3, 6, 7 -> {
                    b.iload(FA);
                    if (stSize == 4) {
                        ic(0x80000000);
                        b.ixor();
                    }
                    b.iload(FB);
                    if (stSize == 4) {
                        ic(0x80000000);
                        b.ixor();
                    }
                    switch (cc) {
                        case 2 -> b.if_icmplt(t);
                        case 3 -> b.if_icmpge(t);
                        case 6 -> b.if_icmple(t);
                        default -> b.if_icmpgt(t);
                    }
                    return;
                }
                case 12, 13, 14, 15 -> {
                    b.iload(FA);
                    signExt(stSize);
                    b.iload(FB);
                    signExt(stSize);
                    switch (cc) {
                        case 12 -> b.if_icmplt(t);
                        case 13 -> b.if_icmpge(t);
                        case 14 -> b.if_icmple(t);
                        default -> b.if_icmpgt(t);
                    }
                    return;
                }
                default -> { }
            }
        }
        if (st == Alu.OP_LOGIC) {
            switch (cc) {
                case 0, 2 -> {
                    return; // OF = CF = 0
                }
                case 1, 3 -> {
                    b.goto_(t);
                    return;
                }
                case 6 -> {
                    b.iload(FRES).ifeq(t);
                    return;
                }
                case 7 -> {
                    b.iload(FRES).ifne(t);
                    return;
                }
                case 12, 13, 14, 15 -> { // OF = 0: SF, !SF, ZF|SF, !ZF&!SF
                    b.iload(FRES);
                    signExt(stSize);
                    switch (cc) {
                        case 12 -> b.iflt(t);
                        case 13 -> b.ifge(t);
                        case 14 -> b.ifle(t);
                        default -> b.ifgt(t);
                    }
                    return;
                }
                default -> { }
            }
        }
        if (st == Alu.OP_FLAGS) {
            int bit = switch (cc >> 1) {
                case 0 -> Vcpu.OF;
                case 1 -> Vcpu.CF;
                case 2 -> Vcpu.ZF;
                case 4 -> Vcpu.SF;
                case 5 -> Vcpu.PF;
                default -> 0;
            };
            if (bit != 0) {
                b.iload(FA);
                ic(bit);
                b.iand();
                if ((cc & 1) == 0) {
                    b.ifne(t);
                } else {
                    b.ifeq(t);
                }
                return;
            }
        }
        if (st > 0 && st != Alu.OP_FLAGS) {
            switch (cc) {
                case 4 -> {
                    b.iload(FRES).ifeq(t);
                    return;
                }
                case 5 -> {
                    b.iload(FRES).ifne(t);
                    return;
                }
                case 8, 9 -> {
                    b.iload(FRES);
                    ic(sign(stSize));
                    b.iand();
                    if (cc == 8) {
                        b.ifne(t);
                    } else {
                        b.ifeq(t);
                    }
                    return;
                }
                default -> { }
            }
        }
        sync();
        b.aload(C);
        ic(cc);
        b.invokestatic(CD_ALU, "cond", MethodTypeDesc.of(CD_boolean, CD_VCPU, CD_int));
        b.ifne(t);
    }

    /** V = a (T) op b (T2) for ALU op 0-7 (flags committed later by aluFlags, except ADC/SBB which use the Vcpu). */
    private void aluCompute(int op, int size) {
        if (op == 2 || op == 3) {
            sync();
            b.aload(C);
            ic(op);
            b.iload(T).iload(T2);
            ic(size);
            b.invokestatic(CD_ALU, "alu", MethodTypeDesc.of(CD_int, CD_VCPU, CD_int, CD_int, CD_int, CD_int));
            b.istore(V);
            return;
        }
        b.iload(T).iload(T2);
        switch (op) {
            case 0 -> b.iadd();
            case 1 -> b.ior();
            case 4 -> b.iand();
            case 6 -> b.ixor();
            default -> b.isub();
        }
        if (size != 4 && (op == 0 || op == 5 || op == 7)) {
            ic(mask(size));
            b.iand();
        }
        b.istore(V);
    }

    private void aluFlags(int op, int size) {
        switch (op) {
            case 0 -> setFlags(Alu.OP_ADD, size);
            case 5, 7 -> setFlags(Alu.OP_SUB, size);
            case 1, 4, 6 -> setFlags(Alu.OP_LOGIC, size);
            default -> { } // ADC/SBB: already in the Vcpu
        }
    }

    // =====================================================================================
    // Instructions
    // =====================================================================================

    /** Emits instruction i; returns whether execution can fall through to the next one. */
    private boolean insn(int i, Insn in) {
        int op = in.op;
        int next = eips[i] + in.length; // fall-through EIP (the trace may continue elsewhere: a followed JMP/CALL)
        ic(eips[i]);
        b.istore(REIP);
        // instructions retired since IC was last brought up to date (a constant here: the fault handler adds it)
        ic(pend);
        b.istore(PEND);
        int size = in.opSize;
        if (!supported(in)) {
            interpInline(in, i);
            return true;
        }
        if (op < 0x40) {
            aluRow(in, op);
        } else if (op <= 0x4f) {
            int r = op & 7;
            ldReg(size, r);
            b.istore(T);
            incDec(op < 0x48, size);
            b.iload(V);
            stReg(size, r);
        } else if (op <= 0x57) {
            ldReg(4, op & 7);
            b.istore(V);
            push();
        } else if (op <= 0x5f) {
            pop();
            b.iload(V);
            stReg(4, op & 7);
        } else if (op == 0x68 || op == 0x6a) {
            ic(op == 0x6a ? (byte) in.imm : in.imm);
            b.istore(V);
            push();
        } else if (op == 0x69 || op == 0x6b || op == 0x1af) {
            if (op == 0x1af) {
                loadE(in, size);
                b.istore(T2);
                ldReg(size, in.regField);
                b.istore(T);
            } else {
                loadE(in, size);
                b.istore(T);
                ic(op == 0x6b ? (byte) in.imm : in.imm);
                b.istore(T2);
            }
            sync();
            b.aload(C).iload(T).iload(T2);
            ic(size);
            b.invokestatic(CD_MULDIV, "imul2", MethodTypeDesc.of(CD_int, CD_VCPU, CD_int, CD_int, CD_int));
            stReg(size, in.regField);
        } else if (op <= 0x7f && op >= 0x70 || op >= 0x180 && op <= 0x18f) {
            int rel = op < 0x80 ? (byte) in.imm : in.imm;
            tick();
            branch(op & 15, next + rel, i);
            return true;
        } else if (op >= 0x80 && op <= 0x83) {
            int sz = (op & 1) == 0 ? 1 : size;
            int imm = (op == 0x83 ? (byte) in.imm : in.imm) & mask(sz);
            aluE(in, in.regField, sz, () -> ic(imm));
        } else if (op == 0x84 || op == 0x85 || op == 0xa8 || op == 0xa9 || ((op == 0xf6 || op == 0xf7) && in.regField < 2)) {
            int sz = (op & 1) == 0 ? 1 : size;
            if (op == 0xa8 || op == 0xa9) {
                ldReg(sz, 0);
            } else {
                loadE(in, sz);
            }
            b.istore(T);
            if (op == 0x84 || op == 0x85) {
                ldReg(sz, in.regField);
            } else {
                ic(in.imm & mask(sz));
            }
            b.istore(T2);
            b.iload(T).iload(T2).iand().istore(V);
            setFlags(Alu.OP_LOGIC, sz);
        } else if (op == 0x86 || op == 0x87) {
            int sz = op == 0x86 ? 1 : size;
            if (in.mod == 3) {
                ldReg(sz, in.rm);
                b.istore(T);
                ldReg(sz, in.regField);
                stReg(sz, in.rm);
                b.iload(T);
                stReg(sz, in.regField);
            } else {
                linE(in, sz, true);
                load(sz);
                b.istore(T);
                ldReg(sz, in.regField);
                b.istore(V);
                store(sz);
                b.iload(T);
                stReg(sz, in.regField);
            }
        } else if (op >= 0x88 && op <= 0x8b) {
            int sz = (op & 1) == 0 ? 1 : size;
            if (op <= 0x89) {
                ldReg(sz, in.regField);
                storeE(in, sz);
            } else {
                loadE(in, sz);
                stReg(sz, in.regField);
            }
        } else if (op == 0x8d) {
            ea(in);
            stReg(size, in.regField);
        } else if (op == 0x90) {
            // NOP
        } else if (op <= 0x97 && op > 0x90) {
            int r = op & 7;
            ldReg(size, r);
            b.istore(T);
            ldReg(size, 0);
            stReg(size, r);
            b.iload(T);
            stReg(size, 0);
        } else if (op == 0x98) {
            if (size == 4) {
                b.iload(R0).i2s();
                stReg(4, 0);
            } else {
                b.iload(R0).i2b();
                stReg(2, 0);
            }
        } else if (op == 0x99) {
            if (size == 4) {
                b.iload(R0);
                ic(31);
                b.ishr();
                stReg(4, Vcpu.EDX);
            } else {
                b.iload(R0).i2s();
                ic(15);
                b.ishr();
                stReg(2, Vcpu.EDX);
            }
        } else if (op >= 0xa0 && op <= 0xa3) {
            int sz = (op & 1) == 0 ? 1 : size;
            int seg = in.seg();
            ic(in.disp);
            lin(seg, sz, op >= 0xa2);
            if (op <= 0xa1) {
                load(sz);
                stReg(sz, 0);
            } else {
                ldReg(sz, 0);
                b.istore(V);
                store(sz);
            }
        } else if (op == 0xa4 || op == 0xa5 || op >= 0xaa && op <= 0xaf) {
            stringOnce(in, op, (op & 1) == 0 ? 1 : size);
        } else if (op >= 0xb0 && op <= 0xbf) {
            ic(in.imm);
            if (op < 0xb8) {
                stReg(1, op & 7);
            } else {
                stReg(size, op & 7);
            }
        } else if (op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
            int sz = (op & 1) == 0 ? 1 : size;
            shift(i, in, sz, op);
        } else if (op == 0xc2 || op == 0xc3) {
            ic(0);
            b.iload(R0 + Vcpu.ESP);
            b.iadd();
            lin(Segment.SS, 4, false);
            load(4);
            b.istore(T);
            b.iinc(R0 + Vcpu.ESP, 4 + (op == 0xc2 ? in.imm : 0));
            written |= 1 << Vcpu.ESP;
            tick();
            b.iload(T);
            exitIndirect();
            return false;
        } else if (op == 0xc6 || op == 0xc7) {
            int sz = op == 0xc6 ? 1 : size;
            ic(in.imm & mask(sz));
            storeE(in, sz);
        } else if (op == 0xc9) { // LEAVE
            b.iload(R0 + Vcpu.EBP).istore(T);
            b.iload(T);
            lin(Segment.SS, 4, false);
            load(4);
            b.istore(V);
            b.iload(T);
            ic(4);
            b.iadd();
            stReg(4, Vcpu.ESP);
            b.iload(V);
            stReg(4, Vcpu.EBP);
        } else if (op == 0xe8) {
            int target = next + in.imm;
            ic(next);
            b.istore(V);
            push();
            tick();
            if (followed(i, target)) {
                return true;
            }
            jump(target, i);
            return false;
        } else if (op == 0xe9 || op == 0xeb) {
            int target = next + (op == 0xeb ? (byte) in.imm : in.imm);
            tick();
            if (followed(i, target)) {
                return true;
            }
            jump(target, i);
            return false;
        } else if ((op == 0xf6 || op == 0xf7) && in.regField >= 4) {
            mulDiv(in, op == 0xf6 ? 1 : size);
        } else if (op == 0xfc || op == 0xfd) { // CLD, STD: DF is not in the flags record
            b.aload(C).aload(C).getfield(CD_VCPU, "flags", CD_int);
            ic(~Vcpu.DF);
            b.iand();
            if (op == 0xfd) {
                ic(Vcpu.DF);
                b.ior();
            }
            b.putfield(CD_VCPU, "flags", CD_int);
        } else if (op == 0xfa) { // CLI: clearing IF opens no interrupt window, so it needs no exit (nor has one under VMX)
            b.aload(C).invokestatic(CD_RT, "cli", MethodTypeDesc.of(CD_void, CD_VCPU));
        } else if (op == 0x9c) { // PUSHF (translated code never runs in virtual-8086 mode, where it can fault)
            sync();
            b.aload(C).invokevirtual(CD_VCPU, "getEflags", MethodTypeDesc.of(CD_int));
            ic(~(Vcpu.VM | Vcpu.RF));
            b.iand().istore(V);
            push();
        } else if (op == 0x9e) { // SAHF
            sync();
            b.aload(C).iload(R0);
            ic(8);
            b.iushr().invokestatic(CD_ALU, "sahf", MethodTypeDesc.of(CD_void, CD_VCPU, CD_int));
        } else if (op == 0x1bc || op == 0x1bd) {
            bitScan(in, op == 0x1bc, size);
        } else if (op == 0x1a4 || op == 0x1a5 || op == 0x1ac || op == 0x1ad) { // SHLD, SHRD with a register destination
            ldReg(size, in.rm);
            b.istore(T);
            ldReg(size, in.regField);
            b.istore(T2);
            sync();
            b.aload(C);
            ic(op <= 0x1a5 ? 1 : 0);
            b.iload(T).iload(T2);
            if ((op & 1) == 0) {
                ic(in.imm);
            } else {
                b.iload(R0 + 1);
            }
            ic(size);
            b.invokestatic(CD_ALU, "doubleShift", MethodTypeDesc.of(CD_int, CD_VCPU, CD_boolean, CD_int, CD_int, CD_int, CD_int));
            stReg(size, in.rm);
        } else if (op == 0xf6 || op == 0xf7) {
            int sz = op == 0xf6 ? 1 : size;
            if (in.mod == 3) {
                ldReg(sz, in.rm);
                b.istore(T2);
            } else {
                linE(in, sz, true);
                load(sz);
                b.istore(T2);
            }
            if (in.regField == 2) { // NOT
                b.iload(T2);
                ic(-1);
                b.ixor();
                ic(mask(sz));
                b.iand().istore(V);
            } else { // NEG
                b.iconst_0().istore(T);
                b.iload(T2).ineg();
                ic(mask(sz));
                b.iand().istore(V);
            }
            if (in.mod == 3) {
                b.iload(V);
                stReg(sz, in.rm);
            } else {
                store(sz);
            }
            if (in.regField == 3) {
                setFlags(Alu.OP_SUB, sz);
            }
        } else if (op == 0xfe || op == 0xff) {
            int sz = op == 0xfe ? 1 : size;
            switch (in.regField) {
                case 0, 1 -> {
                    if (in.mod == 3) {
                        ldReg(sz, in.rm);
                        b.istore(T);
                        incDec(in.regField == 0, sz);
                        b.iload(V);
                        stReg(sz, in.rm);
                    } else {
                        linE(in, sz, true);
                        load(sz);
                        b.istore(T);
                        incDecValue(in.regField == 0, sz);
                        store(sz);
                        incDecFlags(in.regField == 0, sz);
                    }
                }
                case 2 -> { // CALL near Ev
                    loadE(in, 4);
                    b.istore(T);
                    ic(next);
                    b.istore(V);
                    push();
                    tick();
                    b.iload(T);
                    exitIndirect();
                    return false;
                }
                case 4 -> { // JMP near Ev
                    loadE(in, 4);
                    b.istore(T);
                    tick();
                    b.iload(T);
                    exitIndirect();
                    return false;
                }
                default -> { // PUSH Ev
                    loadE(in, 4);
                    b.istore(V);
                    push();
                }
            }
        } else if (op >= 0x140 && op <= 0x14f) { // CMOVcc: the source is read even when the condition is false
            loadE(in, size);
            b.istore(T);
            Label move = b.newLabel();
            Label done = b.newLabel();
            cond(op & 15, move);
            b.goto_(done);
            b.labelBinding(move);
            b.iload(T);
            stReg(size, in.regField);
            b.labelBinding(done);
        } else if (op >= 0x190 && op <= 0x19f) {
            Label yes = b.newLabel();
            Label done = b.newLabel();
            cond(op & 15, yes);
            b.iconst_0();
            b.goto_(done);
            b.labelBinding(yes);
            b.iconst_1();
            b.labelBinding(done);
            storeE(in, 1);
        } else if (op == 0x1b6 || op == 0x1b7 || op == 0x1be || op == 0x1bf) {
            int sz = (op & 1) == 0 ? 1 : 2;
            loadE(in, sz);
            if (op >= 0x1be) {
                signExt(sz);
            }
            stReg(size, in.regField);
        } else {
            throw new IllegalStateException("untranslatable op " + Integer.toHexString(op));
        }
        tick();
        return true;
    }

    /**
     * MOVS, STOS, LODS, SCAS without REP and with 32-bit addresses (SDM Vol. 2B): source DS:ESI (segment
     * override allowed), destination ES:EDI; both accesses before ESI/EDI move by the size, down when DF is
     * set (DF is in the vCPU's flags word, not in the record).
     */
    private void stringOnce(Insn in, int op, int size) {
        boolean src = op == 0xa4 || op == 0xa5 || op == 0xac || op == 0xad;
        boolean dst = op != 0xac && op != 0xad;
        if (src) {
            b.iload(R0 + 6);
            lin(in.seg(), size, false);
            load(size);
            if (op >= 0xac) {
                stReg(size, 0); // LODS
            } else {
                b.istore(V);
            }
        }
        if (op == 0xaa || op == 0xab) { // STOS
            ldReg(size, 0);
            b.istore(V);
        }
        if (dst) {
            b.iload(R0 + 7);
            lin(Segment.ES, size, op != 0xae && op != 0xaf);
            if (op == 0xae || op == 0xaf) { // SCAS: compare the accumulator with ES:[EDI]
                load(size);
                b.istore(T2);
                ldReg(size, 0);
                b.istore(T);
                aluCompute(7, size);
                aluFlags(7, size);
            } else {
                store(size);
            }
        }
        // the step (T is free again: SCAS's flags record has its operands)
        Label down = b.newLabel();
        Label step = b.newLabel();
        b.aload(C).getfield(CD_VCPU, "flags", CD_int);
        ic(Vcpu.DF);
        b.iand().ifne(down);
        ic(size);
        b.goto_(step);
        b.labelBinding(down);
        ic(-size);
        b.labelBinding(step);
        b.istore(T);
        for (int r : src && dst ? new int[] {6, 7} : new int[] {src ? 6 : 7}) {
            b.iload(R0 + r).iload(T).iadd();
            stReg(4, r);
        }
    }

    /**
     * MUL, IMUL, DIV, IDIV with one operand (F6/F7 /4-/7): the source is read first (it may fault), then
     * the interpreter's own MulDiv runs on EAX/EDX in the vCPU with the flags record there (DIV may raise
     * #DE before it changes anything), and EAX/EDX come back into their locals.
     */
    private void mulDiv(Insn in, int size) {
        loadE(in, size);
        b.istore(T);
        sync();
        for (int r : new int[] {0, 2}) {
            regToVcpu(r);
        }
        b.aload(C).iload(T);
        ic(size);
        String m = switch (in.regField) {
            case 4 -> "mul";
            case 5 -> "imul1";
            case 6 -> "div";
            default -> "idiv";
        };
        b.invokestatic(CD_MULDIV, m, MethodTypeDesc.of(CD_void, CD_VCPU, CD_int, CD_int));
        for (int r : new int[] {0, 2}) {
            regFromVcpu(r);
            written |= 1 << r;
        }
    }

    /** BSF/BSR: ZF from the source (a logic record of it), the destination written only for a nonzero source (as P6 and QEMU). */
    private void bitScan(Insn in, boolean forward, int size) {
        loadE(in, size);
        ic(mask(size));
        b.iand().dup().istore(V).dup().istore(T).istore(T2);
        Label zero = b.newLabel();
        b.iload(V).ifeq(zero);
        if (forward) {
            b.iload(V).invokestatic(CD_INTEGER, "numberOfTrailingZeros", MethodTypeDesc.of(CD_int, CD_int));
        } else {
            ic(31);
            b.iload(V).invokestatic(CD_INTEGER, "numberOfLeadingZeros", MethodTypeDesc.of(CD_int, CD_int)).isub();
        }
        stReg(size, in.regField);
        b.labelBinding(zero);
        setFlags(Alu.OP_LOGIC, size);
    }

    /**
     * An instruction run by the interpreter inside the unit: the registers, the flags record and
     * icount go to the Vcpu, {@link BtRt#interp} (or, for a sensitive one, {@link BtRt#sensitive})
     * executes it exactly as {@link Interpreter#step()}
     * would (including fault delivery), and the locals are reloaded. The unit leaves (exit kind
     * HELPER) when the instruction did not fall through to the next one (a transfer, an unfinished
     * REP chunk, a fault) or wrote translated code.
     */
    private void interpInline(Insn in, int i) {
        boolean sensitive = inlineCallout(in);
        flushIc();
        if (sensitive) {
            b.iconst_0().istore(PEND); // IC has them now; its MISS (RDTSC exiting) reaches the fault handler
        }
        sync();
        for (int r = 0; r < 8; r++) {
            regToVcpu(r);
        }
        b.aload(C).lload(IC).putfield(CD_VCPU, "icount", CD_long);
        b.aload(C);
        b.aload(0).getfield(CD_BLOCK, "helperInsns", CD_INSNS);
        ic(helperInsns.size());
        b.aaload();
        helperInsns.add(in);
        ic(eips[i]);
        b.invokestatic(CD_RT, sensitive ? "sensitive" : "interp", MethodTypeDesc.of(CD_int, CD_VCPU, CD_INSN, CD_int));
        b.istore(T);
        for (int r = 0; r < 8; r++) {
            regFromVcpu(r);
        }
        b.aload(C).getfield(CD_VCPU, "icount", CD_long).lstore(IC);
        pend = 0;
        loadTlbTables(); // (no instruction run here changes CPL, but the tables are cheap to reload)
        Label out = b.newLabel();
        b.iload(T).ifne(out);
        int x = addExit(BtBlock.HELPER, 0, in.op & 0x3ff);
        stubs.add(() -> {
            b.labelBinding(out);
            b.aload(C).getfield(CD_VCPU, "eip", CD_int).istore(XEIP);
            ic(x);
            b.istore(XIDX);
            b.goto_(common);
        });
        st = ST_IN_C;
    }

    /** Whether the trace continues at the target of the unconditional JMP/CALL i (decode followed it). */
    private boolean followed(int i, int target) {
        return i + 1 < insns.size() && eips[i + 1] == target;
    }

    /** End of an instruction: retire it. */
    private void tick() {
        pend++;
    }

    /**
     * Brings IC up to date where the exact count is needed: exits, back-edges, jumps inside the unit and their
     * targets, instructions run by the interpreter. Elsewhere the retired count is a translation-time constant
     * (PEND at each instruction, for the fault handler), so straight-line code carries no add per instruction.
     */
    private void flushIc() {
        if (pend != 0) {
            b.lload(IC).loadConstant((long) pend).ladd().lstore(IC);
            pend = 0;
        }
    }

    /** Stores the value on the stack to the E operand. */
    private void storeE(Insn in, int size) {
        if (in.mod == 3) {
            stReg(size, in.rm);
        } else {
            b.istore(V);
            linE(in, size, true);
            store(size);
        }
    }

    private void push() {
        b.iload(R0 + Vcpu.ESP);
        ic(4);
        b.isub();
        lin(Segment.SS, 4, true);
        store(4);
        b.iinc(R0 + Vcpu.ESP, -4);
        written |= 1 << Vcpu.ESP;
    }

    /** V = the top of the stack; ESP += 4. */
    private void pop() {
        b.iload(R0 + Vcpu.ESP);
        lin(Segment.SS, 4, false);
        load(4);
        b.istore(V);
        b.iinc(R0 + Vcpu.ESP, 4);
        written |= 1 << Vcpu.ESP;
    }

    private void incDec(boolean inc, int size) {
        incDecValue(inc, size);
        incDecFlags(inc, size);
    }

    private void incDecValue(boolean inc, int size) {
        b.iload(T);
        ic(inc ? 1 : -1);
        b.iadd();
        if (size != 4) {
            ic(mask(size));
            b.iand();
        }
        b.istore(V);
    }

    private void incDecFlags(boolean inc, int size) {
        saveCarry();
        ic(1);
        b.istore(T2);
        setFlags(inc ? Alu.OP_INC : Alu.OP_DEC, size);
    }

    private interface Emit {
        void run();
    }

    private void aluRow(Insn in, int op) {
        int alu = op >>> 3;
        int form = op & 7;
        int size = (form & 1) == 0 ? 1 : in.opSize;
        switch (form) {
            case 0, 1 -> aluE(in, alu, size, () -> ldReg(size, in.regField));
            case 2, 3 -> {
                loadE(in, size);
                b.istore(T2);
                ldReg(size, in.regField);
                b.istore(T);
                aluCompute(alu, size);
                if (alu != 7) {
                    b.iload(V);
                    stReg(size, in.regField);
                }
                aluFlags(alu, size);
            }
            default -> {
                ldReg(size, 0);
                b.istore(T);
                ic(in.imm & mask(size));
                b.istore(T2);
                aluCompute(alu, size);
                if (alu != 7) {
                    b.iload(V);
                    stReg(size, 0);
                }
                aluFlags(alu, size);
            }
        }
    }

    /** ALU op with the E operand as destination and source b from the emitter. */
    private void aluE(Insn in, int alu, int size, Emit src) {
        if (in.mod == 3) {
            ldReg(size, in.rm);
            b.istore(T);
            src.run();
            b.istore(T2);
            aluCompute(alu, size);
            if (alu != 7) {
                b.iload(V);
                stReg(size, in.rm);
            }
        } else if (alu == 7) {
            linE(in, size, false);
            load(size);
            b.istore(T);
            src.run();
            b.istore(T2);
            aluCompute(alu, size);
        } else {
            linE(in, size, true);
            load(size);
            b.istore(T);
            src.run();
            b.istore(T2);
            aluCompute(alu, size);
            store(size);
        }
        aluFlags(alu, size);
    }

    /**
     * Group 2. ROL ROR SHL SHR SAL SAR are inline: the value and the new arithmetic flags come from
     * Alu's pure shiftValue/shiftFlags (the interpreter's own code), and the flags go to the record
     * in locals as OP_FLAGS, so HotSpot drops them when a later instruction overwrites them. The
     * flags before are needed only by rotates (they keep SF ZF AF PF) and when the count may be 0
     * (SDM: a zero count leaves the flags alone). RCL/RCR read CF and call the CPU's helper.
     */
    private void shift(int i, Insn in, int size, int op) {
        int g = in.regField;
        boolean cl = op == 0xd2 || op == 0xd3;
        int imm = op >= 0xd0 ? 1 : in.imm & 31;
        int dead;
        Emit count = () -> {
            if (cl) {
                b.iload(R0 + Vcpu.ECX);
                ic(31);
                b.iand();
            } else {
                ic(imm);
            }
        };
        if (in.mod == 3) {
            ldReg(size, in.rm);
            b.istore(T);
        } else {
            linE(in, size, true);
            load(size);
            b.istore(T);
        }
        if (g == 2 || g == 3) {
            sync();
            b.aload(C);
            ic(g);
            b.iload(T);
            count.run();
            ic(size);
            b.invokestatic(CD_ALU, "shift", MethodTypeDesc.of(CD_int, CD_VCPU, CD_int, CD_int, CD_int, CD_int));
        } else if (!cl && imm != 0 && in.mod == 3 && (dead = flagsDeadAfter(i)) != FLAGS_LIVE) {
            // the flags it sets are overwritten before anything can see them: the value only, the record stays;
            // when an instruction up to the overwriting one can fault, the handler computes them from PSHIFT(A)
            if (dead != FLAGS_DEAD) {
                b.iload(T).istore(PSHIFTA);
                ic(0x8000 | imm << 8 | size << 4 | g);
                b.istore(PSHIFT);
                pendingClearAt = dead + 1;
                anyPendingShift = true;
            }
            count.run();
            b.istore(T2);
            ic(g);
            b.iload(T).iload(T2);
            ic(size);
            b.invokestatic(CD_ALU, "shiftValue", MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int, CD_int));
        } else {
            count.run();
            b.istore(T2);
            if (cl || g <= 1 || imm == 0) {
                pushArith();
            } else {
                ic(0); // a non-zero count of SHL/SHR/SAR sets all six flags
            }
            b.istore(E);
            ic(g);
            b.iload(T).iload(T2);
            ic(size);
            b.iload(E);
            b.invokestatic(CD_ALU, "shiftFlags", MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int, CD_int, CD_int));
            b.istore(E);
            ic(g);
            b.iload(T).iload(T2);
            ic(size);
            b.invokestatic(CD_ALU, "shiftValue", MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int, CD_int));
            b.istore(V);
            b.iload(E).istore(FA);
            b.iconst_0().istore(FB);
            b.iconst_0().istore(FRES);
            ic(sign(size));
            b.istore(FMASK);
            ic(Alu.OP_FLAGS);
            b.istore(FOP);
            st = Alu.OP_FLAGS;
            stSize = size;
            b.iload(V);
        }
        if (in.mod == 3) {
            stReg(size, in.rm);
        } else {
            b.istore(V);
            store(size);
        }
    }

    private static final int FLAGS_LIVE = -1, FLAGS_DEAD = 0;
    /** Index of the instruction before which the deferred shift's PSHIFT is cleared (-1: none pending). */
    private int pendingClearAt;
    /** Whether this unit deferred a shift's flags past an instruction that can fault (its handler then looks at PSHIFT). */
    private boolean anyPendingShift;

    /**
     * Whether the arithmetic flags as they are after instruction i are dead: on the straight line after it,
     * within a few instructions, one that sets all six comes before anything that reads a flag, leaves the
     * unit, stores to memory (a store to translated code leaves the unit) or is not known here. Returns
     * FLAGS_LIVE, FLAGS_DEAD, or the index of the overwriting instruction when it or a load before it can
     * fault: a fault handler sees EFLAGS, so the flags stay pending until then (PSHIFT).
     */
    private int flagsDeadAfter(int i) {
        boolean mayFault = false;
        for (int k = i + 1; k < insns.size() && k <= i + 8; k++) {
            if (eips[k] != eips[k - 1] + insns.get(k - 1).length) {
                return FLAGS_LIVE; // the trace followed a jump
            }
            Insn x = insns.get(k);
            if (!supported(x)) {
                return FLAGS_LIVE; // the interpreter would run it (or #UD for LOCK)
            }
            int op = x.op;
            boolean mem = x.hasModrm && x.mod != 3;
            boolean writesAll;
            if (op < 0x40 && (op & 7) < 6) {
                int row = op >> 3; // ADD OR ADC SBB AND SUB XOR CMP
                if (row == 2 || row == 3) {
                    return FLAGS_LIVE; // ADC/SBB read CF
                }
                writesAll = true;
            } else {
                writesAll = (op >= 0x80 && op <= 0x83 && op != 0x82) && x.regField != 2 && x.regField != 3
                        || op == 0x84 || op == 0x85 || op == 0xa8 || op == 0xa9; // group 1 but ADC/SBB, TEST
            }
            if (writesAll) {
                // a memory operand may fault (before the flags are written); a store to translated code leaves
                // the unit only after the instruction, with its flags
                return mayFault || mem ? k : FLAGS_DEAD;
            }
            if ((op >= 0x88 && op <= 0x8b) && !mem // MOV between registers
                    || op == 0x8d // LEA computes an address, accesses nothing
                    || op >= 0xb0 && op <= 0xbf) { // MOV register, immediate
                continue;
            }
            if (op == 0x8a || op == 0x8b || op == 0x1b6 || op == 0x1b7 || op == 0x1be || op == 0x1bf
                    || op == 0xa0 || op == 0xa1) {
                mayFault = true; // loads: MOV, MOVZX, MOVSX, MOV from moffs
                continue;
            }
            return FLAGS_LIVE;
        }
        return FLAGS_LIVE;
    }

    /** Pushes the six arithmetic flags as they are now (from the record in locals when it is there). */
    private void pushArith() {
        if (st > 0) {
            b.iload(FOP).iload(FA).iload(FB).iload(FRES).iload(FMASK);
            b.aload(C).getfield(CD_VCPU, "flags", CD_int);
            b.invokestatic(CD_ALU, "flagsOf", MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int, CD_int, CD_int, CD_int));
        } else {
            sync();
            b.aload(C).invokestatic(CD_ALU, "arithFlags", MethodTypeDesc.of(CD_int, CD_VCPU));
        }
    }

    /** Unconditional direct jump (JMP/CALL): a back-edge to the block start, or an exit. */
    private void jump(int target, int i) {
        int inner = innerHead(target, i);
        if (target == startEip) {
            backEdge(i, 0);
        } else if (inner > 0) {
            backEdge(i, inner);
        } else {
            exitTo(target, BtBlock.CHAIN, 0);
        }
    }

    /** A jump back to instruction j (0: the block start) of the trace: a JVM back-edge while the budget lasts. */
    private void backEdge(int i, int j) {
        flushIc();
        // budget: the dispatcher's rule (checkpoint - icount >= n) for another pass
        Label out = b.newLabel();
        b.aload(C).getfield(CD_VCPU, "checkpoint", CD_long).lload(IC).lsub();
        b.loadConstant((long) insns.size());
        b.lcmp().iflt(out);
        st = ST_DYN;
        b.goto_(j == 0 ? head : labels[j]);
        int x = addExit(BtBlock.CHAIN, eips[j], 0);
        b.labelBinding(out);
        ic(eips[j]);
        b.istore(XEIP);
        ic(x);
        b.istore(XIDX);
        b.goto_(common);
    }

    /** Jcc: taken goes back to the start (loop), forward inside the trace, or out; not taken falls through. */
    private void branch(int cc, int target, int i) {
        flushIc(); // both ways go on with IC exact (the Jcc has retired)
        int fallThrough = eips[i] + insns.get(i).length;
        if (eips[i + 1] == target && target != fallThrough) {
            // the trace followed the branch (mostly taken): taken goes on with the next instruction
            // (or, when the trace ends here, leaves for the target: eips[n] is where decoding would go on),
            // not taken leaves for the fall-through address
            Label taken = b.newLabel();
            cond(cc, taken);
            int saveSt = st;
            int saveSize = stSize;
            exitTo(fallThrough, BtBlock.CHAIN, 0);
            st = saveSt;
            stSize = saveSize;
            b.labelBinding(taken);
            return;
        }
        int j = -1;
        for (int k = i + 1; k < insns.size(); k++) {
            if (eips[k] == target) {
                j = k;
            }
        }
        Label taken = b.newLabel();
        cond(cc, taken);
        int stAt = st;
        int sizeAt = stSize;
        if (j > i) {
            if (labelSt[j] == Integer.MIN_VALUE) {
                labelSt[j] = stAt;
                labelSize[j] = sizeAt;
            } else if (labelSt[j] != stAt || (stAt > 0 && labelSize[j] != sizeAt)) {
                labelSt[j] = ST_DYN;
            }
            Label to = labels[j];
            stubs.add(() -> {
                b.labelBinding(taken);
                b.goto_(to);
            });
        } else if (target == startEip || innerHead(target, i) > 0) {
            int loopHead = target == startEip ? 0 : innerHead(target, i);
            stubs.add(() -> {
                b.labelBinding(taken);
                int saveSt = st;
                backEdge(i, loopHead);
                st = saveSt;
            });
        } else {
            stubs.add(() -> {
                b.labelBinding(taken);
                exitTo(target, BtBlock.CHAIN, 0);
            });
        }
    }
}
