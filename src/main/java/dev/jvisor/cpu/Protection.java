package dev.jvisor.cpu;

import static dev.jvisor.cpu.Segment.CS;
import static dev.jvisor.cpu.Segment.DS;
import static dev.jvisor.cpu.Segment.ES;
import static dev.jvisor.cpu.Segment.FS;
import static dev.jvisor.cpu.Segment.GS;
import static dev.jvisor.cpu.Segment.LDTR;
import static dev.jvisor.cpu.Segment.SS;
import static dev.jvisor.cpu.Segment.TR;
import static dev.jvisor.cpu.Vcpu.ESP;

/**
 * Protected-mode mechanics (SDM Vol. 3A chapters 5-7): checked segment loads, far JMP/CALL/RET
 * through call gates with stack switching, IRET, event delivery through the IDT (interrupt, trap
 * and task gates; real-mode IVT; virtual-8086 mode), hardware task switching with 32-bit TSSs,
 * SYSENTER/SYSEXIT, LLDT/LTR, LAR/LSL/VERR/VERW.
 *
 * <p>Transfers that change several registers save the old state first and restore it if a fault
 * interrupts them, so a fault is always reported against an unchanged machine state.
 */
final class Protection {
    private Protection() { }

    static final int EVENT_EXTERNAL = 0, EVENT_EXCEPTION = 1, EVENT_SOFT_INT = 2, EVENT_SOFT_EXCEPTION = 3,
            EVENT_ICEBP = 4, EVENT_NMI = 5;
    static final int TASK_JMP = 0, TASK_CALL = 1, TASK_IRET = 2, TASK_INT = 3;

    // =====================================================================================
    // Descriptors
    // =====================================================================================

    /** Reads the 8-byte descriptor for sel, or throws #GP(sel) if it lies beyond the table limit. */
    static long descriptor(Vcpu c, int sel) {
        long d = descriptorOrMissing(c, sel);
        if (d == MISSING) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        return d;
    }

    /**
     * "No descriptor" (beyond the table limit, or no LDT). Should a guest table hold this exact
     * value, it reads as a non-present system descriptor of reserved type 0, which every caller
     * rejects anyway.
     */
    static final long MISSING = 0x7fff_0000_0000_0000L ^ 0x1234;

    static long descriptorOrMissing(Vcpu c, int sel) {
        int base;
        int limit;
        if ((sel & 4) != 0) {
            if ((c.segSel[LDTR] & 0xfffc) == 0 || !Segment.present(c.segAttr[LDTR])) {
                return MISSING;
            }
            base = c.segBase[LDTR];
            limit = c.segLimit[LDTR];
        } else {
            base = c.gdtBase;
            limit = c.gdtLimit;
        }
        int off = sel & 0xfff8;
        if (Integer.compareUnsigned(off + 7, limit) > 0) {
            return MISSING;
        }
        int lo = c.readSys32(base + off);
        int hi = c.readSys32(base + off + 4);
        return ((long) hi << 32) | (lo & 0xffffffffL);
    }

    static int lo(long d) { return (int) d; }
    static int hi(long d) { return (int) (d >>> 32); }

    private static int descAddr(Vcpu c, int sel) {
        return ((sel & 4) != 0 ? c.segBase[LDTR] : c.gdtBase) + (sel & 0xfff8);
    }

    /** Sets the accessed bit of a code/data descriptor in memory (SDM 3.4.5.1). */
    private static void markAccessed(Vcpu c, int sel, long d) {
        int h = hi(d);
        if ((h & 0x100) == 0) {
            c.writeSys8(descAddr(c, sel) + 5, (h >>> 8) | 1);
        }
    }

    private static void install(Vcpu c, int s, int sel, long d) {
        int h = hi(d);
        c.setSegment(s, sel, Segment.descBase(lo(d), h), Segment.descLimit(lo(d), h), Segment.descAttr(h) | 1);
    }

    // =====================================================================================
    // MOV/POP/LxS to a data or stack segment register
    // =====================================================================================

    static void loadSegment(Vcpu c, int s, int sel) {
        sel &= 0xffff;
        if (!c.protectedMode() || c.v86()) {
            c.loadSegmentReal(s, sel);
            return;
        }
        int cpl = c.cpl;
        if ((sel & 0xfffc) == 0) {
            if (s == SS) {
                throw CpuFault.gp(0);
            }
            c.setSegment(s, sel, 0, 0, 0); // a null selector: any access through it faults
            return;
        }
        long d = descriptor(c, sel);
        int a = Segment.descAttr(hi(d));
        int rpl = sel & 3;
        int dpl = Segment.dpl(a);
        if (s == SS) {
            if (rpl != cpl || dpl != cpl || !Segment.writable(a)) {
                throw CpuFault.gp(sel & 0xfffc);
            }
            if (!Segment.present(a)) {
                throw CpuFault.withError(CpuFault.SS, sel & 0xfffc);
            }
        } else {
            if (!Segment.readable(a) || Segment.isSystem(a)) {
                throw CpuFault.gp(sel & 0xfffc);
            }
            if (!Segment.conforming(a) && (rpl > dpl || cpl > dpl)) {
                throw CpuFault.gp(sel & 0xfffc);
            }
            if (!Segment.present(a)) {
                throw CpuFault.withError(CpuFault.NP, sel & 0xfffc);
            }
        }
        markAccessed(c, sel, d);
        install(c, s, sel, d);
    }

    /** After a return to an outer level: data segments the new CPL may not use become null (SDM RET, IRET). */
    private static void nullInaccessible(Vcpu c) {
        for (int s : new int[] {ES, DS, FS, GS}) {
            int a = c.segAttr[s];
            if ((c.segSel[s] & 0xfffc) == 0) {
                continue;
            }
            if ((Segment.isData(a) || !Segment.conforming(a)) && Segment.dpl(a) < c.cpl) {
                c.setSegment(s, 0, 0, 0, 0);
            }
        }
    }

    // =====================================================================================
    // State snapshots for multi-step transfers
    // =====================================================================================

    private static final class Saved {
        final int[] sel = new int[6], base = new int[6], limit = new int[6], attr = new int[6];
        int esp, eip, flags, cpl;

        Saved(Vcpu c) {
            for (int s = 0; s < 6; s++) {
                sel[s] = c.segSel[s];
                base[s] = c.segBase[s];
                limit[s] = c.segLimit[s];
                attr[s] = c.segAttr[s];
            }
            esp = c.reg[ESP];
            eip = c.eip;
            flags = c.getEflags();
        }

        void restore(Vcpu c) {
            c.flags = flags;
            c.lfOp = Alu.OP_NONE;
            for (int s = 0; s < 6; s++) {
                c.segSel[s] = sel[s];
                c.segBase[s] = base[s];
                c.segLimit[s] = limit[s];
                c.segAttr[s] = attr[s];
                c.updateAccess(s);
            }
            c.code32 = Segment.big(attr[CS]);
            c.stack32 = Segment.big(attr[SS]);
            c.reg[ESP] = esp;
            c.eip = eip;
            c.updateCpl();
        }
    }

    // =====================================================================================
    // Far JMP and CALL (SDM Vol. 2A JMP, CALL; Vol. 3A 5.8)
    // =====================================================================================

    static void farJump(Vcpu c, int sel, int off, int opSize) {
        sel &= 0xffff;
        if (!c.protectedMode() || c.v86()) {
            c.loadSegmentReal(CS, sel);
            c.eip = opSize == 2 ? off & 0xffff : off;
            return;
        }
        if ((sel & 0xfffc) == 0) {
            throw CpuFault.gp(0);
        }
        long d = descriptor(c, sel);
        int a = Segment.descAttr(hi(d));
        int cpl = c.cpl;
        if (!Segment.isSystem(a)) {
            checkCodeTarget(c, sel, a);
            int limit = Segment.descLimit(lo(d), hi(d));
            int target = opSize == 2 ? off & 0xffff : off;
            if (Integer.compareUnsigned(target, limit) > 0) {
                throw CpuFault.gp(0);
            }
            markAccessed(c, sel, d);
            install(c, CS, (sel & ~3) | cpl, d);
            c.eip = target;
            return;
        }
        int type = Segment.type(a);
        int dpl = Segment.dpl(a);
        switch (type) {
            case 4, 12 -> {
                if (dpl < cpl || dpl < (sel & 3)) {
                    throw CpuFault.gp(sel & 0xfffc);
                }
                if (!Segment.present(a)) {
                    throw CpuFault.withError(CpuFault.NP, sel & 0xfffc);
                }
                int tsel = lo(d) >>> 16;
                int toff = (lo(d) & 0xffff) | (type == 12 ? hi(d) & 0xffff0000 : 0);
                if ((tsel & 0xfffc) == 0) {
                    throw CpuFault.gp(0);
                }
                long td = descriptor(c, tsel);
                int ta = Segment.descAttr(hi(td));
                if (!Segment.isCode(ta)) {
                    throw CpuFault.gp(tsel & 0xfffc);
                }
                int tdpl = Segment.dpl(ta);
                if (Segment.conforming(ta) ? tdpl > cpl : tdpl != cpl) {
                    throw CpuFault.gp(tsel & 0xfffc);
                }
                if (!Segment.present(ta)) {
                    throw CpuFault.withError(CpuFault.NP, tsel & 0xfffc);
                }
                if (Integer.compareUnsigned(toff, Segment.descLimit(lo(td), hi(td))) > 0) {
                    throw CpuFault.gp(0);
                }
                markAccessed(c, tsel, td);
                install(c, CS, (tsel & ~3) | cpl, td);
                c.eip = toff;
            }
            case 5 -> taskGate(c, sel, d, TASK_JMP);
            case 1, 9 -> directTaskSwitch(c, sel, d, TASK_JMP);
            default -> throw CpuFault.gp(sel & 0xfffc);
        }
    }

    /** JMP/CALL straight to a TSS descriptor: its DPL must admit CPL and RPL, and it must be present (SDM 7.3). */
    private static void directTaskSwitch(Vcpu c, int sel, long d, int source) {
        int a = Segment.descAttr(hi(d));
        int dpl = Segment.dpl(a);
        if (dpl < c.cpl || dpl < (sel & 3)) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, sel & 0xfffc);
        }
        taskSwitch(c, sel, d, source);
    }

    /** Checks a direct far JMP/CALL target code segment (SDM Vol. 2A JMP: conforming/nonconforming rules). */
    private static void checkCodeTarget(Vcpu c, int sel, int a) {
        if (!Segment.isCode(a)) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        int dpl = Segment.dpl(a);
        if (Segment.conforming(a)) {
            if (dpl > c.cpl) {
                throw CpuFault.gp(sel & 0xfffc);
            }
        } else if ((sel & 3) > c.cpl || dpl != c.cpl) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, sel & 0xfffc);
        }
    }

    private static void taskGate(Vcpu c, int gateSel, long gate, int source) {
        int a = Segment.descAttr(hi(gate));
        int dpl = Segment.dpl(a);
        if (source != TASK_INT && (dpl < c.cpl || dpl < (gateSel & 3))) {
            throw CpuFault.gp(gateSel & 0xfffc);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, gateSel & 0xfffc);
        }
        int tss = lo(gate) >>> 16;
        if ((tss & 4) != 0) {
            throw CpuFault.gp(tss & 0xfffc);
        }
        long td = descriptor(c, tss);
        taskSwitch(c, tss, td, source);
    }

    static void farCall(Vcpu c, int sel, int off, int opSize) {
        sel &= 0xffff;
        if (!c.protectedMode() || c.v86()) {
            int sp = c.reg[ESP];
            try {
                c.push(opSize, c.segSel[CS]);
                c.push(opSize, c.eip);
            } catch (CpuFault f) {
                c.reg[ESP] = sp;
                throw f;
            }
            c.loadSegmentReal(CS, sel);
            c.eip = opSize == 2 ? off & 0xffff : off;
            return;
        }
        if ((sel & 0xfffc) == 0) {
            throw CpuFault.gp(0);
        }
        long d = descriptor(c, sel);
        int a = Segment.descAttr(hi(d));
        int cpl = c.cpl;
        if (!Segment.isSystem(a)) {
            checkCodeTarget(c, sel, a);
            int target = opSize == 2 ? off & 0xffff : off;
            if (Integer.compareUnsigned(target, Segment.descLimit(lo(d), hi(d))) > 0) {
                throw CpuFault.gp(0);
            }
            Saved saved = new Saved(c);
            try {
                c.push(opSize, c.segSel[CS]);
                c.push(opSize, c.eip);
                markAccessed(c, sel, d);
                install(c, CS, (sel & ~3) | cpl, d);
                c.eip = target;
            } catch (CpuFault f) {
                saved.restore(c);
                throw f;
            }
            return;
        }
        int type = Segment.type(a);
        switch (type) {
            case 4, 12 -> callGate(c, sel, d, type == 12 ? 4 : 2);
            case 5 -> taskGate(c, sel, d, TASK_CALL);
            case 1, 9 -> directTaskSwitch(c, sel, d, TASK_CALL);
            default -> throw CpuFault.gp(sel & 0xfffc);
        }
    }

    /** CALL through a call gate, switching to an inner stack with parameter copy if needed (SDM 5.8.5). */
    private static void callGate(Vcpu c, int gateSel, long gate, int gsize) {
        int a = Segment.descAttr(hi(gate));
        int cpl = c.cpl;
        int dpl = Segment.dpl(a);
        if (dpl < cpl || dpl < (gateSel & 3)) {
            throw CpuFault.gp(gateSel & 0xfffc);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, gateSel & 0xfffc);
        }
        int tsel = lo(gate) >>> 16;
        int toff = (lo(gate) & 0xffff) | (gsize == 4 ? hi(gate) & 0xffff0000 : 0);
        int params = hi(gate) & 0x1f;
        if ((tsel & 0xfffc) == 0) {
            throw CpuFault.gp(0);
        }
        long td = descriptor(c, tsel);
        int ta = Segment.descAttr(hi(td));
        int tdpl = Segment.dpl(ta);
        if (!Segment.isCode(ta) || tdpl > cpl) {
            throw CpuFault.gp(tsel & 0xfffc);
        }
        if (!Segment.present(ta)) {
            throw CpuFault.withError(CpuFault.NP, tsel & 0xfffc);
        }
        if (Integer.compareUnsigned(toff, Segment.descLimit(lo(td), hi(td))) > 0) {
            throw CpuFault.gp(0);
        }
        Saved saved = new Saved(c);
        try {
            if (!Segment.conforming(ta) && tdpl < cpl) {
                // inner privilege: new stack from the TSS
                int oldSs = c.segSel[SS];
                int oldEsp = c.reg[ESP];
                boolean oldStack32 = c.stack32;
                int[] args = new int[params];
                for (int i = 0; i < params; i++) {
                    int o = oldEsp + i * gsize;
                    args[i] = c.read(gsize, SS, oldStack32 ? o : o & 0xffff);
                }
                switchToInnerStack(c, tdpl, 0);
                markAccessed(c, tsel, td);
                install(c, CS, (tsel & ~3) | tdpl, td);
                c.push(gsize, oldSs);
                c.push(gsize, oldEsp);
                for (int i = params - 1; i >= 0; i--) {
                    c.push(gsize, args[i]);
                }
                c.push(gsize, saved.sel[CS]);
                c.push(gsize, saved.eip);
            } else {
                c.push(gsize, c.segSel[CS]);
                c.push(gsize, c.eip);
                markAccessed(c, tsel, td);
                install(c, CS, (tsel & ~3) | cpl, td);
            }
            c.eip = toff;
        } catch (CpuFault f) {
            saved.restore(c);
            throw f;
        }
    }

    /**
     * Loads SS:ESP for privilege level dpl from the current TSS (SDM 7.2.1 / 6.12.1), with the
     * #TS checks; ext is the EXT bit for error codes. Changes CPL to dpl.
     */
    private static void switchToInnerStack(Vcpu c, int dpl, int ext) {
        int type = Segment.type(c.segAttr[TR]);
        int base = c.segBase[TR];
        int newSs;
        int newEsp;
        if (type == 9 || type == 11) {
            int off = 4 + dpl * 8;
            if (Integer.compareUnsigned(off + 5, c.segLimit[TR]) > 0) {
                throw CpuFault.withError(CpuFault.TS, (c.segSel[TR] & 0xfffc) | ext);
            }
            newEsp = c.readSys32(base + off);
            newSs = c.readSys16(base + off + 4) & 0xffff;
        } else if (type == 1 || type == 3) {
            int off = 2 + dpl * 4;
            if (Integer.compareUnsigned(off + 3, c.segLimit[TR]) > 0) {
                throw CpuFault.withError(CpuFault.TS, (c.segSel[TR] & 0xfffc) | ext);
            }
            newEsp = c.readSys16(base + off) & 0xffff;
            newSs = c.readSys16(base + off + 2) & 0xffff;
        } else {
            throw CpuFault.withError(CpuFault.TS, (c.segSel[TR] & 0xfffc) | ext);
        }
        if ((newSs & 0xfffc) == 0) {
            throw CpuFault.withError(CpuFault.TS, ext);
        }
        long sd = descriptorOrMissing(c, newSs);
        if (sd == MISSING) {
            throw CpuFault.withError(CpuFault.TS, (newSs & 0xfffc) | ext);
        }
        int sa = Segment.descAttr(hi(sd));
        if ((newSs & 3) != dpl || Segment.dpl(sa) != dpl || !Segment.writable(sa)) {
            throw CpuFault.withError(CpuFault.TS, (newSs & 0xfffc) | ext);
        }
        if (!Segment.present(sa)) {
            throw CpuFault.withError(CpuFault.SS, (newSs & 0xfffc) | ext);
        }
        markAccessed(c, newSs, sd);
        // CPL changes with CS; set it now so the pushes are supervisor accesses
        c.cpl = dpl;
        c.updateCplTables();
        install(c, SS, newSs, sd);
        c.reg[ESP] = newEsp;
    }

    // =====================================================================================
    // Far RET (SDM Vol. 2B RET)
    // =====================================================================================

    static void farReturn(Vcpu c, int opSize, int popBytes) {
        if (!c.protectedMode() || c.v86()) {
            int ip = c.peek(opSize, 0);
            int cs = c.peek(opSize, opSize) & 0xffff;
            c.loadSegmentReal(CS, cs);
            c.eip = opSize == 2 ? ip & 0xffff : ip;
            c.adjustSp(2 * opSize + popBytes);
            return;
        }
        int newEip = c.peek(opSize, 0);
        int sel = c.peek(opSize, opSize) & 0xffff;
        if (opSize == 2) {
            newEip &= 0xffff;
        }
        long d = returnCodeSegment(c, sel, newEip);
        int rpl = sel & 3;
        int cpl = c.cpl;
        if (rpl == cpl) {
            markAccessed(c, sel, d);
            install(c, CS, sel, d);
            c.eip = newEip;
            c.adjustSp(2 * opSize + popBytes);
            return;
        }
        // return to an outer privilege level
        int depth = 2 * opSize + popBytes;
        int newEsp = c.peek(opSize, depth);
        int newSs = c.peek(opSize, depth + opSize) & 0xffff;
        long sd = checkOuterStack(c, newSs, rpl);
        Saved saved = new Saved(c);
        try {
            markAccessed(c, sel, d);
            install(c, CS, sel, d);
            markAccessed(c, newSs, sd);
            install(c, SS, newSs, sd);
            c.reg[ESP] = opSize == 2 && !c.stack32 ? (c.reg[ESP] & 0xffff0000) | (newEsp & 0xffff) : newEsp;
            c.adjustSp(popBytes);
            c.eip = newEip;
            nullInaccessible(c);
        } catch (CpuFault f) {
            saved.restore(c);
            throw f;
        }
    }

    /**
     * The checks far RET and IRET make on the code segment they return to (SDM Vol. 2B RET,
     * Vol. 2A IRET): not null, a code segment at RPL >= CPL, DPL = RPL (conforming: DPL <= RPL),
     * present, and the return EIP within its limit. Returns the descriptor.
     */
    private static long returnCodeSegment(Vcpu c, int sel, int newEip) {
        if ((sel & 0xfffc) == 0) {
            throw CpuFault.gp(0);
        }
        long d = descriptor(c, sel);
        int a = Segment.descAttr(hi(d));
        int rpl = sel & 3;
        if (rpl < c.cpl || !Segment.isCode(a)) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        int dpl = Segment.dpl(a);
        if (Segment.conforming(a) ? dpl > rpl : dpl != rpl) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, sel & 0xfffc);
        }
        if (Integer.compareUnsigned(newEip, Segment.descLimit(lo(d), hi(d))) > 0) {
            throw CpuFault.gp(0);
        }
        return d;
    }

    private static long checkOuterStack(Vcpu c, int ss, int rpl) {
        if ((ss & 0xfffc) == 0) {
            throw CpuFault.gp(0);
        }
        long sd = descriptor(c, ss);
        int sa = Segment.descAttr(hi(sd));
        if ((ss & 3) != rpl || Segment.dpl(sa) != rpl || !Segment.writable(sa)) {
            throw CpuFault.gp(ss & 0xfffc);
        }
        if (!Segment.present(sa)) {
            throw CpuFault.withError(CpuFault.SS, ss & 0xfffc);
        }
        return sd;
    }

    // =====================================================================================
    // IRET (SDM Vol. 2A IRET)
    // =====================================================================================

    static void iret(Vcpu c, int opSize) {
        c.nmiBlocked = false;
        if (!c.protectedMode()) {
            int ip = c.peek(opSize, 0);
            int cs = c.peek(opSize, opSize) & 0xffff;
            int fl = c.peek(opSize, 2 * opSize);
            c.loadSegmentReal(CS, cs);
            c.eip = opSize == 2 ? ip & 0xffff : ip;
            c.adjustSp(3 * opSize);
            int mask = opSize == 2 ? 0xffff : Vcpu.EFLAGS_MASK & ~(Vcpu.VM | Vcpu.VIF | Vcpu.VIP);
            c.setEflagsMasked(fl, mask);
            return;
        }
        if (c.v86()) {
            if (c.iopl() < 3) {
                throw CpuFault.gp(0);
            }
            int ip = c.peek(opSize, 0);
            int cs = c.peek(opSize, opSize) & 0xffff;
            int fl = c.peek(opSize, 2 * opSize);
            c.loadSegmentReal(CS, cs);
            c.eip = opSize == 2 ? ip & 0xffff : ip;
            c.adjustSp(3 * opSize);
            int mask = (opSize == 2 ? 0xffff : Vcpu.EFLAGS_MASK) & ~(Vcpu.VM | Vcpu.IOPL | Vcpu.VIF | Vcpu.VIP);
            c.setEflagsMasked(fl, mask);
            return;
        }
        if ((c.flags & Vcpu.NT) != 0) {
            // return from a nested task through the back link (SDM 7.3)
            int link = c.readSys16(c.segBase[TR]) & 0xffff;
            if ((link & 4) != 0) {
                throw CpuFault.withError(CpuFault.TS, link & 0xfffc);
            }
            long td = descriptorOrMissing(c, link);
            if (td == MISSING) {
                throw CpuFault.withError(CpuFault.TS, link & 0xfffc);
            }
            taskSwitch(c, link, td, TASK_IRET);
            return;
        }
        int newEip = c.peek(opSize, 0);
        int sel = c.peek(opSize, opSize) & 0xffff;
        int fl = c.peek(opSize, 2 * opSize);
        if (opSize == 2) {
            fl = (c.getEflags() & 0xffff0000) | (fl & 0xffff);
        }
        if ((fl & Vcpu.VM) != 0 && c.cpl == 0 && opSize == 4) {
            iretToV86(c, newEip, sel, fl);
            return;
        }
        if (opSize == 2) {
            newEip &= 0xffff;
        }
        long d = returnCodeSegment(c, sel, newEip);
        int rpl = sel & 3;
        int cpl = c.cpl;
        int mask = Vcpu.ARITH | Vcpu.TF | Vcpu.DF | Vcpu.NT | Vcpu.RF | Vcpu.AC | Vcpu.ID;
        if (cpl == 0) {
            mask |= Vcpu.IOPL | Vcpu.VIF | Vcpu.VIP;
        }
        if (cpl <= c.iopl()) {
            mask |= Vcpu.IF;
        }
        if (opSize == 2) {
            mask &= 0xffff;
        }
        if (rpl == cpl) {
            markAccessed(c, sel, d);
            install(c, CS, sel, d);
            c.eip = newEip;
            c.adjustSp(3 * opSize);
            c.setEflagsMasked(fl, mask);
            return;
        }
        int newEsp = c.peek(opSize, 3 * opSize);
        int newSs = c.peek(opSize, 4 * opSize) & 0xffff;
        long sd = checkOuterStack(c, newSs, rpl);
        Saved saved = new Saved(c);
        try {
            markAccessed(c, sel, d);
            markAccessed(c, newSs, sd);
            c.setEflagsMasked(fl, mask);
            install(c, CS, sel, d);
            install(c, SS, newSs, sd);
            c.reg[ESP] = opSize == 2 ? (c.reg[ESP] & 0xffff0000) | (newEsp & 0xffff) : newEsp;
            c.eip = newEip;
            nullInaccessible(c);
        } catch (CpuFault f) {
            saved.restore(c);
            throw f;
        }
    }

    private static void iretToV86(Vcpu c, int newEip, int cs, int fl) {
        int esp = c.peek(4, 12);
        int ss = c.peek(4, 16);
        int es = c.peek(4, 20);
        int ds = c.peek(4, 24);
        int fs = c.peek(4, 28);
        int gs = c.peek(4, 32);
        c.setEflags(fl);
        c.loadSegmentReal(CS, cs);
        c.loadSegmentReal(SS, ss);
        c.loadSegmentReal(ES, es);
        c.loadSegmentReal(DS, ds);
        c.loadSegmentReal(FS, fs);
        c.loadSegmentReal(GS, gs);
        c.reg[ESP] = esp;
        c.eip = newEip & 0xffff;
        c.updateCpl();
    }

    // =====================================================================================
    // Event delivery (SDM Vol. 3A, 6.12 and 20.1.4 for real mode)
    // =====================================================================================

    static void deliver(Vcpu c, int vector, int error, boolean hasError, int kind) {
        c.halted = false;
        boolean software = kind == EVENT_SOFT_INT || kind == EVENT_SOFT_EXCEPTION;
        int ext = software ? 0 : 1;
        if (!c.protectedMode()) {
            deliverReal(c, vector);
            return;
        }
        int off = vector * 8;
        if (Integer.compareUnsigned(off + 7, c.idtLimit) > 0) {
            throw CpuFault.gp(off + 2 + ext);
        }
        int lo = c.readSys32(c.idtBase + off);
        int hi = c.readSys32(c.idtBase + off + 4);
        int a = Segment.descAttr(hi);
        int type = Segment.type(a);
        if (!(type == 5 || type == 6 || type == 7 || type == 14 || type == 15) || !Segment.isSystem(a)) {
            throw CpuFault.gp(off + 2 + ext);
        }
        if (software && Segment.dpl(a) < c.cpl) {
            throw CpuFault.gp(off + 2);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, off + 2 + ext);
        }
        if (kind == EVENT_NMI) {
            c.nmiBlocked = true;
        }
        if (type == 5) {
            int tss = lo >>> 16;
            if ((tss & 4) != 0) {
                throw CpuFault.withError(CpuFault.TS, (tss & 0xfffc) | ext);
            }
            long td = descriptorOrMissing(c, tss);
            if (td == MISSING) {
                throw CpuFault.withError(CpuFault.TS, (tss & 0xfffc) | ext);
            }
            taskSwitch(c, tss, td, TASK_INT);
            if (hasError) {
                c.push(Segment.type(c.segAttr[TR]) == 9 || Segment.type(c.segAttr[TR]) == 11 ? 4 : 2, error);
            }
            return;
        }
        int gsize = type >= 14 ? 4 : 2;
        int tsel = lo >>> 16;
        int toff = (lo & 0xffff) | (gsize == 4 ? hi & 0xffff0000 : 0);
        if ((tsel & 0xfffc) == 0) {
            throw CpuFault.gp(ext);
        }
        long td = descriptorOrMissing(c, tsel);
        if (td == MISSING) {
            throw CpuFault.gp((tsel & 0xfffc) | ext);
        }
        int ta = Segment.descAttr(hi(td));
        int tdpl = Segment.dpl(ta);
        if (!Segment.isCode(ta) || tdpl > c.cpl) {
            throw CpuFault.gp((tsel & 0xfffc) | ext);
        }
        if (!Segment.present(ta)) {
            throw CpuFault.withError(CpuFault.NP, (tsel & 0xfffc) | ext);
        }
        if (Integer.compareUnsigned(toff, Segment.descLimit(lo(td), hi(td))) > 0) {
            throw CpuFault.gp(ext);
        }
        boolean fromV86 = c.v86();
        Saved saved = new Saved(c);
        int oldFlags = saved.flags;
        try {
            if (!Segment.conforming(ta) && tdpl < c.cpl) {
                if (fromV86 && tdpl != 0) {
                    throw CpuFault.gp((tsel & 0xfffc) | ext);
                }
                int oldSs = c.segSel[SS];
                int oldEsp = c.reg[ESP];
                // leave V86 before touching the new stack so its selectors are protected-mode ones
                c.flags &= ~Vcpu.VM;
                switchToInnerStack(c, tdpl, ext);
                markAccessed(c, tsel, td);
                install(c, CS, (tsel & ~3) | tdpl, td);
                if (fromV86) {
                    c.push(gsize, saved.sel[GS]);
                    c.push(gsize, saved.sel[FS]);
                    c.push(gsize, saved.sel[DS]);
                    c.push(gsize, saved.sel[ES]);
                }
                c.push(gsize, oldSs);
                c.push(gsize, oldEsp);
                if (fromV86) {
                    for (int s : new int[] {ES, DS, FS, GS}) {
                        c.setSegment(s, 0, 0, 0, 0);
                    }
                }
            } else {
                if (fromV86) {
                    throw CpuFault.gp((tsel & 0xfffc) | ext);
                }
                markAccessed(c, tsel, td);
                install(c, CS, (tsel & ~3) | c.cpl, td);
            }
            c.push(gsize, oldFlags);
            c.push(gsize, saved.sel[CS]);
            c.push(gsize, saved.eip);
            if (hasError) {
                c.push(gsize, error);
            }
            c.eip = toff;
            int f = c.flags & ~(Vcpu.TF | Vcpu.NT | Vcpu.RF | Vcpu.VM);
            if ((type & 1) == 0) {
                f &= ~Vcpu.IF; // interrupt gate
            }
            c.flags = f;
            c.updateCpl();
        } catch (CpuFault fault) {
            saved.restore(c);
            throw fault;
        }
    }

    private static void deliverReal(Vcpu c, int vector) {
        int off = vector * 4;
        if (Integer.compareUnsigned(off + 3, c.idtLimit) > 0) {
            throw CpuFault.gp(0);
        }
        int ip = c.readLin16(c.idtBase + off);
        int cs = c.readLin16(c.idtBase + off + 2);
        int sp = c.reg[ESP];
        try {
            c.push(2, c.getEflags());
            c.push(2, c.segSel[CS]);
            c.push(2, c.eip);
        } catch (CpuFault f) {
            c.reg[ESP] = sp;
            throw f;
        }
        c.flags &= ~(Vcpu.IF | Vcpu.TF | Vcpu.AC | Vcpu.RF);
        c.loadSegmentReal(CS, cs);
        c.eip = ip;
    }

    // =====================================================================================
    // Hardware task switch, 32-bit TSS (SDM Vol. 3A, 7.3)
    // =====================================================================================

    static void taskSwitch(Vcpu c, int sel, long d, int source) {
        int a = Segment.descAttr(hi(d));
        int type = Segment.type(a);
        if (source == TASK_IRET) {
            if (type != 11) {
                throw CpuFault.withError(CpuFault.TS, sel & 0xfffc);
            }
        } else if (type != 9) {
            if (type == 1 || type == 3) {
                // 16-bit TSSs (80286 tasks) are not implemented by this CPU model
                throw CpuFault.withError(CpuFault.TS, sel & 0xfffc);
            }
            throw CpuFault.gp(sel & 0xfffc);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, sel & 0xfffc);
        }
        int nbase = Segment.descBase(lo(d), hi(d));
        int nlimit = Segment.descLimit(lo(d), hi(d));
        if (Integer.compareUnsigned(nlimit, 0x67) < 0) {
            throw CpuFault.withError(CpuFault.TS, sel & 0xfffc);
        }
        int obase = c.segBase[TR];
        int otype = Segment.type(c.segAttr[TR]);
        if (otype != 11 && otype != 9) {
            throw CpuFault.withError(CpuFault.TS, c.segSel[TR] & 0xfffc);
        }
        // read the whole new state first: a fault here leaves everything unchanged
        int[] n = new int[26];
        for (int i = 0; i < 26; i++) {
            n[i] = c.readSys32(nbase + i * 4);
        }
        int ncr3 = n[7], neip = n[8], nflags = n[9];
        // save the outgoing task (dynamic fields, SDM Figure 7-2)
        int oflags = c.getEflags();
        if (source == TASK_JMP || source == TASK_IRET) {
            oflags &= ~Vcpu.NT;
        }
        c.writeSys32(obase + 0x20, c.eip);
        c.writeSys32(obase + 0x24, oflags);
        for (int r = 0; r < 8; r++) {
            c.writeSys32(obase + 0x28 + r * 4, c.reg[r]);
        }
        for (int s = 0; s < 6; s++) {
            c.writeSys16(obase + 0x48 + s * 4, c.segSel[s]);
        }
        int oldTr = c.segSel[TR];
        if (source == TASK_JMP || source == TASK_IRET) {
            int addr = c.gdtBase + (oldTr & 0xfff8) + 5;
            c.writeSys8(addr, c.readSys8(addr) & ~2); // clear busy
        }
        if (source == TASK_CALL || source == TASK_INT) {
            c.writeSys16(nbase, oldTr);
            nflags |= Vcpu.NT;
        }
        if (source != TASK_IRET) {
            int addr = c.gdtBase + (sel & 0xfff8) + 5;
            c.writeSys8(addr, c.readSys8(addr) | 2); // set busy
            a |= 2;
        }
        c.setSegment(TR, sel, nbase, nlimit, a);
        // load the new task's state
        if ((c.cr0 & Vcpu.CR0_PG) != 0 && ncr3 != c.cr3) {
            c.cr3 = ncr3;
            c.flushTlb(false);
        } else {
            c.cr3 = ncr3;
        }
        c.cr0 |= Vcpu.CR0_TS;
        c.eip = neip;
        c.setEflags(nflags);
        for (int r = 0; r < 8; r++) {
            c.reg[r] = n[10 + r];
        }
        int[] sels = new int[6];
        for (int s = 0; s < 6; s++) {
            sels[s] = n[18 + s] & 0xffff;
        }
        int ldt = n[24] & 0xffff;
        // selectors first (so a fault reports them), then the checked descriptor loads
        for (int s = 0; s < 6; s++) {
            c.segSel[s] = sels[s];
        }
        c.segSel[LDTR] = ldt;
        if ((ldt & 0xfffc) != 0) {
            if ((ldt & 4) != 0) {
                throw CpuFault.withError(CpuFault.TS, ldt & 0xfffc);
            }
            long ld = descriptorOrMissing(c, ldt);
            if (ld == MISSING || Segment.type(Segment.descAttr(hi(ld))) != 2) {
                throw CpuFault.withError(CpuFault.TS, ldt & 0xfffc);
            }
            if (!Segment.present(Segment.descAttr(hi(ld)))) {
                throw CpuFault.withError(CpuFault.TS, ldt & 0xfffc);
            }
            install(c, LDTR, ldt, ld);
        } else {
            c.setSegment(LDTR, 0, 0, 0, 0);
        }
        if ((nflags & Vcpu.VM) != 0) {
            for (int s = 0; s < 6; s++) {
                c.loadSegmentReal(s, sels[s]);
            }
            c.updateCpl();
            return;
        }
        int cs = sels[CS];
        if ((cs & 0xfffc) == 0) {
            throw CpuFault.withError(CpuFault.TS, 0);
        }
        long cd = descriptorOrMissing(c, cs);
        if (cd == MISSING) {
            throw CpuFault.withError(CpuFault.TS, cs & 0xfffc);
        }
        int ca = Segment.descAttr(hi(cd));
        if (!Segment.isCode(ca)) {
            throw CpuFault.withError(CpuFault.TS, cs & 0xfffc);
        }
        if (Segment.conforming(ca) ? Segment.dpl(ca) > (cs & 3) : Segment.dpl(ca) != (cs & 3)) {
            throw CpuFault.withError(CpuFault.TS, cs & 0xfffc);
        }
        if (!Segment.present(ca)) {
            throw CpuFault.withError(CpuFault.NP, cs & 0xfffc);
        }
        install(c, CS, cs, cd);
        c.updateCpl();
        int ss = sels[SS];
        if ((ss & 0xfffc) == 0) {
            throw CpuFault.withError(CpuFault.TS, 0);
        }
        long sd = descriptorOrMissing(c, ss);
        if (sd == MISSING) {
            throw CpuFault.withError(CpuFault.TS, ss & 0xfffc);
        }
        int sa = Segment.descAttr(hi(sd));
        if ((ss & 3) != c.cpl || Segment.dpl(sa) != c.cpl || !Segment.writable(sa)) {
            throw CpuFault.withError(CpuFault.TS, ss & 0xfffc);
        }
        if (!Segment.present(sa)) {
            throw CpuFault.withError(CpuFault.SS, ss & 0xfffc);
        }
        install(c, SS, ss, sd);
        for (int s : new int[] {ES, DS, FS, GS}) {
            int ds = sels[s];
            if ((ds & 0xfffc) == 0) {
                c.setSegment(s, ds, 0, 0, 0);
                continue;
            }
            long dd = descriptorOrMissing(c, ds);
            if (dd == MISSING) {
                throw CpuFault.withError(CpuFault.TS, ds & 0xfffc);
            }
            int da = Segment.descAttr(hi(dd));
            if (!Segment.readable(da) || Segment.isSystem(da)
                    || (!Segment.conforming(da) && (Segment.dpl(da) < c.cpl || Segment.dpl(da) < (ds & 3)))) {
                throw CpuFault.withError(CpuFault.TS, ds & 0xfffc);
            }
            if (!Segment.present(da)) {
                throw CpuFault.withError(CpuFault.NP, ds & 0xfffc);
            }
            install(c, s, ds, dd);
        }
    }

    // =====================================================================================
    // LLDT, LTR, LAR, LSL, VERR, VERW
    // =====================================================================================

    static void lldt(Vcpu c, int sel) {
        if ((sel & 0xfffc) == 0) {
            c.setSegment(LDTR, sel, 0, 0, 0);
            return;
        }
        if ((sel & 4) != 0) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        long d = descriptor(c, sel);
        int a = Segment.descAttr(hi(d));
        if (!Segment.isSystem(a) || Segment.type(a) != 2) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, sel & 0xfffc);
        }
        install(c, LDTR, sel, d);
    }

    static void ltr(Vcpu c, int sel) {
        if ((sel & 0xfffc) == 0) {
            throw CpuFault.gp(0);
        }
        if ((sel & 4) != 0) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        long d = descriptor(c, sel);
        int a = Segment.descAttr(hi(d));
        int type = Segment.type(a);
        if (!Segment.isSystem(a) || (type != 9 && type != 1)) {
            throw CpuFault.gp(sel & 0xfffc);
        }
        if (!Segment.present(a)) {
            throw CpuFault.withError(CpuFault.NP, sel & 0xfffc);
        }
        c.writeSys8(c.gdtBase + (sel & 0xfff8) + 5, (hi(d) >>> 8) | 2); // mark busy
        int h = hi(d);
        c.setSegment(TR, sel, Segment.descBase(lo(d), h), Segment.descLimit(lo(d), h), Segment.descAttr(h) | 2);
    }

    /** Descriptor visible to LAR/LSL/VERR/VERW at this CPL and the selector's RPL, or MISSING. */
    private static long visible(Vcpu c, int sel, boolean lsl) {
        if ((sel & 0xfffc) == 0) {
            return MISSING;
        }
        long d = descriptorOrMissing(c, sel);
        if (d == MISSING) {
            return MISSING;
        }
        int a = Segment.descAttr(hi(d));
        if (Segment.isSystem(a)) {
            int t = Segment.type(a);
            boolean ok = lsl ? (t == 1 || t == 2 || t == 3 || t == 9 || t == 11)
                    : (t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 11 || t == 12);
            if (!ok) {
                return MISSING;
            }
        }
        boolean conformingCode = !Segment.isSystem(a) && Segment.conforming(a);
        int dpl = Segment.dpl(a);
        if (!conformingCode && (dpl < c.cpl || dpl < (sel & 3))) {
            return MISSING;
        }
        return d;
    }

    /** LAR: the access rights (descriptor high dword masked 00F0FF00H), or -1 with ZF cleared. */
    static long lar(Vcpu c, int sel) {
        long d = visible(c, sel, false);
        return d == MISSING ? -1 : hi(d) & 0x00f0ff00L;
    }

    static long lsl(Vcpu c, int sel) {
        long d = visible(c, sel, true);
        return d == MISSING ? -1 : Segment.descLimit(lo(d), hi(d)) & 0xffffffffL;
    }

    static boolean verify(Vcpu c, int sel, boolean write) {
        if ((sel & 0xfffc) == 0) {
            return false;
        }
        long d = descriptorOrMissing(c, sel);
        if (d == MISSING) {
            return false;
        }
        int a = Segment.descAttr(hi(d));
        if (Segment.isSystem(a)) {
            return false;
        }
        if (!(Segment.isCode(a) && Segment.conforming(a))) {
            int dpl = Segment.dpl(a);
            if (dpl < c.cpl || dpl < (sel & 3)) {
                return false;
            }
        }
        return write ? Segment.writable(a) : Segment.readable(a);
    }

    // =====================================================================================
    // SYSENTER / SYSEXIT (SDM Vol. 2B)
    // =====================================================================================

    static void sysenter(Vcpu c) {
        if (!c.protectedMode() || (c.sysenterCs & 0xfffc) == 0) {
            throw CpuFault.gp(0);
        }
        c.flags &= ~(Vcpu.VM | Vcpu.IF | Vcpu.RF);
        int cs = c.sysenterCs & 0xfffc;
        c.setSegment(CS, cs, 0, -1, 0xc09b);
        c.setSegment(SS, cs + 8, 0, -1, 0xc093);
        c.updateCpl();
        c.reg[ESP] = c.sysenterEsp;
        c.eip = c.sysenterEip;
    }

    static void sysexit(Vcpu c) {
        if (!c.protectedMode() || c.v86() || c.cpl != 0 || (c.sysenterCs & 0xfffc) == 0) {
            throw CpuFault.gp(0);
        }
        int cs = c.sysenterCs & 0xfffc;
        c.setSegment(CS, (cs + 16) | 3, 0, -1, 0xc0fb);
        c.setSegment(SS, (cs + 24) | 3, 0, -1, 0xc0f3);
        c.updateCpl();
        c.reg[ESP] = c.reg[Vcpu.ECX];
        c.eip = c.reg[Vcpu.EDX];
    }
}
