package dev.jvisor.cpu;

import static dev.jvisor.cpu.Segment.CS;
import static dev.jvisor.cpu.Segment.DS;
import static dev.jvisor.cpu.Segment.ES;
import static dev.jvisor.cpu.Segment.FS;
import static dev.jvisor.cpu.Segment.GS;
import static dev.jvisor.cpu.Segment.LDTR;
import static dev.jvisor.cpu.Segment.SS;
import static dev.jvisor.cpu.Segment.TR;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A hostile guest for the CPU: a protected-mode environment built in Java (GDT with ring 0/1/3,
 * 16-bit, conforming, expand-down, not-present and garbage descriptors, call and task gates, an
 * LDT; a TSS with SS0:ESP0 and a random I/O bitmap; an IDT whose 256 gates lead to a small ring-0
 * handler; optionally paging with pages not present / read-only / supervisor-only, 4 MiB aliases
 * and a page table inside guest-writable data) and a code region full of seeded random bytes and
 * "biased" random instruction streams. Each chunk of guest code starts at a random offset, in ring
 * 0 or ring 3, with random registers and flags, and runs under an instruction budget (the
 * preemption timer) so that nothing can hang.
 *
 * <p>The guest handler reports every delivered vector to the harness with {@code OUT 0xF0, EAX}.
 * The harness then either returns to the guest (it bumps the saved EIP past a few bytes and lets
 * the handler IRET, so IRET to ring 3 and back is exercised too) or starts a new chunk. The exit
 * handler answers the other exits as the VMM would (devices as random data, CPUID and MSRs from
 * {@link CpuModel} with its #GP for unknown MSRs, CR accesses emulated, #UD for VMCALL).
 *
 * <p>Detectors: any Java exception escaping {@link Vcpu#run()}; an MMIO exit for an address that
 * is RAM, or any write that lands in the array bytes of the MMIO hole (canary); a run that does not
 * come back within its budget (the caller's timeout); segment-register invariants at each report
 * (CPL = CS.RPL = SS.RPL = SS.DPL in protected mode, CPL 3 in V86 mode).
 */
final class FuzzRig {
    static final int RAM = 4 << 20;
    static final int HOLE_START = 0x300000, HOLE_END = 0x310000;
    static final byte CANARY = (byte) 0xa5;

    static final int GDT = 0x1000, IDT = 0x2000, TSS = 0x3000, TSS_LIMIT = 0x68 + 0x2000, TSS2 = 0x6000,
            STUBS = 0x7000, HANDLER = 0x8000, DF_LANDING = 0x8010, PD = 0x9000, PT0 = 0xa000, LDT = 0xb000,
            RING0_STACK = 0x1fff0, TSS2_STACK = 0x1e000, SYS_END = 0x20000;
    static final int DATA = 0x20000, DATA_END = 0xa0000, RING3_STACK = 0x9fff0, CODE = 0x100000, CODE_END = 0x300000;
    static final int REPORT_PORT = 0xf0, DF_PORT = 0xf2;
    // the second TSS's code reports with OUT 0xF2 (entered by the #DF task gate, task gate 0x40, JMP/CALL 0x30, IRET with NT)
    /** EIP after the handler's OUT (the CPU has advanced EIP when the exit is taken). */
    static final int AFTER_REPORT = HANDLER + 3, IRET_NO_ERROR = HANDLER + 3, IRET_ERROR = HANDLER + 4;

    static final int SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x1b, SEL_DATA3 = 0x23, SEL_TSS = 0x28,
            SEL_TSS2 = 0x30, SEL_LDT = 0x80;
    static final int GDT_ENTRIES = 32;

    /** One seed's configuration. */
    record Config(long seed, boolean paging, boolean dfTaskGate, boolean interceptSome, long instructions) { }

    /** What happened during a run (for the report and the assertions). */
    static final class Stats {
        final long[] vectors = new long[256];
        final long[] exits = new long[64];
        long instructions, chunks, iretResumes, fromRing3, triples, tss2Entries, ring3Chunks, reinjected,
                injectedInterrupts, fullRestores;
        final List<String> violations = new ArrayList<>();

        int distinctVectors() {
            return (int) Arrays.stream(vectors).filter(n -> n > 0).count();
        }

        String vectorSummary() {
            StringBuilder sb = new StringBuilder();
            for (int v = 0; v < 256; v++) {
                if (vectors[v] > 0) {
                    sb.append(v < 32 ? NAMES[v] : "int" + Integer.toHexString(v)).append('=').append(vectors[v]).append(' ');
                }
            }
            return sb.toString().trim();
        }

        String exitSummary() {
            StringBuilder sb = new StringBuilder();
            for (ExitReason r : ExitReason.all()) {
                if (exits[r.number] > 0) {
                    sb.append(r).append('=').append(exits[r.number]).append(' ');
                }
            }
            return sb.toString().trim();
        }
    }

    static final String[] NAMES = {"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS", "GP",
            "PF", "v15", "MF", "AC", "MC", "XM", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31"};

    final Config cfg;
    final SplittableRandom rnd;
    final byte[] ram = new byte[RAM];
    final Vcpu cpu;
    final Stats stats = new Stats();
    /** The system area as built, restored when the guest may have damaged it. */
    private byte[] pristine;
    private int cr0, cr4;

    // per-run state shared with the exit handler
    private int pendingVector = -1;
    private boolean endChunk, needFullRestore;
    private long chunkEnd;
    /** Exits left in this chunk: a long REP over MMIO or ports ends the chunk instead of using up the test's time. */
    private int exitBudget;
    /** Live status for a hang report (read by another thread). */
    volatile String where = "";

    FuzzRig(Config cfg) {
        this.cfg = cfg;
        this.rnd = new SplittableRandom(cfg.seed);
        this.cpu = new Vcpu(MemorySegment.ofArray(ram), HOLE_START, HOLE_END, this::onExit);
        if (cfg.interceptSome) {
            cpu.controls.exceptionBitmap = (1 << CpuFault.UD) | (1 << CpuFault.PF) | (1 << CpuFault.GP);
        }
        buildMemory();
    }

    // =====================================================================================
    // The environment
    // =====================================================================================

    private void buildMemory() {
        Arrays.fill(ram, HOLE_START, HOLE_END, CANARY);
        // data: random bytes, with some plausible far pointers and descriptor-table images sprinkled in
        for (int a = DATA; a < DATA_END; a += 4) {
            put32(a, rnd.nextInt());
        }
        for (int a = HOLE_END; a < RAM; a += 4) {
            put32(a, rnd.nextInt());
        }
        for (int i = 0; i < 512; i++) {
            int a = DATA + (rnd.nextInt((DATA_END - DATA) / 8) * 8);
            put32(a, CODE + rnd.nextInt(CODE_END - CODE));
            put16(a + 4, randomSelector());
        }
        buildGdt();
        buildIdt();
        buildTss();
        buildHandler();
        if (cfg.paging) {
            buildPaging();
        }
        CodeGen gen = new CodeGen(rnd);
        for (int page = CODE; page < CODE_END; page += 0x1000) {
            gen.fillPage(ram, page, rnd.nextInt(8) == 0);
        }
        pristine = Arrays.copyOf(ram, SYS_END);
        cr0 = Vcpu.CR0_PE | Vcpu.CR0_ET | Vcpu.CR0_NE | (rnd.nextBoolean() ? Vcpu.CR0_MP : 0)
                | (cfg.paging ? Vcpu.CR0_PG | (rnd.nextBoolean() ? Vcpu.CR0_WP : 0) : 0) | (rnd.nextInt(4) == 0 ? Vcpu.CR0_AM : 0);
        cr4 = Vcpu.CR4_PSE | Vcpu.CR4_OSFXSR | (rnd.nextBoolean() ? Vcpu.CR4_PGE : 0) | (rnd.nextInt(4) == 0 ? Vcpu.CR4_DE : 0);
    }

    private void buildGdt() {
        desc(1, 0, 0xfffff, 0x9b, 0xc);           // 0x08 ring 0 code
        desc(2, 0, 0xfffff, 0x93, 0xc);           // 0x10 ring 0 data
        desc(3, 0, 0xfffff, 0xfb, 0xc);           // 0x18 ring 3 code
        desc(4, 0, 0xfffff, 0xf3, 0xc);           // 0x20 ring 3 data
        desc(5, TSS, TSS_LIMIT, 0x8b, 0);         // 0x28 TSS (busy: it is TR)
        desc(6, TSS2, 0x67, 0x89, 0);             // 0x30 second TSS, available
        gate(7, randomCodeTarget(), SEL_CODE0, 0xec, rnd.nextInt(4)); // 0x38 call gate DPL 3 -> ring 0
        gate(8, 0, SEL_TSS2, 0xe5, 0);            // 0x40 task gate DPL 3
        desc(9, 0, 0xfffff, 0xbb, 0xc);           // 0x48 ring 1 code
        desc(10, 0, 0xfffff, 0xb3, 0xc);          // 0x50 ring 1 data
        desc(11, CODE, 0xffff, 0x9b, 0);          // 0x58 16-bit ring 0 code
        desc(12, DATA, 0xffff, 0x93, 0);          // 0x60 16-bit ring 0 data
        desc(13, 0, 0xfffff, 0x9f, 0xc);          // 0x68 conforming code DPL 0
        desc(14, 0, 0x7ffff, 0xf7, 0xc);          // 0x70 expand-down data DPL 3
        desc(15, 0, 0xfffff, 0x73, 0xc);          // 0x78 not-present data DPL 3
        desc(16, LDT, 0x3f, 0x82, 0);             // 0x80 LDT
        desc(17, 0, 0xfffff, 0xf1, 0xc);          // 0x88 read-only data DPL 3
        desc(18, 0, 0xfffff, 0xf9, 0xc);          // 0x90 execute-only code DPL 3
        gate(19, randomCodeTarget(), SEL_CODE0, 0x8c, 2); // 0x98 call gate DPL 0
        gate(20, randomCodeTarget(), SEL_CODE0, 0xee, 0); // 0xa0 interrupt gate in the GDT (not for far transfers)
        desc(21, 0, 0x2ff, 0xfb, 0x8);            // 0xa8 ring 3 code, limit 3 MiB
        gate(22, randomCodeTarget(), 0x4b, 0xec, rnd.nextInt(8)); // 0xb0 call gate DPL 3 -> ring 1
        desc(23, CODE, 0xffff, 0xfb, 0);          // 0xb8 16-bit ring 3 code
        for (int i = 24; i < GDT_ENTRIES; i++) {  // garbage
            put32(GDT + i * 8, rnd.nextInt());
            put32(GDT + i * 8 + 4, rnd.nextInt());
        }
        for (int i = 0; i < 8; i++) { // LDT: a mix of useful and garbage entries
            int a = LDT + i * 8;
            switch (i) {
                case 0 -> { put32(a, 0); put32(a + 4, 0); }
                case 1 -> ldtDesc(a, 0xfb);
                case 2 -> ldtDesc(a, 0xf3);
                case 3 -> ldtDesc(a, 0x93);
                default -> { put32(a, rnd.nextInt()); put32(a + 4, rnd.nextInt()); }
            }
        }
    }

    private void ldtDesc(int a, int access) {
        put32(a, 0xffff);
        put32(a + 4, 0x00cf0000 | (access << 8));
    }

    private void desc(int i, int base, int limit, int access, int flags) {
        int a = GDT + i * 8;
        put32(a, (limit & 0xffff) | (base << 16));
        put32(a + 4, ((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000));
    }

    private void gate(int i, int offset, int sel, int access, int params) {
        putGate(GDT + i * 8, offset, sel, access, params);
    }

    private void putGate(int a, int offset, int sel, int access, int params) {
        put32(a, (offset & 0xffff) | (sel << 16));
        put32(a + 4, (offset & 0xffff0000) | (access << 8) | params);
    }

    private void buildIdt() {
        for (int v = 0; v < 256; v++) {
            int stub = STUBS + v * 16;
            ram[stub] = 0x68; // push imm32 vector
            put32(stub + 1, v);
            ram[stub + 5] = (byte) 0xe9; // jmp rel32 common
            put32(stub + 6, HANDLER - (stub + 10));
            int access;
            if (v == 3 || v == 4 || v >= 32) {
                access = rnd.nextInt(10) == 0 ? 0x8e : 0xee; // most software-interrupt gates DPL 3
            } else {
                access = 0x8e;
            }
            if (rnd.nextInt(4) == 0) {
                access |= 1; // trap gate
            }
            if (v >= 32 && rnd.nextInt(25) == 0) {
                access &= 0x7f; // not present
            }
            putGate(IDT + v * 8, stub, SEL_CODE0, access, 0);
        }
        if (cfg.dfTaskGate) {
            putGate(IDT + 8 * 8, 0, SEL_TSS2, 0x85, 0); // #DF through a task gate, as Linux does
        }
        if (rnd.nextBoolean()) {
            putGate(IDT + 0x99 * 8, 0, SEL_TSS2, 0xe5, 0);
        }
    }

    private void buildTss() {
        put32(TSS + 4, RING0_STACK);
        put32(TSS + 8, SEL_DATA0);
        put32(TSS + 12, RING0_STACK - 0x800); // ESP1
        put32(TSS + 16, 0x50);               // SS1
        put32(TSS + 0x1c, PD);
        put16(TSS + 0x66, 0x68);
        for (int i = 0; i < 0x2000; i++) {   // I/O bitmap: random, mostly denied
            ram[TSS + 0x68 + i] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt() : 0xff);
        }
        ram[TSS + 0x68 + 0x2000] = (byte) 0xff;
        // the #DF task: ring 0 at the landing pad with its own stack
        put32(TSS2 + 0x1c, PD);
        put32(TSS2 + 0x20, DF_LANDING);
        put32(TSS2 + 0x24, 2);
        put32(TSS2 + 0x38, TSS2_STACK);
        put16(TSS2 + 0x48, SEL_DATA0);
        put16(TSS2 + 0x4c, SEL_CODE0);
        put16(TSS2 + 0x50, SEL_DATA0);
        put16(TSS2 + 0x54, SEL_DATA0);
        put16(TSS2 + 0x58, SEL_DATA0);
        put16(TSS2 + 0x5c, SEL_DATA0);
        put16(TSS2 + 0x66, 0x68);
    }

    private void buildHandler() {
        byte[] common = {
            0x58,                       // 8000 pop eax          ; the vector the stub pushed
            (byte) 0xe7, (byte) REPORT_PORT, // 8001 out 0xf0, eax ; report: the harness decides what next
            (byte) 0xcf,                // 8003 iret              ; frame without error code
            (byte) 0x83, (byte) 0xc4, 4, // 8004 add esp, 4       ; drop the error code
            (byte) 0xcf,                // 8007 iret
            (byte) 0xeb, (byte) 0xfe,   // 8008 jmp $
        };
        System.arraycopy(common, 0, ram, HANDLER, common.length);
        byte[] df = {(byte) 0xe6, (byte) DF_PORT, (byte) 0xeb, (byte) 0xfe}; // out 0xf2, al; jmp $
        System.arraycopy(df, 0, ram, DF_LANDING, df.length);
    }

    private void buildPaging() {
        for (int i = 0; i < 1024; i++) {
            int pa = i << 12;
            int pte;
            if (pa == 0) {
                pte = 0; // null page
            } else if (pa < SYS_END) {
                pte = pa | 3;
            } else if (pa >= 0x90000 && pa < DATA_END) {
                pte = pa | 7; // ring 3 stack area
            } else {
                int r = rnd.nextInt(100);
                pte = r < 8 ? 0 : r < 25 ? pa | 5 : r < 38 ? pa | 3 : pa | 7;
                if (pa >= CODE && pa < CODE_END && r < 8 && rnd.nextBoolean()) {
                    pte = pa | 7; // fewer holes in the code
                }
            }
            if (rnd.nextInt(8) == 0) {
                pte |= 0x100; // global
            }
            put32(PT0 + i * 4, pte);
        }
        put32(PD, PT0 | 7);
        put32(PD + 0x300 * 4, 0x83 | 0x100);                  // 0xC0000000: supervisor 4 MiB alias of RAM
        put32(PD + 0x301 * 4, 0x87);                          // 0xC0400000: user alias
        put32(PD + 0x3ff * 4, 0xffc00087);                    // top 4 MiB: MMIO
        put32(PD + 0x200 * 4, (DATA + 0x10000) | 7);          // a page table in guest-writable data
        put32(PD + 0x100 * 4, 0x00400087);                    // 4 MiB page right past RAM
        for (int i = 0; i < 6; i++) {
            put32(PD + (1 + rnd.nextInt(0x2ff)) * 4, rnd.nextInt() | 1); // garbage present entries
        }
    }

    // =====================================================================================
    // Chunks
    // =====================================================================================

    /** Reloads the system area and every system register as built. */
    private void fullRestore() {
        stats.fullRestores++;
        System.arraycopy(pristine, 0, ram, 0, SYS_END);
        if (cpu.isShutdown()) {
            cpu.reset();
        }
        cpu.writeCr(0, Vcpu.CR0_PE | Vcpu.CR0_ET);
        cpu.writeCr(4, cr4);
        cpu.writeCr(3, PD);
        cpu.writeCr(0, cr0);
        cpu.flushTlb(true);
        cpu.gdtBase = GDT;
        cpu.gdtLimit = GDT_ENTRIES * 8 - 1;
        cpu.idtBase = IDT;
        cpu.idtLimit = 256 * 8 - 1;
        cpu.setSegment(TR, SEL_TSS, TSS, TSS_LIMIT, 0x8b);
        cpu.setSegment(LDTR, SEL_LDT, LDT, 0x3f, 0x82);
        cpu.fpu.reset();
        cpu.sysenterCs = rnd.nextInt(4) == 0 ? 0 : SEL_CODE0;
        cpu.sysenterEsp = RING0_STACK - 0x1000;
        cpu.sysenterEip = randomCodeTarget();
        Arrays.fill(cpu.dr, 0, 4, 0);
        cpu.writeDr(7, 0);
        needFullRestore = false;
    }

    private void newChunk() {
        stats.chunks++;
        if (needFullRestore || stats.chunks % 32 == 1) {
            fullRestore();
        } else {
            // the guest may have changed these; they are cheap to reset
            cpu.gdtBase = GDT;
            cpu.gdtLimit = GDT_ENTRIES * 8 - 1;
            cpu.idtBase = IDT;
            cpu.idtLimit = 256 * 8 - 1;
            if (cpu.cr0 != cr0 || cpu.cr4 != cr4 || cpu.cr3 != PD) {
                fullRestore();
            }
        }
        cpu.halted = false;
        int ring = rnd.nextInt(5) < 2 ? 0 : 3;
        if (ring == 3) {
            stats.ring3Chunks++;
            cpu.setSegment(CS, SEL_CODE3, 0, -1, 0xc0fb);
            for (int s : new int[] {SS, DS, ES, FS, GS}) {
                cpu.setSegment(s, SEL_DATA3, 0, -1, 0xc0f3);
            }
        } else {
            cpu.setSegment(CS, SEL_CODE0, 0, -1, 0xc09b);
            for (int s : new int[] {SS, DS, ES, FS, GS}) {
                cpu.setSegment(s, SEL_DATA0, 0, -1, 0xc093);
            }
        }
        for (int r = 0; r < 8; r++) {
            cpu.reg[r] = randomRegister();
        }
        cpu.reg[Vcpu.ESP] = ring == 3 ? RING3_STACK - rnd.nextInt(0x100) * 4 : RING0_STACK - 0x400 - rnd.nextInt(0x100) * 4;
        int fl = 2 | (rnd.nextInt() & (Vcpu.ARITH | Vcpu.DF));
        if (rnd.nextInt(4) == 0) {
            fl |= Vcpu.IOPL;
        }
        if (rnd.nextInt(3) == 0) {
            fl |= Vcpu.IF;
        }
        if (rnd.nextInt(40) == 0) {
            fl |= Vcpu.TF;
        }
        if (rnd.nextInt(8) == 0) {
            fl |= Vcpu.AC;
        }
        cpu.setEflags(fl);
        cpu.eip = CODE + rnd.nextInt(CODE_END - CODE);
        chunkEnd = cpu.icount + 200 + rnd.nextInt(4000);
        exitBudget = 2000;
        cpu.setPreemptionDeadline(chunkEnd);
    }

    private int randomRegister() {
        int r = rnd.nextInt(20);
        if (r < 12) {
            return DATA + rnd.nextInt(DATA_END - DATA);
        } else if (r < 14) {
            return CODE + rnd.nextInt(CODE_END - CODE);
        } else if (r < 17) {
            return rnd.nextInt(256);
        }
        return rnd.nextInt();
    }

    private int randomCodeTarget() {
        return CODE + rnd.nextInt(CODE_END - CODE);
    }

    private int randomSelector() {
        return CodeGen.randomSelector(rnd);
    }

    // =====================================================================================
    // Running
    // =====================================================================================

    /** Runs the configured number of instructions; returns the statistics. Java exceptions propagate with context. */
    Stats run() {
        long start = cpu.icount;
        long target = start + cfg.instructions;
        newChunk();
        while (cpu.icount < target) {
            endChunk = false;
            pendingVector = -1;
            where = "chunk " + stats.chunks + " icount " + cpu.icount + " eip " + Integer.toHexString(cpu.eip);
            try {
                cpu.run();
            } catch (RuntimeException | Error e) {
                throw new AssertionError("Java exception escaped Vcpu.run() (seed " + cfg.seed + ", chunk " + stats.chunks
                        + ") at instruction bytes " + bytesAt() + "\n" + cpu.dump(), e);
            }
            if (cpu.isShutdown()) {
                stats.triples++;
                needFullRestore = true;
                newChunk();
                continue;
            }
            checkInvariants();
            if (pendingVector >= 0 && !endChunk && cpu.icount < chunkEnd && rnd.nextInt(4) != 0 && resumeByIret()) {
                continue;
            }
            newChunk();
        }
        stats.instructions = cpu.icount - start;
        checkCanary();
        return stats;
    }

    /** Lets the guest handler IRET to a few bytes past the reported instruction. */
    private boolean resumeByIret() {
        try {
            int esp = cpu.reg[Vcpu.ESP];
            boolean err = false;
            int v = pendingVector;
            if (v == 8 || (v >= 10 && v <= 14) || v == 17) {
                int cs = cpu.read32(SS, esp + 8) & 0xffff;
                int fl = cpu.read32(SS, esp + 12);
                err = (fl & 2) != 0 && (cs & ~3) != 0 && (cs & 0xfff8) < GDT_ENTRIES * 8;
            }
            int frame = esp + (err ? 4 : 0);
            int eip = cpu.read32(SS, frame);
            cpu.write32(SS, frame, eip + 1 + rnd.nextInt(6));
            cpu.eip = err ? IRET_ERROR : IRET_NO_ERROR;
            stats.iretResumes++;
            return true;
        } catch (CpuFault f) {
            return false;
        }
    }

    private void checkInvariants() {
        Vcpu c = cpu;
        if (!c.protectedMode()) {
            return;
        }
        if ((c.getEflags() & Vcpu.VM) != 0) {
            if (c.cpl != 3) {
                violation("V86 mode with CPL " + c.cpl);
            }
            return;
        }
        int cpl = c.cpl;
        if (cpl != (c.segSel[CS] & 3)) {
            violation("CPL " + cpl + " != CS.RPL of " + Integer.toHexString(c.segSel[CS]));
        }
        if ((c.segSel[SS] & 3) != cpl || Segment.dpl(c.segAttr[SS]) != cpl) {
            violation("SS " + Integer.toHexString(c.segSel[SS]) + " attr " + Integer.toHexString(c.segAttr[SS]) + " at CPL " + cpl);
        }
        if (!Segment.isCode(c.segAttr[CS])) {
            violation("CS attr " + Integer.toHexString(c.segAttr[CS]) + " is not code");
        }
    }

    private void violation(String what) {
        if (stats.violations.size() < 20) {
            stats.violations.add(what + " (seed " + cfg.seed + " chunk " + stats.chunks + ")\n" + cpu.dump());
        }
        needFullRestore = true;
    }

    private void checkCanary() {
        for (int a = HOLE_START; a < HOLE_END; a++) {
            if (ram[a] != CANARY) {
                violation("write to the MMIO hole landed in the RAM array at " + Integer.toHexString(a));
                return;
            }
        }
    }

    private String bytesAt() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            long a = (cpu.segBase[CS] + cpu.eip + i) & 0xffffffffL;
            sb.append(a < RAM ? String.format("%02x ", ram[(int) a] & 0xff) : "?? ");
        }
        return sb.toString();
    }

    // =====================================================================================
    // Exits: answered as the VMM answers them
    // =====================================================================================

    private void onExit(Vcpu v, VmExit x) {
        stats.exits[x.reason.number]++;
        if (--exitBudget == 0) {
            endChunk = true;
            v.requestStop();
        }
        switch (x.reason) {
            case IO_INSTRUCTION -> {
                boolean fromHandler = v.cpl == 0 && v.segSel[CS] == SEL_CODE0 && v.segBase[CS] == 0 && !x.ioString();
                if (fromHandler && x.ioPort() == REPORT_PORT && v.eip == AFTER_REPORT && !x.ioIn()) {
                    int vector = (int) x.data;
                    if (vector >= 0 && vector < 256) {
                        stats.vectors[vector]++;
                        pendingVector = vector;
                        if (frameFromRing3()) {
                            stats.fromRing3++;
                        }
                    }
                    v.requestStop();
                } else if (fromHandler && x.ioPort() == DF_PORT && v.eip == DF_LANDING + 2) {
                    stats.tss2Entries++;
                    endChunk = true;
                    needFullRestore = true;
                    v.requestStop();
                } else if (x.ioIn()) {
                    x.data = rnd.nextInt() & (x.ioSize() == 4 ? 0xffffffffL : (1L << (8 * x.ioSize())) - 1);
                }
            }
            case EPT_VIOLATION -> {
                long gpa = x.guestPhysical;
                if (gpa < RAM && (gpa < HOLE_START || gpa >= HOLE_END)) {
                    violation("MMIO exit for RAM address " + Long.toHexString(gpa));
                }
                if (!x.mmioWrite()) {
                    x.data = (gpa * 0x9e3779b97f4a7c15L) >>> (64 - 8 * x.size);
                }
            }
            case CPUID -> {
                int[] r = CpuModel.cpuid(v.reg[Vcpu.EAX], v.reg[Vcpu.ECX]);
                System.arraycopy(r, 0, v.reg, 0, 1);
                v.reg[Vcpu.EBX] = r[1];
                v.reg[Vcpu.ECX] = r[2];
                v.reg[Vcpu.EDX] = r[3];
            }
            case RDMSR -> {
                long val = CpuModel.rdmsr(v, v.reg[Vcpu.ECX]);
                v.reg[Vcpu.EAX] = (int) val;
                v.reg[Vcpu.EDX] = (int) (val >>> 32);
            }
            case WRMSR -> CpuModel.wrmsr(v, v.reg[Vcpu.ECX], ((long) v.reg[Vcpu.EDX] << 32) | (v.reg[Vcpu.EAX] & 0xffffffffL));
            case CR_ACCESS -> v.emulateCrAccess(x);
            case INVLPG -> v.flushTlbPage(x.guestLinear);
            case HLT -> {
                v.halted = false;
                endChunk = true;
                v.requestStop();
            }
            case VMCALL -> throw CpuFault.ud();
            case RDTSC -> {
                long t = v.readTsc();
                v.reg[Vcpu.EAX] = (int) t;
                v.reg[Vcpu.EDX] = (int) (t >>> 32);
            }
            case RDPMC -> {
                v.reg[Vcpu.EAX] = 0;
                v.reg[Vcpu.EDX] = 0;
            }
            case EXCEPTION_NMI -> {
                // the hypervisor intercepted it and reflects it to the guest (VM-entry injection)
                stats.reinjected++;
                boolean hasError = x.vector == CpuFault.GP || x.vector == CpuFault.PF;
                v.injectException(x.vector, x.errorCode, hasError);
            }
            case PREEMPTION_TIMER -> {
                if (v.interruptible() && rnd.nextInt(4) == 0 && v.icount < chunkEnd + 100) {
                    // an external interrupt instead of the end of the chunk
                    v.injectExternalInterrupt(32 + rnd.nextInt(224));
                    stats.injectedInterrupts++;
                    v.setPreemptionDeadline(v.icount + 100);
                } else {
                    endChunk = true;
                    v.requestStop();
                }
            }
            case TRIPLE_FAULT -> v.requestStop();
            case INVD, WBINVD, PAUSE -> { }
            default -> violation("unexpected exit " + x.reason);
        }
    }

    private boolean frameFromRing3() {
        try {
            int esp = cpu.reg[Vcpu.ESP];
            // without and with an error code: the saved CS of a ring-3 frame has RPL 3
            int cs0 = cpu.read32(SS, esp + 4) & 0xffff;
            int cs1 = cpu.read32(SS, esp + 8) & 0xffff;
            return cs0 == SEL_CODE3 || cs1 == SEL_CODE3;
        } catch (CpuFault f) {
            return false;
        }
    }

    private void put32(int a, int v) {
        MemorySegment.ofArray(ram).set(Vcpu.LE32, a, v);
    }

    private void put16(int a, int v) {
        MemorySegment.ofArray(ram).set(Vcpu.LE16, a, (short) v);
    }
}
