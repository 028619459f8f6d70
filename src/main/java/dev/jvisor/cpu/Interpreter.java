package dev.jvisor.cpu;

import static dev.jvisor.cpu.Segment.CS;
import static dev.jvisor.cpu.Segment.DS;
import static dev.jvisor.cpu.Segment.ES;
import static dev.jvisor.cpu.Segment.FS;
import static dev.jvisor.cpu.Segment.GS;
import static dev.jvisor.cpu.Segment.SS;
import static dev.jvisor.cpu.Vcpu.CF;
import static dev.jvisor.cpu.Vcpu.EAX;
import static dev.jvisor.cpu.Vcpu.EBP;
import static dev.jvisor.cpu.Vcpu.ECX;
import static dev.jvisor.cpu.Vcpu.EDI;
import static dev.jvisor.cpu.Vcpu.EDX;
import static dev.jvisor.cpu.Vcpu.ESI;
import static dev.jvisor.cpu.Vcpu.ESP;
import static dev.jvisor.cpu.Vcpu.EBX;

/**
 * The reference execution engine: decode one instruction, execute it, retire it. Faults roll EIP
 * back to the instruction and are delivered at the boundary; traps (INT n, single-step) are
 * delivered with EIP after the instruction. Opcode groups live in small methods so that each stays
 * well under HotSpot's 8000-byte compilation limit.
 */
final class Interpreter implements Decoder.Fetcher {
    private final Vcpu c;
    /** The instruction being executed (from the decoded-instruction cache, or freshly decoded). */
    Insn in = new Insn();
    private final Insn scratch = new Insn();
    /** Start of the current instruction (the EIP a fault reports). */
    int startEip;
    private int fetchLinPage = -1;
    private int fetchPhys;
    private final InsnSystem sys;
    private final InsnString str;

    Interpreter(Vcpu c) {
        this.c = c;
        this.sys = new InsnSystem(c, this);
        this.str = new InsnString(c, this);
    }

    /** The TLB was flushed or CS was loaded: forgets every code page it knows. */
    void invalidateFetch() {
        forgetCurrentPage();
        recentSup.clear();
        recentUser.clear();
    }

    /** INVLPG of lin (large: the TLB had it from a 4 MiB page): forgets that page, or the 4 MiB around it. */
    void invalidateFetchPage(int lin, boolean large) {
        forgetCurrentPage();
        recentSup.forgetLinear(lin, large);
        recentUser.forgetLinear(lin, large);
    }

    /** The CPL changed: the current page is forgotten, the recent pages of the other privilege level are used. */
    void cplChanged(boolean user) {
        forgetCurrentPage();
        recent = user ? recentUser : recentSup;
    }

    private void forgetCurrentPage() {
        fetchLinPage = -1;
        hotPage = null;
        hotLinPage = -1;
    }

    // The page the CPU is executing from: its linear page and decoded-instruction array, so that a
    // cached instruction is found with one compare (valid until a TLB flush, CPL change or a write
    // to the page).
    private Insn[] hotPage;
    private int hotLinPage = -1;
    private int hotPpn = -1;

    // The code pages executed from recently, by privilege as the TLB's tables are (a page the TLB gives
    // supervisor code may not be fetched at CPL 3), so that a branch to another page finds the page's
    // array without the TLB and the decoded cache (6.6 M such page changes in a Linux boot).
    private final RecentCodePages recentSup = new RecentCodePages(), recentUser = new RecentCodePages();
    private RecentCodePages recent = recentSup;

    // While the translator decodes (decodePhysical): the physical address its bytes come from, else -1
    private int physStart = -1;

    /**
     * Decodes the 32-bit instruction at physical address pa for the translator, with
     * {@link BtTranslator#PAGE_END} where it would cross pa's page. The bytes come through this class's
     * {@link #fetch}, as for the interpreter's own decodes: with a second class of fetcher, the decoder's
     * calls saw two receivers, and C2 compiled Decoder.decode again each time one appeared after it had
     * compiled for the other (5 compiles of 25-45 ms in a boot).
     */
    void decodePhysical(int pa, Insn in) {
        physStart = pa;
        try {
            Decoder.decode(this, true, in);
        } finally {
            physStart = -1;
        }
    }

    @Override
    public int fetch(int n) {
        if (physStart >= 0) {
            if ((physStart & 0xfff) + n >= 0x1000) {
                throw BtTranslator.PAGE_END;
            }
            return c.ram8(physStart + n);
        }
        int off = startEip + n;
        if (!c.code32) {
            off &= 0xffff;
        }
        if (Integer.compareUnsigned(off, c.segLimit[CS]) > 0) {
            throw CpuFault.gp(0);
        }
        int lin = c.segBase[CS] + off;
        if ((lin & ~0xfff) != fetchLinPage) {
            int e = c.tlbRead[lin >>> 12];
            if (e != 0) {
                // the TLB (for this CPL) already holds the page: a fetch may read what a read may (32-bit
                // paging has no execute-disable), and its A bit was set when the entry was filled
                fetchLinPage = lin & ~0xfff;
                fetchPhys = e & ~0xfff;
                return c.ram8(fetchPhys | (lin & 0xfff));
            }
            long pa = c.translate(lin, false, c.cpl == 3);
            if (pa < 0) {
                fetchLinPage = -1;
                return (int) c.mmioRead(pa & 0xffffffffL, 1, lin) & 0xff;
            }
            fetchLinPage = lin & ~0xfff;
            fetchPhys = (int) pa & ~0xfff;
        }
        return c.ram8(fetchPhys | (lin & 0xfff));
    }

    /** Physical page of the current fetch page, for the decoded-instruction cache. */
    void codeInvalidated(int ppn) {
        if (ppn == hotPpn) {
            hotPage = null;
            hotLinPage = -1;
        }
        recentSup.forget(ppn);
        recentUser.forget(ppn);
    }

    /**
     * The decoded instruction at CS:eip: from the per-physical-page cache when it was decoded there
     * before in the same code size, otherwise decoded now (and cached unless it crosses a page).
     */
    private Insn lookup(int eip) {
        Vcpu c = this.c;
        if (c.code32 && (c.flatMask & (1 << Segment.CS)) != 0) {
            // flat 32-bit code (base 0, 4 GiB limit, kept in flatMask by every segment load): the linear
            // address is EIP and no instruction can pass the limit, so neither needs the segment arrays
            Insn cached = cachedFlat(eip);
            return cached != null ? cached : lookupSlow(eip, eip, eip);
        }
        int off = c.code32 ? eip : eip & 0xffff;
        int lin = c.segBase[Segment.CS] + off;
        if ((lin & ~0xfff) == hotLinPage) {
            Insn cached = hotPage[lin & 0xfff];
            if (cached != null && cached.code32 == c.code32
                    && Integer.compareUnsigned(off + cached.length - 1, c.segLimit[Segment.CS]) <= 0) {
                return cached;
            }
        }
        return lookupSlow(eip, off, lin);
    }

    private Insn lookupSlow(int eip, int off, int lin) {
        Vcpu c = this.c;
        if ((lin & ~0xfff) != fetchLinPage || fetchPhys < 0) {
            // translate the page (a fault here is the instruction fetch's #PF)
            fetch(0);
            if (fetchLinPage == -1) {
                Decoder.decode(this, c.code32, scratch);
                return scratch;
            }
        }
        int pa = fetchPhys | (lin & 0xfff);
        Insn[] page = c.decoded.get(pa >>> 12);
        if (page != null) {
            c.decoded.touch(pa >>> 12);
            Insn cached = page[pa & 0xfff];
            if (cached != null && cached.code32 == c.code32
                    && Integer.compareUnsigned(off + cached.length - 1, c.segLimit[Segment.CS]) <= 0) {
                makeHot(lin, pa, page);
                return cached;
            }
        }
        Insn fresh = new Insn();
        Decoder.decode(this, c.code32, fresh);
        fresh.code32 = c.code32;
        if ((lin & 0xfff) + fresh.length <= 0x1000) {
            // decoding may have moved the fetch window to the next page; the instruction is on this one
            Insn[] p = c.codePage(pa >>> 12);
            c.cacheInsn(pa, fresh);
            makeHot(lin, pa, p);
        }
        return fresh;
    }

    /**
     * The cached decoded instruction at eip in flat 32-bit code, decoding and caching it if needed, for
     * the translator's dispatcher (which keeps a unit start's heat and unit in it); null where nothing is
     * cached (code in MMIO, an instruction crossing its page) or the fetch faults. Never raises: a fault
     * is left for {@link #step}, which fetches there next (CR2 is left as it was).
     */
    Insn cachedInsn(int eip) {
        Insn cached = cachedFlat(eip);
        if (cached != null) {
            return cached;
        }
        int cr2 = c.cr2;
        try {
            startEip = eip;
            Insn in = lookupSlow(eip, eip, eip);
            return in == scratch || (eip & 0xfff) + in.length > 0x1000 ? null : in;
        } catch (CpuFault f) {
            c.cr2 = cr2;
            return null;
        }
    }

    private void makeHot(int lin, int pa, Insn[] page) {
        hotPage = page;
        hotLinPage = lin & ~0xfff;
        hotPpn = pa >>> 12;
        recent.put(lin, pa >>> 12, page);
    }

    /** The 32-bit instruction cached at eip in flat code, from the current page or a recent one, or null. */
    private Insn cachedFlat(int eip) {
        Insn cached = (eip & ~0xfff) == hotLinPage ? hotPage[eip & 0xfff] : recentInsn(eip);
        return cached != null && cached.code32 ? cached : null;
    }

    /**
     * The instruction cached at linear address lin if its page is a recent one (it becomes the current
     * page then, and counts as used for the decoded cache's clock), else null.
     */
    private Insn recentInsn(int lin) {
        RecentCodePages r = recent;
        int slot = RecentCodePages.slot(lin);
        if (r.lin[slot] != (lin & ~0xfff)) {
            return null;
        }
        Insn[] page = r.page[slot];
        Insn cached = page[lin & 0xfff];
        if (cached != null) {
            int ppn = r.ppn[slot];
            c.decoded.touch(ppn);
            hotPage = page;
            hotLinPage = lin & ~0xfff;
            hotPpn = ppn;
        }
        return cached;
    }

    /** Executes one instruction (or one chunk of a REP string instruction). */
    void step() {
        Vcpu c = this.c;
        int eip0 = c.eip;
        startEip = eip0;
        boolean tf = (c.flags & Vcpu.TF) != 0;
        try {
            Insn in = lookup(eip0);
            this.in = in;
            int next = eip0 + in.length;
            c.eip = c.code32 ? next : next & 0xffff;
            execute(in);
            c.icount++;
            if (tf && c.movSsShadowIcount != c.icount) {
                // single-step trap after the instruction (SDM 17.3.1.4); MOV SS / POP SS delay it by one (6.8.3)
                c.dr[6] |= 0x4000;
                c.deliverEvent(CpuFault.DB, 0, false, Protection.EVENT_EXCEPTION);
            }
        } catch (CpuFault f) {
            c.eip = eip0;
            c.icount++;
            c.raiseFault(f);
        }
    }

    // =====================================================================================
    // Operand helpers
    // =====================================================================================

    int ea() {
        Insn in = this.in;
        int a = in.disp;
        if (in.base >= 0) {
            a += c.reg[in.base];
        }
        if (in.index >= 0) {
            a += c.reg[in.index] << in.scale;
        }
        return in.adSize == 2 ? a & 0xffff : a;
    }

    int readE(int size) {
        if (in.mod == 3) {
            return c.getReg(size, in.rm);
        }
        return c.read(size, in.seg(), ea());
    }

    void writeE(int size, int v) {
        if (in.mod == 3) {
            c.setReg(size, in.rm, v);
        } else {
            c.write(size, in.seg(), ea(), v);
        }
    }

    /** Linear address of a memory operand that will be read then written, probed for writing first. */
    int rmwLin(int size) {
        int lin = c.linWrite(in.seg(), ea(), size);
        probeWrite(lin, size);
        return lin;
    }

    void probeWrite(int lin, int size) {
        if (c.tlbWrite[lin >>> 12] == 0) {
            c.translate(lin, true, c.cpl == 3);
        }
        int last = lin + size - 1;
        if (((last ^ lin) >>> 12) != 0 && c.tlbWrite[last >>> 12] == 0) {
            c.translate(last, true, c.cpl == 3);
        }
    }

    int readLin(int size, int lin) {
        return size == 4 ? c.readLin32(lin) : size == 2 ? c.readLin16(lin) : c.readLin8(lin);
    }

    void writeLin(int size, int lin, int v) {
        if (size == 4) {
            c.writeLin32(lin, v);
        } else if (size == 2) {
            c.writeLin16(lin, v);
        } else {
            c.writeLin8(lin, v);
        }
    }

    /** Sign-extends an immediate byte. */
    static int sx8(int v) {
        return (byte) v;
    }

    void jumpRel(int rel) {
        int t = c.eip + rel;
        if (in.opSize == 2) {
            t &= 0xffff;
        }
        jumpTo(t);
    }

    void jumpTo(int target) {
        if (Integer.compareUnsigned(target, c.segLimit[CS]) > 0) {
            throw CpuFault.gp(0);
        }
        c.eip = target;
    }

    void checkIo(int port, int size) {
        sys.checkIo(port, size);
    }

    int ioExit(int port, int size, boolean isIn, boolean string, boolean rep, boolean imm, int value) {
        return sys.ioExit(port, size, isIn, string, rep, imm, value);
    }

    void checkLock() {
        if ((in.prefixes & Insn.P_LOCK) != 0) {
            throw CpuFault.ud();
        }
    }

    /** LOCK is allowed only on these instructions with a memory destination (SDM Vol. 2A, LOCK). */
    private void checkLockable() {
        if ((in.prefixes & Insn.P_LOCK) == 0) {
            return;
        }
        int op = in.op;
        boolean ok = false;
        if (in.isMemory()) {
            if (op < 0x40 && (op & 7) < 2 && (op & 0x38) != 0x38) {
                ok = true;
            } else if (op >= 0x80 && op <= 0x83) {
                ok = in.regField != 7;
            } else if (op == 0x86 || op == 0x87) {
                ok = true;
            } else if (op == 0xf6 || op == 0xf7) {
                ok = in.regField == 2 || in.regField == 3;
            } else if (op == 0xfe || op == 0xff) {
                ok = in.regField < 2;
            } else if (op == 0x1ab || op == 0x1b3 || op == 0x1bb || op == 0x1b0 || op == 0x1b1 || op == 0x1c0 || op == 0x1c1) {
                ok = true;
            } else if (op == 0x1ba) {
                ok = in.regField >= 5;
            } else if (op == 0x1c7) {
                ok = in.regField == 1;
            }
        }
        if (!ok) {
            throw CpuFault.ud();
        }
    }

    // =====================================================================================
    // Dispatch
    // =====================================================================================

    void execute(Insn in) {
        int op = in.op;
        if ((in.prefixes & Insn.P_LOCK) != 0) {
            checkLockable();
        }
        if (op < 0x40) {
            if ((op & 7) < 6) {
                aluRow(op);
            } else {
                rowMisc(op);
            }
            return;
        }
        switch (op >>> 4) {
            case 0x4 -> incDecReg(op);
            case 0x5 -> pushPopReg(op);
            case 0x6 -> op6x(op);
            case 0x7 -> jcc(op & 15, sx8(in.imm));
            case 0x8 -> op8x(op);
            case 0x9 -> op9x(op);
            case 0xa -> opAx(op);
            case 0xb -> movImmReg(op);
            case 0xc -> opCx(op);
            case 0xd -> opDx(op);
            case 0xe -> opEx(op);
            case 0xf -> opFx(op);
            default -> sys.twoByte(op);
        }
    }

    // ---- 00-3F ----

    private void aluRow(int op) {
        int alu = op >>> 3;
        int form = op & 7;
        int size = (form & 1) == 0 ? 1 : in.opSize;
        switch (form) {
            case 0, 1 -> { // E, G
                int b = c.getReg(size, in.regField);
                if (in.mod == 3) {
                    int r = Alu.alu(c, alu, c.getReg(size, in.rm), b, size);
                    if (alu != 7) {
                        c.setReg(size, in.rm, r);
                    }
                } else if (alu == 7) {
                    Alu.alu(c, 7, c.read(size, in.seg(), ea()), b, size);
                } else {
                    int lin = rmwLin(size);
                    int r = Alu.alu(c, alu, readLin(size, lin), b, size);
                    writeLin(size, lin, r);
                }
            }
            case 2, 3 -> { // G, E
                int r = Alu.alu(c, alu, c.getReg(size, in.regField), readE(size), size);
                if (alu != 7) {
                    c.setReg(size, in.regField, r);
                }
            }
            case 4 -> {
                int r = Alu.alu(c, alu, c.reg[EAX], in.imm, 1);
                if (alu != 7) {
                    c.setReg8(EAX, r);
                }
            }
            default -> {
                int r = Alu.alu(c, alu, c.reg[EAX], in.imm, in.opSize);
                if (alu != 7) {
                    c.setReg(in.opSize, EAX, r);
                }
            }
        }
    }

    private void rowMisc(int op) {
        switch (op) {
            case 0x06 -> pushSeg(ES);
            case 0x07 -> popSeg(ES);
            case 0x0e -> pushSeg(CS);
            case 0x16 -> pushSeg(SS);
            case 0x17 -> popSeg(SS);
            case 0x1e -> pushSeg(DS);
            case 0x1f -> popSeg(DS);
            case 0x27 -> Bcd.daa(c);
            case 0x2f -> Bcd.das(c);
            case 0x37 -> Bcd.aaa(c);
            case 0x3f -> Bcd.aas(c);
            default -> throw CpuFault.ud(); // prefixes never reach here
        }
    }

    void pushSeg(int s) {
        int sel = c.segSel[s];
        if (in.opSize == 4) {
            // a 32-bit push of a segment register writes only 16 bits on P6 and later (SDM PUSH)
            int sp = c.reg[ESP] - 4;
            if (c.stack32) {
                c.write16(SS, sp, sel);
                c.reg[ESP] = sp;
            } else {
                c.write16(SS, sp & 0xffff, sel);
                c.reg[ESP] = (c.reg[ESP] & 0xffff0000) | (sp & 0xffff);
            }
        } else {
            c.push(2, sel);
        }
    }

    void popSeg(int s) {
        int sel = c.peek(in.opSize, 0) & 0xffff;
        Protection.loadSegment(c, s, sel);
        c.adjustSp(in.opSize);
        if (s == SS) {
            c.shadowIcount = c.icount + 1; // POP SS blocks interrupts and debug traps for one instruction
            c.movSsShadowIcount = c.icount + 1;
        }
    }

    // ---- 40-5F ----

    private void incDecReg(int op) {
        int r = op & 7;
        int size = in.opSize;
        int v = c.getReg(size, r);
        c.setReg(size, r, (op & 8) == 0 ? Alu.inc(c, v, size) : Alu.dec(c, v, size));
    }

    private void pushPopReg(int op) {
        int r = op & 7;
        if (op < 0x58) {
            c.push(in.opSize, c.getReg(in.opSize, r));
        } else {
            int v = c.peek(in.opSize, 0);
            c.adjustSp(in.opSize);
            c.setReg(in.opSize, r, v);
        }
    }

    // ---- 60-6F ----

    private void op6x(int op) {
        switch (op) {
            case 0x60 -> pusha();
            case 0x61 -> popa();
            case 0x62 -> bound();
            case 0x63 -> sys.arpl();
            case 0x68 -> c.push(in.opSize, in.imm);
            case 0x6a -> c.push(in.opSize, sx8(in.imm));
            case 0x69, 0x6b -> {
                int imm = op == 0x6b ? sx8(in.imm) : in.imm;
                c.setReg(in.opSize, in.regField, MulDiv.imul2(c, readE(in.opSize), imm, in.opSize));
            }
            case 0x6c -> str.ins(1);
            case 0x6d -> str.ins(in.opSize);
            case 0x6e -> str.outs(1);
            case 0x6f -> str.outs(in.opSize);
            default -> throw CpuFault.ud();
        }
    }

    private void pusha() {
        int size = in.opSize;
        int sp = c.reg[ESP];
        // check the whole area first so a fault leaves ESP untouched
        int top = c.stack32 ? sp : sp & 0xffff;
        int low = top - 8 * size;
        c.checkWritable(SS, c.stack32 ? low : low & 0xffff, 8 * size);
        for (int i = 0; i < 8; i++) {
            int v = i == ESP ? sp : c.reg[i];
            c.push(size, v);
        }
    }

    private void popa() {
        int size = in.opSize;
        int[] v = new int[8];
        for (int i = 0; i < 8; i++) {
            v[7 - i] = c.peek(size, i * size);
        }
        c.adjustSp(8 * size);
        for (int i = 0; i < 8; i++) {
            if (i != ESP) {
                c.setReg(size, i, v[i]);
            }
        }
    }

    private void bound() {
        if (in.mod == 3) {
            throw CpuFault.ud();
        }
        int size = in.opSize;
        int a = ea();
        int lo = c.read(size, in.seg(), a);
        int hi = c.read(size, in.seg(), a + size);
        int v = c.getReg(size, in.regField);
        if (size == 2) {
            lo = (short) lo;
            hi = (short) hi;
            v = (short) v;
        }
        if (v < lo || v > hi) {
            throw CpuFault.of(CpuFault.BR);
        }
    }

    void jcc(int cc, int rel) {
        boolean taken = Alu.cond(c, cc);
        int bias = in.bias;
        if (taken) {
            if (bias < Insn.BIAS_LIMIT) {
                in.bias = (byte) (bias + 1);
            }
            jumpRel(rel);
        } else if (bias > -Insn.BIAS_LIMIT) {
            in.bias = (byte) (bias - 1);
        }
    }

    // ---- 80-8F ----

    private void op8x(int op) {
        switch (op) {
            case 0x80, 0x81, 0x82, 0x83 -> {
                int size = (op & 1) == 0 ? 1 : in.opSize;
                int imm = op == 0x83 ? sx8(in.imm) : in.imm;
                int alu = in.regField;
                if (in.mod == 3) {
                    int r = Alu.alu(c, alu, c.getReg(size, in.rm), imm, size);
                    if (alu != 7) {
                        c.setReg(size, in.rm, r);
                    }
                } else if (alu == 7) {
                    Alu.alu(c, 7, c.read(size, in.seg(), ea()), imm, size);
                } else {
                    int lin = rmwLin(size);
                    writeLin(size, lin, Alu.alu(c, alu, readLin(size, lin), imm, size));
                }
            }
            case 0x84, 0x85 -> {
                int size = op == 0x84 ? 1 : in.opSize;
                Alu.logic(c, readE(size) & c.getReg(size, in.regField), size);
            }
            case 0x86, 0x87 -> {
                int size = op == 0x86 ? 1 : in.opSize;
                if (in.mod == 3) {
                    int a = c.getReg(size, in.rm);
                    c.setReg(size, in.rm, c.getReg(size, in.regField));
                    c.setReg(size, in.regField, a);
                } else {
                    int lin = rmwLin(size);
                    int a = readLin(size, lin);
                    writeLin(size, lin, c.getReg(size, in.regField));
                    c.setReg(size, in.regField, a);
                }
            }
            case 0x88 -> writeE(1, c.reg8(in.regField));
            case 0x89 -> writeE(in.opSize, c.reg[in.regField]);
            case 0x8a -> c.setReg8(in.regField, readE(1));
            case 0x8b -> c.setReg(in.opSize, in.regField, readE(in.opSize));
            case 0x8c -> {
                if (in.regField > 5) {
                    throw CpuFault.ud();
                }
                int sel = c.segSel[in.regField];
                if (in.mod == 3) {
                    c.setReg(in.opSize, in.rm, sel); // 32-bit register destination: zero-extended on P6
                } else {
                    c.write16(in.seg(), ea(), sel);
                }
            }
            case 0x8d -> {
                if (in.mod == 3) {
                    throw CpuFault.ud();
                }
                c.setReg(in.opSize, in.regField, ea());
            }
            case 0x8e -> {
                int s = in.regField;
                if (s == CS || s > 5) {
                    throw CpuFault.ud();
                }
                Protection.loadSegment(c, s, readE(2) & 0xffff);
                if (s == SS) {
                    c.shadowIcount = c.icount + 1; // MOV SS shadow (SDM 6.8.3)
                    c.movSsShadowIcount = c.icount + 1;
                }
            }
            default -> { // 8F /0 POP Ev
                if (in.regField != 0) {
                    throw CpuFault.ud();
                }
                int size = in.opSize;
                int v = c.peek(size, 0);
                if (in.mod == 3) {
                    c.adjustSp(size);
                    c.setReg(size, in.rm, v);
                } else {
                    // the address is computed with ESP already incremented (SDM POP)
                    int saved = c.reg[ESP];
                    c.adjustSp(size);
                    try {
                        c.write(size, in.seg(), ea(), v);
                    } catch (CpuFault f) {
                        c.reg[ESP] = saved;
                        throw f;
                    }
                }
            }
        }
    }

    // ---- 90-9F ----

    private void op9x(int op) {
        switch (op) {
            case 0x90 -> {
                if ((in.prefixes & Insn.P_REP) != 0 && c.controls.pauseExiting) {
                    c.vmexit(ExitReason.PAUSE, 0);
                }
            }
            case 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97 -> {
                int r = op & 7;
                int size = in.opSize;
                int a = c.getReg(size, r);
                c.setReg(size, r, c.getReg(size, EAX));
                c.setReg(size, EAX, a);
            }
            case 0x98 -> {
                if (in.opSize == 4) {
                    c.reg[EAX] = (short) c.reg[EAX];
                } else {
                    c.setReg16(EAX, (byte) c.reg[EAX]);
                }
            }
            case 0x99 -> {
                if (in.opSize == 4) {
                    c.reg[EDX] = c.reg[EAX] >> 31;
                } else {
                    c.setReg16(EDX, ((short) c.reg[EAX]) >> 15);
                }
            }
            case 0x9a -> {
                checkLock();
                Protection.farCall(c, in.imm2, in.imm, in.opSize);
            }
            case 0x9b -> sys.fwait();
            case 0x9c -> sys.pushf();
            case 0x9d -> sys.popf();
            case 0x9e -> Alu.sahf(c, c.reg8(4));
            default -> c.setReg8(4, (c.getEflags() & 0xd5) | 2); // LAHF
        }
    }

    // ---- A0-AF ----

    private void opAx(int op) {
        int seg = in.seg();
        switch (op) {
            case 0xa0 -> c.setReg8(EAX, c.read8(seg, in.disp));
            case 0xa1 -> c.setReg(in.opSize, EAX, c.read(in.opSize, seg, in.disp));
            case 0xa2 -> c.write8(seg, in.disp, c.reg[EAX]);
            case 0xa3 -> c.write(in.opSize, seg, in.disp, c.reg[EAX]);
            case 0xa8 -> Alu.logic(c, c.reg[EAX] & in.imm, 1);
            case 0xa9 -> Alu.logic(c, c.reg[EAX] & in.imm, in.opSize);
            default -> str.execute(op);
        }
    }

    private void movImmReg(int op) {
        if (op < 0xb8) {
            c.setReg8(op & 7, in.imm);
        } else {
            c.setReg(in.opSize, op & 7, in.imm);
        }
    }

    // ---- C0-CF ----

    private void opCx(int op) {
        switch (op) {
            case 0xc0 -> group2(1, in.imm & 31);
            case 0xc1 -> group2(in.opSize, in.imm & 31);
            case 0xc2 -> {
                int t = c.peek(in.opSize, 0);
                if (in.opSize == 2) {
                    t &= 0xffff;
                }
                jumpTo(t);
                c.adjustSp(in.opSize + in.imm);
            }
            case 0xc3 -> {
                int t = c.peek(in.opSize, 0);
                if (in.opSize == 2) {
                    t &= 0xffff;
                }
                jumpTo(t);
                c.adjustSp(in.opSize);
            }
            case 0xc4 -> loadFarPointer(ES);
            case 0xc5 -> loadFarPointer(DS);
            case 0xc6 -> {
                if (in.regField != 0) {
                    throw CpuFault.ud();
                }
                writeE(1, in.imm);
            }
            case 0xc7 -> {
                if (in.regField != 0) {
                    throw CpuFault.ud();
                }
                writeE(in.opSize, in.imm);
            }
            case 0xc8 -> enter();
            case 0xc9 -> { // LEAVE
                int bp = c.stack32 ? c.reg[EBP] : c.reg[EBP] & 0xffff;
                int v = c.read(in.opSize, SS, bp);
                if (c.stack32) {
                    c.reg[ESP] = bp + in.opSize;
                } else {
                    c.setReg16(ESP, bp + in.opSize);
                }
                c.setReg(in.opSize, EBP, v);
            }
            case 0xca -> Protection.farReturn(c, in.opSize, in.imm);
            case 0xcb -> Protection.farReturn(c, in.opSize, 0);
            case 0xcc -> sys.softInt(3, Protection.EVENT_SOFT_EXCEPTION);
            case 0xcd -> sys.intN(in.imm);
            case 0xce -> {
                if (Alu.of(c)) {
                    sys.softInt(CpuFault.OF, Protection.EVENT_SOFT_EXCEPTION);
                }
            }
            default -> Protection.iret(c, in.opSize);
        }
    }

    private void loadFarPointer(int s) {
        if (in.mod == 3) {
            throw CpuFault.ud();
        }
        int a = ea();
        int off = c.read(in.opSize, in.seg(), a);
        int sel = c.read16(in.seg(), a + in.opSize);
        Protection.loadSegment(c, s, sel);
        c.setReg(in.opSize, in.regField, off);
    }

    private void enter() {
        int size = in.opSize;
        int alloc = in.imm & 0xffff;
        int level = in.imm2 & 31;
        int sp = c.reg[ESP];
        int bp = c.reg[EBP];
        int savedEsp = sp;
        try {
            c.push(size, bp);
            int frame = c.stack32 ? c.reg[ESP] : c.reg[ESP] & 0xffff;
            if (level > 0) {
                int p = bp;
                for (int i = 1; i < level; i++) {
                    p -= size;
                    int v = c.read(size, SS, c.stack32 ? p : p & 0xffff);
                    c.push(size, v);
                }
                c.push(size, frame);
            }
            int nsp = (c.stack32 ? c.reg[ESP] : c.reg[ESP] & 0xffff) - alloc;
            // the final stack pointer must be writable (SDM ENTER: #SS if it is beyond the limit)
            c.linWrite(SS, c.stack32 ? nsp : nsp & 0xffff, 1);
            c.setReg(size, EBP, frame);
            if (c.stack32) {
                c.reg[ESP] = nsp;
            } else {
                c.setReg16(ESP, nsp);
            }
        } catch (CpuFault f) {
            c.reg[ESP] = savedEsp;
            c.reg[EBP] = bp;
            throw f;
        }
    }

    // ---- D0-DF ----

    private void opDx(int op) {
        switch (op) {
            case 0xd0 -> group2(1, 1);
            case 0xd1 -> group2(in.opSize, 1);
            case 0xd2 -> group2(1, c.reg[ECX] & 31);
            case 0xd3 -> group2(in.opSize, c.reg[ECX] & 31);
            case 0xd4 -> Bcd.aam(c, in.imm);
            case 0xd5 -> Bcd.aad(c, in.imm);
            case 0xd6 -> c.setReg8(EAX, c.getCF() ? 0xff : 0); // SALC (undocumented, P6 executes it)
            case 0xd7 -> { // XLAT
                int a = c.reg[EBX] + (c.reg[EAX] & 0xff);
                if (in.adSize == 2) {
                    a &= 0xffff;
                }
                c.setReg8(EAX, c.read8(in.seg(), a));
            }
            default -> sys.x87(op);
        }
    }

    private void group2(int size, int count) {
        int op = in.regField;
        if (in.mod == 3) {
            c.setReg(size, in.rm, Alu.shift(c, op, c.getReg(size, in.rm), count, size));
        } else {
            int lin = rmwLin(size);
            int v = readLin(size, lin);
            int r = Alu.shift(c, op, v, count, size);
            if (count != 0) {
                writeLin(size, lin, r);
            }
        }
    }

    // ---- E0-EF ----

    private void opEx(int op) {
        switch (op) {
            case 0xe0, 0xe1, 0xe2, 0xe3 -> loop(op);
            case 0xe4 -> sys.in(in.imm, 1, true);
            case 0xe5 -> sys.in(in.imm, in.opSize, true);
            case 0xe6 -> sys.out(in.imm, 1, true);
            case 0xe7 -> sys.out(in.imm, in.opSize, true);
            case 0xe8 -> {
                int t = c.eip + in.imm;
                if (in.opSize == 2) {
                    t &= 0xffff;
                }
                if (Integer.compareUnsigned(t, c.segLimit[CS]) > 0) {
                    throw CpuFault.gp(0);
                }
                c.push(in.opSize, c.eip);
                c.eip = t;
            }
            case 0xe9 -> jumpRel(in.imm);
            case 0xea -> Protection.farJump(c, in.imm2, in.imm, in.opSize);
            case 0xeb -> jumpRel(sx8(in.imm));
            case 0xec -> sys.in(c.reg[EDX] & 0xffff, 1, false);
            case 0xed -> sys.in(c.reg[EDX] & 0xffff, in.opSize, false);
            case 0xee -> sys.out(c.reg[EDX] & 0xffff, 1, false);
            default -> sys.out(c.reg[EDX] & 0xffff, in.opSize, false);
        }
    }

    private void loop(int op) {
        int rel = sx8(in.imm);
        if (op == 0xe3) {
            int cx = in.adSize == 4 ? c.reg[ECX] : c.reg[ECX] & 0xffff;
            if (cx == 0) {
                jumpRel(rel);
            }
            return;
        }
        int cx;
        if (in.adSize == 4) {
            cx = --c.reg[ECX];
        } else {
            cx = (c.reg[ECX] - 1) & 0xffff;
            c.setReg16(ECX, cx);
        }
        boolean take = cx != 0;
        if (op == 0xe0) {
            take &= !c.getZF();
        } else if (op == 0xe1) {
            take &= c.getZF();
        }
        if (take) {
            jumpRel(rel);
        }
    }

    // ---- F0-FF ----

    private void opFx(int op) {
        switch (op) {
            case 0xf1 -> sys.softInt(CpuFault.DB, Protection.EVENT_ICEBP);
            case 0xf4 -> sys.hlt();
            case 0xf5 -> { // CMC
                int f = c.getEflags();
                c.flags = f ^ CF;
            }
            case 0xf6 -> group3(1);
            case 0xf7 -> group3(in.opSize);
            case 0xf8 -> c.flags = c.getEflags() & ~CF;
            case 0xf9 -> c.flags = c.getEflags() | CF;
            case 0xfa -> sys.cli();
            case 0xfb -> sys.sti();
            case 0xfc -> c.flags &= ~Vcpu.DF;
            case 0xfd -> c.flags |= Vcpu.DF;
            case 0xfe -> {
                if (in.regField > 1) {
                    throw CpuFault.ud();
                }
                incDecE(1);
            }
            case 0xff -> group5();
            default -> throw CpuFault.ud(); // F0/F2/F3 are prefixes
        }
    }

    private void incDecE(int size) {
        boolean inc = in.regField == 0;
        if (in.mod == 3) {
            int v = c.getReg(size, in.rm);
            c.setReg(size, in.rm, inc ? Alu.inc(c, v, size) : Alu.dec(c, v, size));
        } else {
            int lin = rmwLin(size);
            int v = readLin(size, lin);
            // compute into locals first: flags must not change if the store faults (it cannot now: probed)
            writeLin(size, lin, inc ? Alu.inc(c, v, size) : Alu.dec(c, v, size));
        }
    }

    private void group3(int size) {
        switch (in.regField) {
            case 0, 1 -> Alu.logic(c, readE(size) & in.imm, size);
            case 2 -> { // NOT
                if (in.mod == 3) {
                    c.setReg(size, in.rm, ~c.getReg(size, in.rm));
                } else {
                    int lin = rmwLin(size);
                    writeLin(size, lin, ~readLin(size, lin));
                }
            }
            case 3 -> { // NEG
                if (in.mod == 3) {
                    c.setReg(size, in.rm, Alu.neg(c, c.getReg(size, in.rm), size));
                } else {
                    int lin = rmwLin(size);
                    int v = readLin(size, lin);
                    int m = Alu.mask(size);
                    writeLin(size, lin, (-v) & m);
                    Alu.neg(c, v, size);
                }
            }
            case 4 -> MulDiv.mul(c, readE(size), size);
            case 5 -> MulDiv.imul1(c, readE(size), size);
            case 6 -> MulDiv.div(c, readE(size), size);
            default -> MulDiv.idiv(c, readE(size), size);
        }
    }

    private void group5() {
        int size = in.opSize;
        switch (in.regField) {
            case 0, 1 -> incDecE(size);
            case 2 -> { // CALL near Ev
                int t = readE(size);
                if (size == 2) {
                    t &= 0xffff;
                }
                if (Integer.compareUnsigned(t, c.segLimit[CS]) > 0) {
                    throw CpuFault.gp(0);
                }
                c.push(size, c.eip);
                c.eip = t;
            }
            case 3, 5 -> { // CALL/JMP far Ep
                if (in.mod == 3) {
                    throw CpuFault.ud();
                }
                int a = ea();
                int off = c.read(size, in.seg(), a);
                int sel = c.read16(in.seg(), a + size);
                if (in.regField == 3) {
                    Protection.farCall(c, sel, off, size);
                } else {
                    Protection.farJump(c, sel, off, size);
                }
            }
            case 4 -> {
                int t = readE(size);
                jumpTo(size == 2 ? t & 0xffff : t);
            }
            case 6 -> c.push(size, readE(size));
            default -> throw CpuFault.ud();
        }
    }
}
