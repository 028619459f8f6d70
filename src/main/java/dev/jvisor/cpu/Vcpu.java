package dev.jvisor.cpu;

import static dev.jvisor.cpu.Segment.*;

import dev.jvisor.cpu.fpu.X87;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One virtual CPU: a P6-class IA-32 processor running the guest in VMX non-root mode.
 *
 * <p>All per-CPU state lives here in plain fields (DESIGN.md section 3 and 6): registers,
 * lazily evaluated arithmetic flags, segment descriptor caches, control registers, the software
 * TLB, the x87 unit and pending events. Guest RAM is shared with the other vCPUs and the devices.
 * {@link #run()} executes guest code and reports every sensitive event to the {@link ExitHandler}
 * as a VM exit.
 */
public final class Vcpu {
    // ---- EFLAGS (SDM Vol. 1, 3.4.3) ----
    public static final int CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200,
            DF = 0x400, OF = 0x800, IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000, AC = 0x40000,
            VIF = 0x80000, VIP = 0x100000, ID = 0x200000;
    static final int ARITH = CF | PF | AF | ZF | SF | OF;
    /** Bits software can ever change on this CPU (no VME/PVI: VIF/VIP only through IRET/task state). */
    static final int EFLAGS_MASK = ARITH | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

    // ---- CR0 / CR4 bits (SDM Vol. 3A, 2.5) ----
    public static final int CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 0x10, CR0_NE = 0x20,
            CR0_WP = 0x10000, CR0_AM = 0x40000, CR0_NW = 0x20000000, CR0_CD = 0x40000000, CR0_PG = 0x80000000;
    public static final int CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 0x10, CR4_PAE = 0x20,
            CR4_MCE = 0x40, CR4_PGE = 0x80, CR4_PCE = 0x100, CR4_OSFXSR = 0x200;
    /** CR4 bits this CPU implements; setting any other bit is #GP(0). */
    static final int CR4_VALID = CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | CR4_PCE | CR4_OSFXSR;

    public static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

    /** Guest RAM is little-endian whatever the host is; x86 allows any alignment. */
    static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // ---- architectural state ----
    public final int[] reg = new int[8];
    public int eip;
    /** EFLAGS; the six arithmetic bits are valid only when {@link #lfOp} is {@link Alu#OP_NONE}. */
    int flags = 2;
    // lazy flags (DESIGN.md section 3): last operation, operands and result, sign-bit mask of its size
    int lfOp, lfA, lfB, lfRes, lfMask;

    public final int[] segSel = new int[8];
    public final int[] segBase = new int[8];
    public final int[] segLimit = new int[8];
    /** Descriptor attributes, see {@link Segment#descAttr}. */
    public final int[] segAttr = new int[8];
    final int[] segAcc = new int[8];

    public int gdtBase, gdtLimit, idtBase, idtLimit;
    public int cr0 = CR0_ET | CR0_CD | CR0_NW, cr2, cr3, cr4;
    public final int[] dr = new int[8];
    public int cpl;
    /** Code segment default size (D bit) and stack segment B bit, cached from the descriptors. */
    boolean code32, stack32;

    // MSRs (SDM Vol. 4)
    public int sysenterCs, sysenterEsp, sysenterEip;
    long tscOffset;
    long miscEnable = 1; // fast-strings enabled
    public final X87 fpu = new X87();
    /** FERR# output: asserted for a pending x87 exception when CR0.NE=0 (wired to IRQ 13 on a PC). */
    public Runnable ferr;

    // ---- memory ----
    /** Guest-physical RAM [0, ramSize): host memory shared with the devices (the VMM decides where it lives). */
    final MemorySegment ram;
    /** The native address of guest RAM, or 0 for a heap segment (see {@link #ram8(int)}). */
    private final long ramAddress;
    private static final jdk.internal.misc.Unsafe UNSAFE = jdk.internal.misc.Unsafe.getUnsafe();
    final int ramSize;
    /** Guest-physical [holeStart, holeEnd) is not RAM even though it is below ramSize (legacy VGA window). */
    final int holeStart, holeEnd;
    // software TLB (DESIGN.md section 3): linear page -> (physical page | 1), 0 = miss;
    // separate tables for supervisor and user accesses, and for reads and writes
    final int[] tlbReadSup = new int[1 << 20], tlbWriteSup = new int[1 << 20];
    final int[] tlbReadUser = new int[1 << 20], tlbWriteUser = new int[1 << 20];
    int[] tlbRead = tlbReadSup, tlbWrite = tlbWriteSup;
    /**
     * With the bt engine, translated code's copy of the four tables: linear page -> the host address of the
     * physical page minus the linear page's address, plus 1 (so the host address of lin is entry + lin - 1, and
     * a valid entry is never 0: host addresses of pages are multiples of 4096), 0 = miss; filled and cleared
     * with the entries above, null without bt. An access in a unit is then a table load, a test and the access
     * itself, with no physical address to assemble (BtRt.ld32 and the rest).
     */
    long[] hostReadSup, hostWriteSup, hostReadUser, hostWriteUser;
    long[] hostRead, hostWrite;
    // Which linear pages have entries, in two capped rings (non-global and global), so that a flush
    // touches only live entries and CR3 loads never walk the global (kernel) entries; a full ring
    // evicts its oldest entry, like a real TLB's replacement.
    private static final int RING_LOCAL = 4096, RING_GLOBAL = 16384;
    private final int[] ringLocal = new int[RING_LOCAL], ringGlobal = new int[RING_GLOBAL];
    private int localHead, localCount, globalHead, globalCount;
    /** Per linear page: LIVE (tracked in a ring), GLOBAL, LARGE (from a 4 MiB page). */
    private final byte[] tlbFlags = new byte[1 << 20];
    private static final byte TLB_LIVE = 4, TLB_GLOBAL = 1, TLB_LARGE = 2;

    // ---- execution ----
    public final Controls controls = new Controls();
    public final VmExit exit = new VmExit();
    private final ExitHandler handler;
    private TimeSource timeSource = v -> v.icount;
    /** Retired instructions. */
    public long icount;
    /** The instruction counter value at which {@link #run()} next looks at events. */
    long checkpoint;
    /** Preemption timer: an exit happens when icount reaches this (SDM 25.5.1, counting instructions). */
    private long preemptionDeadline = Long.MAX_VALUE;
    private volatile boolean kicked;
    private volatile boolean stopRequested;
    boolean halted;
    boolean shutdown;
    /** Interrupt shadow after STI / MOV SS / POP SS (SDM Vol. 3A, 6.8.3): blocks events until after the next instruction. */
    int shadowUntil = -1;
    long shadowIcount = -1;
    /** The MOV SS / POP SS shadow also holds back single-step traps. */
    long movSsShadowIcount = -1;
    // event injection (SDM Vol. 3C, 26.6)
    private boolean injectPending;
    private int injectVector, injectError;
    private boolean injectHasError, injectExternal;
    /** Exception nesting while delivering (SDM Vol. 3A, 6.15 Table 6-5). */
    int deliveringVector = -1;
    /** The vector of the NMI pending, if any (NMI injection). */
    private boolean nmiPending;
    boolean nmiBlocked;

    final Interpreter interp;
    /** The binary translator (--accel bt), or null: interpreter only. */
    BtEngine bt;
    /** Per-reason exit counts (cheap: plain array on the vCPU thread). */
    public final long[] exitCounts = new long[64];

    public Vcpu(MemorySegment ram, int holeStart, int holeEnd, ExitHandler handler) {
        if (ram.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("guest RAM above 2 GiB is not supported");
        }
        if ((ram.byteSize() & 0xfff) != 0) {
            // a RAM page is then wholly RAM: a TLB entry (isRamPage) covers 4 KiB of guest memory (BtRt.pa)
            throw new IllegalArgumentException("guest RAM is not a whole number of 4 KiB pages");
        }
        this.ram = ram;
        this.ramSize = (int) ram.byteSize();
        this.ramAddress = ram.isNative() ? ram.address() : 0;
        this.holeStart = holeStart;
        this.holeEnd = holeEnd;
        this.handler = handler;
        this.decoded = new DecodedCache((this.ramSize + 0xfff) >>> 12, DecodedCache.DEFAULT_CAPACITY);
        this.interp = new Interpreter(this);
        reset();
    }

    /** Selects the execution engine: "interp" (default) or "bt" (binary translator over the interpreter). */
    public void setAccel(String engine) {
        switch (engine) {
            case "interp" -> bt = null;
            case "bt" -> {
                if (ramAddress == 0) {
                    // translated code reaches RAM through its raw address (BtRt.ld32 and the rest)
                    throw new IllegalArgumentException("the bt engine needs native guest RAM, not a heap segment");
                }
                if (bt == null) {
                    if (hostReadSup == null) {
                        // empty: entries filled before now are misses here, and are filled again on use
                        hostReadSup = new long[1 << 20];
                        hostWriteSup = new long[1 << 20];
                        hostReadUser = new long[1 << 20];
                        hostWriteUser = new long[1 << 20];
                        hostRead = cpl == 3 ? hostReadUser : hostReadSup;
                        hostWrite = cpl == 3 ? hostWriteUser : hostWriteSup;
                    }
                    bt = new BtEngine(this);
                }
            }
            default -> throw new IllegalArgumentException("unknown engine '" + engine + "' (available: interp, bt)");
        }
    }

    /** Executions of a block start before it is translated (bt engine; tests use 1), 1 to Short.MAX_VALUE (Insn.heat is a short). */
    public void setBtThreshold(int threshold) {
        if (bt != null) {
            bt.threshold = Math.clamp(threshold, 1, Short.MAX_VALUE);
        }
    }

    /**
     * With the bt engine: units translated from now on count their runs and the instructions retired in them,
     * for the top-units table of {@link #btStats} (--stats). Costs two field updates per unit run.
     */
    public void setBtProfile(boolean on) {
        if (bt != null) {
            bt.profileUnits = on;
        }
    }

    /** Code-cache statistics (invalidations, evictions), and the translator's with --accel bt. */
    public String btStats() {
        String smc = String.format("code pages invalidated by writes: %d (CPU) + %d (DMA); evicted from the decoded cache: %d%n",
                cpuCodeInvalidations, dmaCodeInvalidations, decoded.evictions);
        return bt == null ? smc : smc + bt.stats();
    }

    /** Blocks the binary translator failed on (translator bugs: they run on the interpreter); 0 without it. */
    public long btTranslationFailures() {
        return bt == null ? 0 : bt.translationFailures;
    }

    /** Pages of decoded code dropped because the guest (CPU) or a device (DMA) wrote to them. */
    public long cpuCodeInvalidations, dmaCodeInvalidations;

    public void setTimeSource(TimeSource source) {
        this.timeSource = source;
    }

    public MemorySegment ram() {
        return ram;
    }

    public int ramSize() {
        return ramSize;
    }

    /** Power-on / INIT state (SDM Vol. 3A, 9.1.1): real mode, CS:IP = F000:FFF0. */
    public void reset() {
        Arrays.fill(reg, 0);
        reg[EDX] = CpuModel.SIGNATURE;
        flags = 2;
        lfOp = Alu.OP_NONE;
        eip = 0xfff0;
        cr0 = CR0_ET | CR0_CD | CR0_NW;
        cr2 = cr3 = cr4 = 0;
        Arrays.fill(dr, 0);
        dr[6] = 0xffff0ff0;
        dr[7] = 0x400;
        for (int s = 0; s < 6; s++) {
            loadSegmentReal(s, 0);
        }
        segSel[CS] = 0xf000;
        segBase[CS] = 0xffff0000;
        segLimit[LDTR] = 0xffff;
        segAttr[LDTR] = 0x82;
        segLimit[TR] = 0xffff;
        segAttr[TR] = 0x8b;
        segSel[LDTR] = segSel[TR] = segBase[LDTR] = segBase[TR] = 0;
        gdtBase = idtBase = 0;
        gdtLimit = idtLimit = 0xffff;
        cpl = 0;
        code32 = stack32 = false;
        halted = shutdown = false;
        injectPending = false;
        deliveringVector = -1;
        fpu.reset();
        flushTlb(true);
    }

    // =====================================================================================
    // Registers
    // =====================================================================================

    public int reg8(int i) {
        return i < 4 ? reg[i] & 0xff : (reg[i - 4] >>> 8) & 0xff;
    }

    public void setReg8(int i, int v) {
        if (i < 4) {
            reg[i] = (reg[i] & ~0xff) | (v & 0xff);
        } else {
            reg[i - 4] = (reg[i - 4] & ~0xff00) | ((v & 0xff) << 8);
        }
    }

    public void setReg16(int i, int v) {
        reg[i] = (reg[i] & 0xffff0000) | (v & 0xffff);
    }

    /** Reads a register of operand size 1, 2 or 4 bytes, zero-extended. */
    int getReg(int size, int i) {
        return size == 4 ? reg[i] : size == 2 ? reg[i] & 0xffff : reg8(i);
    }

    void setReg(int size, int i, int v) {
        if (size == 4) {
            reg[i] = v;
        } else if (size == 2) {
            reg[i] = (reg[i] & 0xffff0000) | (v & 0xffff);
        } else {
            setReg8(i, v);
        }
    }

    // =====================================================================================
    // Flags
    // =====================================================================================

    /** EFLAGS with the arithmetic flags evaluated. */
    public int getEflags() {
        if (lfOp != Alu.OP_NONE) {
            flags = (flags & ~ARITH) | Alu.arithFlags(this);
            lfOp = Alu.OP_NONE;
        }
        return flags;
    }

    /** Sets EFLAGS as a whole (bit 1 forced, reserved bits cleared). */
    public void setEflags(int v) {
        int old = flags;
        flags = (v & EFLAGS_MASK) | 2;
        lfOp = Alu.OP_NONE;
        if (((old ^ flags) & VM) != 0) {
            updateCpl();
        }
        if ((flags & IF) != 0 && (old & IF) == 0) {
            checkpoint = 0; // an interrupt window may have opened
        }
    }

    /** Replaces only the bits in mask. */
    void setEflagsMasked(int v, int mask) {
        setEflags((getEflags() & ~mask) | (v & mask));
    }

    boolean getCF() {
        return Alu.cf(this);
    }

    boolean getZF() {
        return Alu.zf(this);
    }

    public int iopl() {
        return (flags >> 12) & 3;
    }

    public boolean interruptsEnabled() {
        return (flags & IF) != 0;
    }

    boolean v86() {
        return (flags & VM) != 0;
    }

    public boolean protectedMode() {
        return (cr0 & CR0_PE) != 0;
    }

    /**
     * Whether something waits for an interrupt window to open (translated code's STI and POPF go on
     * when nothing does): an interrupt held back by interrupt-window exiting, an injected event, an NMI,
     * a kick not yet looked at, or a stop request, all of which the next boundary takes.
     */
    boolean waitsForWindow() {
        return controls.interruptWindowExiting || injectPending || nmiPending || kicked || stopRequested;
    }

    /** True when an external interrupt could be delivered now: IF=1 and no STI/MOV SS shadow. */
    public boolean interruptible() {
        return (flags & IF) != 0 && shadowIcount != icount && !shutdown && !injectPending;
    }

    public void updateCpl() {
        if (!protectedMode()) {
            cpl = 0;
        } else if (v86()) {
            cpl = 3;
        } else {
            cpl = segSel[CS] & 3;
        }
        updateCplTables();
    }

    /** Selects the TLB tables for the current CPL (user tables at CPL 3). */
    void updateCplTables() {
        int[] r = cpl == 3 ? tlbReadUser : tlbReadSup;
        if (r != tlbRead) {
            tlbRead = r;
            tlbWrite = cpl == 3 ? tlbWriteUser : tlbWriteSup;
        }
        hostRead = cpl == 3 ? hostReadUser : hostReadSup;
        hostWrite = cpl == 3 ? hostWriteUser : hostWriteSup;
        interp.cplChanged(cpl == 3);
    }

    // =====================================================================================
    // Control and debug registers (SDM Vol. 3A, 2.5 and 17.2)
    // =====================================================================================

    public int readCr(int n) {
        return switch (n) {
            case 0 -> cr0;
            case 2 -> cr2;
            case 3 -> cr3;
            case 4 -> cr4;
            default -> throw CpuFault.ud();
        };
    }

    /** MOV to CRn with its checks and side effects (TLB flushes). Used by the CPU and by exit handlers emulating it. */
    public void writeCr(int n, int v) {
        switch (n) {
            case 0 -> {
                if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0 || (v & CR0_NW) != 0 && (v & CR0_CD) == 0) {
                    throw CpuFault.gp(0);
                }
                int old = cr0;
                cr0 = (v & (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)) | CR0_ET;
                if (((old ^ cr0) & (CR0_PG | CR0_WP | CR0_PE)) != 0) {
                    flushTlb(true);
                }
                if (((old ^ cr0) & CR0_PE) != 0) {
                    updateAccessAll();
                    // CPL is 0 in real mode and stays 0 when PE is set until a far JMP/CALL loads
                    // CS (SDM Vol. 3A 9.9.1); the stale real-mode CS selector's low bits are not a CPL
                    cpl = 0;
                    updateCplTables();
                }
            }
            case 2 -> cr2 = v;
            case 3 -> {
                cr3 = v & 0xfffff018;
                flushTlb(false);
            }
            case 4 -> {
                if ((v & ~CR4_VALID) != 0) {
                    throw CpuFault.gp(0);
                }
                int old = cr4;
                cr4 = v;
                if (((old ^ v) & (CR4_PSE | CR4_PGE)) != 0) {
                    flushTlb(true);
                }
            }
            default -> throw CpuFault.ud();
        }
    }

    /** LMSW: loads CR0 bits 0-3; PE can be set but not cleared (SDM LMSW). */
    public void lmsw(int v) {
        int nv = (cr0 & ~0xe) | (v & 0xe) | (cr0 & 1) | (v & 1);
        writeCr(0, nv);
    }

    public void writeDr(int n, int v) {
        switch (n) {
            case 6 -> dr[6] = (v & 0x0000e00f) | 0xffff0ff0;
            case 7 -> dr[7] = (v & 0xffff2bff) | 0x400;
            default -> dr[n] = v;
        }
    }

    /**
     * Performs the CR access that caused a CR_ACCESS exit (what a hypervisor does to emulate it),
     * from the exit qualification (SDM Table 27-3).
     */
    public void emulateCrAccess(VmExit x) {
        int n = x.crNumber();
        switch (x.crAccessType()) {
            case 0 -> writeCr(n, reg[x.crGpr()]);
            case 1 -> reg[x.crGpr()] = readCr(n);
            case 2 -> writeCr(0, cr0 & ~CR0_TS);
            default -> lmsw((int) (x.qualification >>> 16) & 0xffff);
        }
    }

    private void updateAccessAll() {
        for (int s = 0; s < 8; s++) {
            updateAccess(s);
        }
    }

    // =====================================================================================
    // Segments (descriptor caches; the checked loads live in Protection)
    // =====================================================================================

    void loadSegmentReal(int s, int sel) {
        sel &= 0xffff;
        segSel[s] = sel;
        segBase[s] = sel << 4;
        if (!protectedMode() || v86()) {
            // real mode keeps the cached limit/attributes except for CS reload; V86 forces 64 KiB
            if (v86() || segAttr[s] == 0) {
                segLimit[s] = 0xffff;
                segAttr[s] = s == CS ? 0x9b | (3 << 5) * (v86() ? 1 : 0) : 0x93 | (v86() ? 0x60 : 0);
            }
        }
        updateAccess(s);
        if (s == CS) {
            code32 = false;
            interp.invalidateFetch();
        } else if (s == SS) {
            stack32 = false;
        }
    }

    /** Installs a descriptor cache entry (selector, base, limit, attributes) as a successful load does. */
    public void setSegment(int s, int sel, int base, int limit, int attr) {
        segSel[s] = sel & 0xffff;
        segBase[s] = base;
        segLimit[s] = limit;
        segAttr[s] = attr;
        updateAccess(s);
        if (s == CS) {
            code32 = big(attr);
            updateCpl(); // in protected mode CPL is CS.RPL (SDM 5.5)
        } else if (s == SS) {
            stack32 = big(attr);
        }
    }

    void updateAccess(int s) {
        int a = segAttr[s];
        int acc = 0;
        boolean usable = present(a) && (!protectedMode() || v86() || s == CS || (segSel[s] & 0xfffc) != 0 || s >= LDTR);
        if (usable && !isSystem(a)) {
            if (readable(a)) {
                acc |= ACC_READ;
            }
            if (writable(a)) {
                acc |= ACC_WRITE;
            }
            if (expandDown(a)) {
                acc |= ACC_EXPAND_DOWN;
            }
            if (big(a)) {
                acc |= ACC_BIG;
            }
            if (segBase[s] == 0 && segLimit[s] == -1 && (acc & ACC_EXPAND_DOWN) == 0) {
                if ((acc & ACC_READ) != 0) {
                    acc |= ACC_FLAT_READ;
                }
                if ((acc & ACC_WRITE) != 0) {
                    acc |= ACC_FLAT_WRITE;
                }
            }
        }
        if (!protectedMode() || v86()) {
            acc |= ACC_READ | ACC_WRITE; // real mode: code segment is writable too
        }
        segAcc[s] = acc;
        int bits = 1 << s | 1 << (s + 8);
        flatMask = flatMask & ~bits | ((acc & ACC_FLAT_READ) != 0 ? 1 << s : 0) | ((acc & ACC_FLAT_WRITE) != 0 ? 1 << (s + 8) : 0);
    }

    /**
     * Bit s: segment s is flat for reads (base 0, 4 GiB limit, readable, not expand-down: linRead
     * returns the offset); bit 8+s: the same for writes. Kept with segAcc for translated code, which
     * reads it once on entry to skip segment checks.
     */
    int flatMask;

    /** Binary translation: the unit that returned to the dispatcher, and how many units ran chained before it (BtRt.chain). */
    BtBlock btLast;
    int btChain;
    /** Set while the translator calls a new unit only to get it compiled (BtEngine.warm): the unit returns at once. */
    boolean btDry;

    private CpuFault segFault(int s) {
        return s == SS ? CpuFault.withError(CpuFault.SS, 0) : CpuFault.gp(0);
    }

    /** Linear address for a read of size bytes at seg:off, with the limit and type checks of SDM 5.3. */
    int linRead(int s, int off, int size) {
        int acc = segAcc[s];
        if ((acc & ACC_FLAT_READ) != 0) {
            return off;
        }
        if ((acc & ACC_READ) == 0) {
            throw segFault(s);
        }
        checkLimit(s, off, size, acc);
        return segBase[s] + off;
    }

    int linWrite(int s, int off, int size) {
        int acc = segAcc[s];
        if ((acc & ACC_FLAT_WRITE) != 0) {
            return off;
        }
        if ((acc & ACC_WRITE) == 0) {
            throw segFault(s);
        }
        checkLimit(s, off, size, acc);
        return segBase[s] + off;
    }

    private void checkLimit(int s, int off, int size, int acc) {
        int limit = segLimit[s];
        if ((acc & ACC_EXPAND_DOWN) == 0) {
            if (Integer.compareUnsigned(off, limit) > 0 || Integer.compareUnsigned(off + size - 1, limit) > 0
                    || (off + size - 1 != 0 && Integer.compareUnsigned(off + size - 1, off) < 0)) {
                throw segFault(s);
            }
        } else {
            int upper = (acc & ACC_BIG) != 0 ? -1 : 0xffff;
            if (Integer.compareUnsigned(off, limit) <= 0 || Integer.compareUnsigned(off + size - 1, upper) > 0
                    || Integer.compareUnsigned(off + size - 1, off) < 0) {
                throw segFault(s);
            }
        }
    }

    // =====================================================================================
    // Segmented memory access
    // =====================================================================================

    public int read8(int s, int off) { return readLin8(linRead(s, off, 1)); }
    public int read16(int s, int off) { return readLin16(linRead(s, off, 2)); }
    public int read32(int s, int off) { return readLin32(linRead(s, off, 4)); }
    public void write8(int s, int off, int v) { writeLin8(linWrite(s, off, 1), v); }
    public void write16(int s, int off, int v) { writeLin16(linWrite(s, off, 2), v); }
    public void write32(int s, int off, int v) { writeLin32(linWrite(s, off, 4), v); }

    int read(int size, int s, int off) {
        return size == 4 ? read32(s, off) : size == 2 ? read16(s, off) : read8(s, off);
    }

    void write(int size, int s, int off, int v) {
        if (size == 4) {
            write32(s, off, v);
        } else if (size == 2) {
            write16(s, off, v);
        } else {
            write8(s, off, v);
        }
    }

    /** Faults now unless [off, off+len) of segment s is writable (for multi-part stores). */
    void checkWritable(int s, int off, int len) {
        int lin = linWrite(s, off, len);
        for (int p = lin & ~0xfff; ; p += 0x1000) {
            translate(Math.max(p, lin) , true, cpl == 3);
            if (Integer.compareUnsigned(p + 0xfff, lin + len - 1) >= 0) {
                break;
            }
        }
    }

    // =====================================================================================
    // Stack (SS-relative, 16- or 32-bit stack pointer per SS.B)
    // =====================================================================================

    void push(int size, int v) {
        int sp = reg[ESP];
        if (stack32) {
            int nsp = sp - size;
            write(size, SS, nsp, v);
            reg[ESP] = nsp;
        } else {
            int nsp = (sp - size) & 0xffff;
            write(size, SS, nsp, v);
            reg[ESP] = (sp & 0xffff0000) | nsp;
        }
    }

    void push32(int v) { push(4, v); }

    /** Reads the value on top of the stack without popping. */
    int peek(int size, int depth) {
        int sp = reg[ESP];
        return stack32 ? read(size, SS, sp + depth) : read(size, SS, (sp + depth) & 0xffff);
    }

    int pop(int size) {
        int v = peek(size, 0);
        adjustSp(size);
        return v;
    }

    void adjustSp(int delta) {
        if (stack32) {
            reg[ESP] += delta;
        } else {
            reg[ESP] = (reg[ESP] & 0xffff0000) | ((reg[ESP] + delta) & 0xffff);
        }
    }

    // =====================================================================================
    // Linear memory access through the software TLB
    // =====================================================================================

    // Guest-physical RAM at pa (the caller has checked it is RAM): little-endian, zero-extended.
    // Native RAM (the VM's anonymous mapping) is accessed with Unsafe after an explicit bounds check
    // against ramSize; a heap segment (unit tests) through the segment API. Measured on the
    // translator (bench/boot_vs_qemu.py --accel bt, WL1 md5sum of 64 MiB): 31.4 s through the
    // segment API, 19.2 s with a global-scope segment, 8.8 s with this (docs/ARCHITECTURE.md,
    // "Guest RAM access"). x86 is little-endian, as the guest is.
    int ram8(int pa) {
        if (ramAddress != 0) {
            checkRam(pa, 1);
            return UNSAFE.getByte(null, ramAddress + pa) & 0xff;
        }
        return ram.get(ValueLayout.JAVA_BYTE, pa) & 0xff;
    }

    int ram16(int pa) {
        if (ramAddress != 0) {
            checkRam(pa, 2);
            return UNSAFE.getShortUnaligned(null, ramAddress + pa, false) & 0xffff;
        }
        return ram.get(LE16, pa) & 0xffff;
    }

    int ram32(int pa) {
        if (ramAddress != 0) {
            checkRam(pa, 4);
            return UNSAFE.getIntUnaligned(null, ramAddress + pa, false);
        }
        return ram.get(LE32, pa);
    }

    void ram8(int pa, int v) {
        if (ramAddress != 0) {
            checkRam(pa, 1);
            UNSAFE.putByte(null, ramAddress + pa, (byte) v);
            return;
        }
        ram.set(ValueLayout.JAVA_BYTE, pa, (byte) v);
    }

    void ram16(int pa, int v) {
        if (ramAddress != 0) {
            checkRam(pa, 2);
            UNSAFE.putShortUnaligned(null, ramAddress + pa, (short) v, false);
            return;
        }
        ram.set(LE16, pa, (short) v);
    }

    void ram32(int pa, int v) {
        if (ramAddress != 0) {
            checkRam(pa, 4);
            UNSAFE.putIntUnaligned(null, ramAddress + pa, v, false);
            return;
        }
        ram.set(LE32, pa, v);
    }

    /** The raw accesses' guard: [pa, pa + width) inside guest RAM (pa unsigned), else the segment API's exception. */
    private void checkRam(int pa, int width) {
        if (Integer.compareUnsigned(pa, ramSize - width) > 0) {
            throw new IndexOutOfBoundsException("guest-physical 0x" + Integer.toHexString(pa) + " outside guest RAM");
        }
    }

    public int readLin8(int lin) {
        int e = tlbRead[lin >>> 12];
        if (e != 0) {
            return ram8((e & ~0xfff) | (lin & 0xfff));
        }
        long pa = translate(lin, false, cpl == 3);
        return pa < 0 ? (int) mmioRead(pa & 0xffffffffL, 1, lin) : ram8((int) pa);
    }

    public int readLin16(int lin) {
        int e = tlbRead[lin >>> 12];
        if (e != 0 && (lin & 0xfff) != 0xfff) {
            return ram16((e & ~0xfff) | (lin & 0xfff));
        }
        return readSlow(lin, 2);
    }

    public int readLin32(int lin) {
        int e = tlbRead[lin >>> 12];
        if (e != 0 && (lin & 0xfff) <= 0xffc) {
            return ram32((e & ~0xfff) | (lin & 0xfff));
        }
        return readSlow(lin, 4);
    }

    public void writeLin8(int lin, int v) {
        int e = tlbWrite[lin >>> 12];
        if (e != 0) {
            ram8((e & ~0xfff) | (lin & 0xfff), v);
            return;
        }
        long pa = translate(lin, true, cpl == 3);
        if (pa < 0) {
            mmioWrite(pa & 0xffffffffL, 1, v, lin);
        } else {
            codeWritten((int) pa);
            ram8((int) pa, v);
        }
    }

    public void writeLin16(int lin, int v) {
        int e = tlbWrite[lin >>> 12];
        if (e != 0 && (lin & 0xfff) != 0xfff) {
            ram16((e & ~0xfff) | (lin & 0xfff), v);
            return;
        }
        writeSlow(lin, 2, v);
    }

    public void writeLin32(int lin, int v) {
        int e = tlbWrite[lin >>> 12];
        if (e != 0 && (lin & 0xfff) <= 0xffc) {
            ram32((e & ~0xfff) | (lin & 0xfff), v);
            return;
        }
        writeSlow(lin, 4, v);
    }

    private int readSlow(int lin, int size) {
        if (((lin & 0xfff) + size) > 0x1000) {
            // crosses a page: translate both pages before reading either (a fault leaves nothing half-done)
            boolean user = cpl == 3;
            long pa0 = translate(lin, false, user);
            long pa1 = translate((lin | 0xfff) + 1, false, user);
            int v = 0;
            for (int i = 0; i < size; i++) {
                int l = lin + i;
                long pa = ((l ^ lin) >>> 12) != 0 ? pa1 + (l & 0xfff) : pa0 + i;
                v |= physRead8(pa) << (8 * i);
            }
            return v;
        }
        long pa = translate(lin, false, cpl == 3);
        if (pa < 0) {
            return (int) mmioRead(pa & 0xffffffffL, size, lin);
        }
        return size == 2 ? ram16((int) pa) : ram32((int) pa);
    }

    private void writeSlow(int lin, int size, int v) {
        if (((lin & 0xfff) + size) > 0x1000) {
            boolean user = cpl == 3;
            long pa0 = translate(lin, true, user);
            long pa1 = translate((lin | 0xfff) + 1, true, user);
            for (int i = 0; i < size; i++) {
                int l = lin + i;
                long pa = ((l ^ lin) >>> 12) != 0 ? pa1 + (l & 0xfff) : pa0 + i;
                physWrite8(pa, v >>> (8 * i));
            }
            return;
        }
        long pa = translate(lin, true, cpl == 3);
        if (pa < 0) {
            mmioWrite(pa & 0xffffffffL, size, v, lin);
            return;
        }
        codeWritten((int) pa);
        if (size == 2) {
            ram16((int) pa, v);
        } else {
            ram32((int) pa, v);
        }
    }

    private int physRead8(long pa) {
        return pa < 0 ? (int) mmioRead(pa & 0xffffffffL, 1, 0) : ram8((int) pa);
    }

    private void physWrite8(long pa, int v) {
        if (pa < 0) {
            mmioWrite(pa & 0xffffffffL, 1, v, 0);
        } else {
            codeWritten((int) pa);
            ram8((int) pa, v);
        }
    }

    /** Supervisor-mode (implicit) accesses: descriptor tables, TSS, IDT (SDM 4.6.1). */
    int readSys32(int lin) {
        return cpl == 3 ? (int) readSysSlow(lin, 4) : readLin32(lin);
    }

    int readSys16(int lin) {
        return cpl == 3 ? (int) readSysSlow(lin, 2) : readLin16(lin);
    }

    int readSys8(int lin) {
        return cpl == 3 ? (int) readSysSlow(lin, 1) : readLin8(lin);
    }

    private long readSysSlow(int lin, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            long pa = translate(lin + i, false, false);
            v |= physRead8(pa) << (8 * i);
        }
        return v & 0xffffffffL;
    }

    void writeSys32(int lin, int v) {
        if (cpl != 3) {
            writeLin32(lin, v);
            return;
        }
        for (int i = 0; i < 4; i++) {
            physWrite8(translate(lin + i, true, false), v >>> (8 * i));
        }
    }

    void writeSys16(int lin, int v) {
        if (cpl != 3) {
            writeLin16(lin, v);
            return;
        }
        for (int i = 0; i < 2; i++) {
            physWrite8(translate(lin + i, true, false), v >>> (8 * i));
        }
    }

    void writeSys8(int lin, int v) {
        if (cpl != 3) {
            writeLin8(lin, v);
        } else {
            physWrite8(translate(lin, true, false), v);
        }
    }

    // =====================================================================================
    // Paging (SDM Vol. 3A, 4.3: 32-bit paging with PSE and PGE) and the TLB
    // =====================================================================================

    boolean isRamPage(long pa) {
        return pa < ramSize && (pa < holeStart || pa >= holeEnd);
    }

    /**
     * Translates a linear address for an access, filling the TLB. Returns the physical address for
     * RAM, or (physical address | 1L<<63) for addresses that are not RAM (MMIO). Raises #PF.
     */
    long translate(int lin, boolean write, boolean user) {
        int vpn = lin >>> 12;
        long pa;
        boolean writable;
        boolean global = false;
        boolean large = false;
        if ((cr0 & CR0_PG) == 0) {
            pa = lin & 0xffffffffL;
            writable = true;
        } else {
            int pdeAddr = (cr3 & ~0xfff) | ((lin >>> 22) << 2);
            int pde = physRead32(pdeAddr);
            if ((pde & 1) == 0) {
                throw pageFault(lin, 0, write, user);
            }
            boolean userOk;
            if ((pde & 0x80) != 0 && (cr4 & CR4_PSE) != 0) {
                userOk = (pde & 4) != 0;
                writable = (pde & 2) != 0;
                checkPageAccess(lin, write, user, userOk, writable);
                int npde = pde | 0x20 | (write ? 0x40 : 0);
                if (npde != pde) {
                    physWrite32(pdeAddr, npde);
                }
                pa = ((pde & 0xffc00000L) | (lin & 0x3fffff)) & 0xffffffffL;
                global = (pde & 0x100) != 0 && (cr4 & CR4_PGE) != 0;
                large = true;
                writable &= (npde & 0x40) != 0;
            } else {
                int pteAddr = (pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2);
                int pte = physRead32(pteAddr);
                if ((pte & 1) == 0) {
                    throw pageFault(lin, 0, write, user);
                }
                userOk = (pde & 4) != 0 && (pte & 4) != 0;
                writable = (pde & 2) != 0 && (pte & 2) != 0;
                checkPageAccess(lin, write, user, userOk, writable);
                if ((pde & 0x20) == 0) {
                    physWrite32(pdeAddr, pde | 0x20);
                }
                int npte = pte | 0x20 | (write ? 0x40 : 0);
                if (npte != pte) {
                    physWrite32(pteAddr, npte);
                }
                pa = ((pte & 0xfffff000L) | (lin & 0xfff)) & 0xffffffffL;
                global = (pte & 0x100) != 0 && (cr4 & CR4_PGE) != 0;
                // a write TLB entry only once the page is dirty, so the first write sets D
                writable &= (npte & 0x40) != 0;
            }
            if (!user && write && !writable) {
                // supervisor write to a read-only page with CR0.WP=0: allowed, never cached as writable
                return isRamPage(pa) ? pa : pa | Long.MIN_VALUE;
            }
        }
        if (!isRamPage(pa)) {
            return pa | Long.MIN_VALUE;
        }
        int entry = (int) (pa & ~0xfffL) | 1;
        if (decoded.get((int) (pa >>> 12)) != null) {
            writable = false; // writes to pages holding decoded code take the slow path (they invalidate it)
        }
        noteTlbFill(vpn, global, large);
        // a user page is readable (and, if writable, writable) from CPL 0 too; translated code's host-address
        // entry is set beside each
        long host = ramAddress + (pa & ~0xfffL) - ((long) vpn << 12) + 1;
        setEntry(tlbReadSup, hostReadSup, vpn, entry, host);
        if (user) {
            setEntry(tlbReadUser, hostReadUser, vpn, entry, host);
        }
        if (writable) {
            setEntry(tlbWriteSup, hostWriteSup, vpn, entry, host);
            if (user) {
                setEntry(tlbWriteUser, hostWriteUser, vpn, entry, host);
            }
        }
        return pa;
    }

    /** Sets a TLB entry and, with the bt engine (hosts not null), its host-address twin. */
    private static void setEntry(int[] table, long[] hosts, int vpn, int entry, long host) {
        table[vpn] = entry;
        if (hosts != null) {
            hosts[vpn] = host;
        }
    }

    private void checkPageAccess(int lin, boolean write, boolean user, boolean userOk, boolean writable) {
        if (user) {
            if (!userOk || (write && !writable)) {
                throw pageFault(lin, 1, write, true);
            }
        } else if (write && !writable && (cr0 & CR0_WP) != 0) {
            throw pageFault(lin, 1, write, false);
        }
    }

    private CpuFault pageFault(int lin, int present, boolean write, boolean user) {
        cr2 = lin;
        return CpuFault.withError(CpuFault.PF, present | (write ? 2 : 0) | (user ? 4 : 0));
    }

    private void noteTlbFill(int vpn, boolean global, boolean large) {
        byte f = tlbFlags[vpn];
        byte nf = (byte) (TLB_LIVE | (global ? TLB_GLOBAL : 0) | (large ? TLB_LARGE : 0));
        tlbFlags[vpn] = nf;
        if ((f & TLB_LIVE) != 0 && (f & TLB_GLOBAL) == (nf & TLB_GLOBAL)) {
            return; // already tracked in the right ring
        }
        if (global) {
            if (globalCount == RING_GLOBAL) {
                clearTlbEntry(ringGlobal[globalHead]);
                globalHead = (globalHead + 1) % RING_GLOBAL;
                globalCount--;
            }
            ringGlobal[(globalHead + globalCount) % RING_GLOBAL] = vpn;
            globalCount++;
        } else {
            if (localCount == RING_LOCAL) {
                clearTlbEntry(ringLocal[localHead]);
                localHead = (localHead + 1) % RING_LOCAL;
                localCount--;
            }
            ringLocal[(localHead + localCount) % RING_LOCAL] = vpn;
            localCount++;
        }
    }

    private void clearTlbEntry(int vpn) {
        tlbReadSup[vpn] = tlbWriteSup[vpn] = tlbReadUser[vpn] = tlbWriteUser[vpn] = 0;
        if (hostReadSup != null) {
            hostReadSup[vpn] = hostWriteSup[vpn] = hostReadUser[vpn] = hostWriteUser[vpn] = 0;
        }
        tlbFlags[vpn] = 0;
    }

    private int physRead32(int pa) {
        long p = pa & 0xffffffffL;
        if (isRamPage(p) && p + 3 < ramSize) {
            return ram32((int) p);
        }
        return 0; // paging structures outside RAM read as not present
    }

    private void physWrite32(int pa, int v) {
        long p = pa & 0xffffffffL;
        if (isRamPage(p) && p + 3 < ramSize) {
            codeWritten((int) p);
            ram32((int) p, v);
        }
    }

    /** Flushes the TLB; global entries survive unless all is set (SDM 4.10.4.1). */
    public void flushTlb(boolean all) {
        for (int i = 0; i < localCount; i++) {
            int vpn = ringLocal[(localHead + i) % RING_LOCAL];
            if ((tlbFlags[vpn] & TLB_GLOBAL) == 0) {
                clearTlbEntry(vpn);
            }
        }
        localHead = localCount = 0;
        if (all) {
            for (int i = 0; i < globalCount; i++) {
                clearTlbEntry(ringGlobal[(globalHead + i) % RING_GLOBAL]);
            }
            globalHead = globalCount = 0;
        }
        interp.invalidateFetch();
    }

    /** INVLPG: drops the entry for one linear page, global or not (and its whole 4 MiB page if it came from one). */
    public void flushTlbPage(int lin) {
        int vpn = lin >>> 12;
        boolean large = (tlbFlags[vpn] & TLB_LARGE) != 0;
        clearTlbEntry(vpn);
        if (large) {
            forEachLive(v -> {
                if ((v >>> 10) == (vpn >>> 10)) {
                    clearTlbEntry(v);
                }
            });
        }
        interp.invalidateFetchPage(lin, large);
    }

    private void forEachLive(java.util.function.IntConsumer action) {
        for (int i = 0; i < localCount; i++) {
            action.accept(ringLocal[(localHead + i) % RING_LOCAL]);
        }
        for (int i = 0; i < globalCount; i++) {
            action.accept(ringGlobal[(globalHead + i) % RING_GLOBAL]);
        }
    }

    // =====================================================================================
    // Decoded-instruction cache per physical page, invalidated by any write to the page
    // =====================================================================================

    /** Decoded instructions by physical page, then by offset (bounded, see {@link DecodedCache}). */
    final DecodedCache decoded;

    /** A write to physical address pa: drops the page's decoded instructions (self-modifying code, DMA). */
    void codeWritten(int pa) {
        int ppn = pa >>> 12;
        if (decoded.get(ppn) != null) {
            cpuCodeInvalidations++;
            forgetCode(ppn);
        }
    }

    /** Invalidates decoded code in a physical range written by a device (DMA). */
    public void invalidateCode(long gpa, long len) {
        if (len <= 0) {
            return;
        }
        long last = Math.min(gpa + len - 1, (long) ramSize - 1);
        for (long p = gpa >>> 12; p <= last >>> 12; p++) {
            if (p < decoded.ramPages() && decoded.get((int) p) != null) {
                dmaCodeInvalidations++;
                forgetCode((int) p);
            }
        }
    }

    private void forgetCode(int ppn) {
        decoded.drop(ppn);
        codeEvicted(ppn);
    }

    /** The page's decoded instructions are gone: nothing may still use them. */
    private void codeEvicted(int ppn) {
        interp.codeInvalidated(ppn);
        if (bt != null) {
            bt.invalidatePage(ppn);
        }
    }

    /**
     * The decoded-instruction array of a physical page, created on first use (write TLB entries to
     * it are dropped); creating one may evict other pages' (see {@link DecodedCache}).
     */
    Insn[] codePage(int ppn) {
        Insn[] page = decoded.get(ppn);
        if (page == null) {
            page = decoded.create(ppn, onCodeEvicted);
            dropWriteEntries(ppn);
        }
        return page;
    }

    /** Caches a decoded instruction at pa (its page's array exists: {@link #codePage}). */
    void cacheInsn(int pa, Insn in) {
        decoded.put(pa >>> 12, pa & 0xfff, in, onCodeEvicted);
    }

    private final java.util.function.IntConsumer onCodeEvicted = this::codeEvicted;

    private void dropWriteEntries(int ppn) {
        int match = (ppn << 12) | 1;
        forEachLive(vpn -> {
            if (tlbWriteSup[vpn] == match) {
                tlbWriteSup[vpn] = 0;
                if (hostWriteSup != null) {
                    hostWriteSup[vpn] = 0;
                }
            }
            if (tlbWriteUser[vpn] == match) {
                tlbWriteUser[vpn] = 0;
                if (hostWriteUser != null) {
                    hostWriteUser[vpn] = 0;
                }
            }
        });
    }

    // =====================================================================================
    // MMIO: accesses outside RAM are EPT violations (SDM Vol. 3C, 28.3.3.2)
    // =====================================================================================

    long mmioRead(long gpa, int size, int lin) {
        VmExit x = exit;
        x.reason = ExitReason.EPT_VIOLATION;
        x.qualification = 1 | 0x80 | 0x100;
        x.guestPhysical = gpa;
        x.guestLinear = lin;
        x.size = size;
        x.data = 0;
        vmexit(x);
        return x.data;
    }

    void mmioWrite(long gpa, int size, int v, int lin) {
        VmExit x = exit;
        x.reason = ExitReason.EPT_VIOLATION;
        x.qualification = 2 | 0x80 | 0x100;
        x.guestPhysical = gpa;
        x.guestLinear = lin;
        x.size = size;
        x.data = size == 4 ? v & 0xffffffffL : v & ((1L << (size * 8)) - 1);
        vmexit(x);
    }

    // =====================================================================================
    // VM exits and entries
    // =====================================================================================

    /** Takes a VM exit: the handler runs, and its return is the VM entry. */
    void vmexit(VmExit x) {
        exitCounts[x.reason.number]++;
        handler.onExit(this, x);
    }

    /** Takes an exit of a reason with no qualification. */
    void vmexit(ExitReason reason, long qualification) {
        VmExit x = exit;
        x.reason = reason;
        x.qualification = qualification;
        vmexit(x);
    }

    /** Ends {@link #run()} at the next instruction boundary. Thread-safe. */
    public void requestStop() {
        stopRequested = true;
        checkpoint = 0;
    }

    /**
     * Signals that an external event is pending (the interrupt controller's INTR output rose, a
     * timer fired): the vCPU takes an EXTERNAL_INTERRUPT exit at the next instruction boundary (from another
     * thread, at most {@link #BT_QUANTUM} instructions later). Thread-safe.
     */
    public void kick() {
        kicked = true;
        // look at it at the next boundary rather than at the next checkpoint, which may be a quantum away (a racy
        // write from another thread: if the vCPU overwrites it with its next checkpoint, the quantum still bounds the wait)
        checkpoint = 0;
    }

    /**
     * Withdraws a {@link #kick()}: the hypervisor is looking at the interrupt controller now, so the
     * EXTERNAL_INTERRUPT exit the kick asked for has nothing left to do. Call it before that look,
     * so a kick that arrives during it is kept. Thread-safe.
     */
    public void clearKick() {
        kicked = false;
    }

    /** Arms the preemption timer: an exit after this many more retired instructions (or never, with Long.MAX_VALUE). */
    public void setPreemptionDeadline(long icountDeadline) {
        preemptionDeadline = icountDeadline;
        checkpoint = 0;
    }

    public long preemptionDeadline() {
        return preemptionDeadline;
    }

    /** VM-entry event injection of an external interrupt (SDM Vol. 3C, 26.6.1). */
    public void injectExternalInterrupt(int vector) {
        injectPending = true;
        injectVector = vector & 0xff;
        injectHasError = false;
        injectExternal = true;
        checkpoint = 0;
    }

    /** VM-entry event injection of an exception. */
    public void injectException(int vector, int errorCode, boolean hasError) {
        injectPending = true;
        injectVector = vector;
        injectError = errorCode;
        injectHasError = hasError;
        injectExternal = false;
        checkpoint = 0;
    }

    public void injectNmi() {
        nmiPending = true;
        checkpoint = 0;
    }

    public boolean eventPending() {
        return injectPending;
    }

    public boolean isHalted() {
        return halted;
    }

    public boolean isShutdown() {
        return shutdown;
    }

    public void setInterruptWindowExiting(boolean on) {
        controls.interruptWindowExiting = on;
        checkpoint = 0;
    }

    /** Time stamp counter as RDTSC reads it. */
    public long readTsc() {
        return timeSource.tsc(this) + tscOffset;
    }

    /**
     * Runs the guest until {@link #requestStop()} or a triple fault. Never throws for anything the
     * guest does: guest errors become guest exceptions or a TRIPLE_FAULT exit.
     */
    public void run() {
        stopRequested = false;
        checkpoint = 0;
        try {
            while (true) {
                if (icount >= checkpoint) {
                    if (!atBoundary()) {
                        return;
                    }
                    continue;
                }
                if (bt != null) {
                    if (bt.enter()) {
                        continue;
                    }
                    // the interpreter goes on while the code runs straight on, where no unit can start (what
                    // enter() would find first): 40% of a bt boot's instructions are interpreted
                    do {
                        interp.step();
                    } while (icount < checkpoint && bt.straightOn());
                    continue;
                }
                interp.step();
            }
        } finally {
            // RAM is accessed by raw address (ram8/16/32): its segment, which unmaps it once
            // unreachable, must stay reachable while the guest runs, whoever else holds the vCPU
            java.lang.ref.Reference.reachabilityFence(ram);
        }
    }

    /**
     * Instructions between two looks at the boundary when nothing is due earlier (--accel bt; the interpreter's is
     * 256): the longest a kick that raced with the vCPU's own checkpoint update waits (timers are preemption
     * deadlines and events raised on the vCPU's thread set the checkpoint themselves). Each look ends the running
     * chain of units and enters the next one through the dispatcher.
     */
    static final int BT_QUANTUM = Integer.getInteger("jvisor.bt.quantum", 65536);

    /**
     * Event processing at an instruction boundary (SDM Vol. 3A, 6.9 priority): stop requests,
     * exits for external events, the preemption timer and the interrupt window, then injected events.
     * Returns false when run() should return.
     */
    private boolean atBoundary() {
        if (stopRequested) {
            stopRequested = false;
            checkpoint = 0;
            return false;
        }
        if (shutdown) {
            return false;
        }
        if (kicked && controls.externalInterruptExiting) {
            kicked = false;
            vmexit(ExitReason.EXTERNAL_INTERRUPT, 0);
        }
        if (icount >= preemptionDeadline) {
            preemptionDeadline = Long.MAX_VALUE;
            vmexit(ExitReason.PREEMPTION_TIMER, 0);
        }
        boolean shadow = shadowIcount == icount;
        if (controls.interruptWindowExiting && (flags & IF) != 0 && !shadow && !injectPending) {
            vmexit(ExitReason.INTERRUPT_WINDOW, 0);
        }
        if (stopRequested) {
            stopRequested = false;
            checkpoint = 0;
            return false;
        }
        if (nmiPending && !nmiBlocked && !shadow) {
            nmiPending = false;
            halted = false;
            deliverEvent(CpuFault.NMI, 0, false, Protection.EVENT_NMI);
        } else if (injectPending) {
            injectPending = false;
            halted = false;
            deliverEvent(injectVector, injectError, injectHasError,
                    injectExternal ? Protection.EVENT_EXTERNAL : Protection.EVENT_EXCEPTION);
        }
        if (shutdown) {
            return false;
        }
        if (halted) {
            if (controls.hltExiting) {
                vmexit(ExitReason.HLT, 0);
                // the handler returns when there is something to do; look again
                checkpoint = 0;
                if (stopRequested) {
                    stopRequested = false;
                    return false;
                }
                return true;
            }
            Thread.onSpinWait();
            return true;
        }
        long next = icount + (bt != null ? BT_QUANTUM : 256);
        if (preemptionDeadline < next) {
            next = preemptionDeadline;
        }
        if (controls.interruptWindowExiting && (flags & IF) != 0) {
            next = icount + 1;
        }
        if (shadowIcount == icount && (controls.interruptWindowExiting || nmiPending || (flags & TF) != 0)) {
            // the shadow ends after the next instruction: look again then only if something waits for it (with
            // nothing pending, the instruction after STI, often the rest of a spin_unlock_irq, may be a unit's;
            // before, it and the code after it up to the next branch were interpreted after every STI)
            next = icount + 1;
        }
        checkpoint = next;
        return true;
    }

    /** Delivers an event through the IDT, handling nesting (#DF) and shutdown (SDM 6.15, Table 6-5). */
    void deliverEvent(int vector, int error, boolean hasError, int kind) {
        try {
            Protection.deliver(this, vector, error, hasError, kind);
        } catch (CpuFault nested) {
            deliverNested(vector, nested);
        }
    }

    private void deliverNested(int first, CpuFault second) {
        if (first == CpuFault.DF) {
            tripleFault();
            return;
        }
        boolean firstContrib = isContributory(first);
        boolean secondContrib = isContributory(second.vector);
        if ((firstContrib && secondContrib) || (first == CpuFault.PF && (secondContrib || second.vector == CpuFault.PF))) {
            deliverEvent(CpuFault.DF, 0, true, Protection.EVENT_EXCEPTION);
        } else {
            deliverEvent(second.vector, second.errorCode, second.hasErrorCode, Protection.EVENT_EXCEPTION);
        }
    }

    private static boolean isContributory(int v) {
        return v == CpuFault.DE || (v >= CpuFault.TS && v <= CpuFault.GP);
    }

    /** A fault raised by the instruction at the current EIP (EIP already rolled back). */
    void raiseFault(CpuFault f) {
        if (f.vector < 32 && (controls.exceptionBitmap & (1 << f.vector)) != 0) {
            exit.vector = f.vector;
            exit.errorCode = f.errorCode;
            vmexit(ExitReason.EXCEPTION_NMI, 0);
            return;
        }
        deliverEvent(f.vector, f.errorCode, f.hasErrorCode, Protection.EVENT_EXCEPTION);
    }

    void tripleFault() {
        shutdown = true;
        checkpoint = 0;
        vmexit(ExitReason.TRIPLE_FAULT, 0);
    }

    /** A one-line register dump (the triple-fault report). */
    public String dump() {
        StringBuilder sb = new StringBuilder();
        String[] n = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};
        for (int i = 0; i < 8; i++) {
            sb.append(n[i]).append('=').append(hex(reg[i])).append(' ');
        }
        sb.append("EIP=").append(hex(eip)).append(" EFLAGS=").append(hex(getEflags())).append(" CPL=").append(cpl).append('\n');
        for (int s = 0; s < 8; s++) {
            sb.append(NAMES[s]).append('=').append(String.format("%04x", segSel[s])).append(' ')
                    .append(hex(segBase[s])).append(' ').append(hex(segLimit[s])).append(' ')
                    .append(String.format("%04x", segAttr[s])).append('\n');
        }
        sb.append("GDT=").append(hex(gdtBase)).append(' ').append(hex(gdtLimit))
                .append(" IDT=").append(hex(idtBase)).append(' ').append(hex(idtLimit)).append('\n');
        sb.append("CR0=").append(hex(cr0)).append(" CR2=").append(hex(cr2)).append(" CR3=").append(hex(cr3))
                .append(" CR4=").append(hex(cr4)).append(" icount=").append(icount);
        return sb.toString();
    }

    static String hex(int v) {
        return String.format("%08x", v);
    }
}
