package dev.jvisor.cpu;

import static dev.jvisor.cpu.Segment.CS;
import static dev.jvisor.cpu.Segment.FS;
import static dev.jvisor.cpu.Segment.GS;
import static dev.jvisor.cpu.Segment.SS;
import static dev.jvisor.cpu.Segment.TR;
import static dev.jvisor.cpu.Vcpu.CF;
import static dev.jvisor.cpu.Vcpu.EAX;
import static dev.jvisor.cpu.Vcpu.ECX;
import static dev.jvisor.cpu.Vcpu.EDX;
import static dev.jvisor.cpu.Vcpu.EBX;

import dev.jvisor.cpu.fpu.FpuHost;

/**
 * The 0F opcode map and the system and sensitive instructions: I/O, interrupts flag, HLT, control
 * and debug registers, descriptor tables, MSRs, CPUID, the x87 escape. Sensitive ones take VM
 * exits as the execution controls say (DESIGN.md section 2).
 */
final class InsnSystem implements FpuHost {
    private final Vcpu c;
    private final Interpreter ip;

    InsnSystem(Vcpu c, Interpreter ip) {
        this.c = c;
        this.ip = ip;
    }

    private Insn in() {
        return ip.in;
    }

    private void requireCpl0() {
        if (c.cpl != 0) {
            throw CpuFault.gp(0);
        }
    }

    private void requirePm() {
        if (!c.protectedMode() || c.v86()) {
            throw CpuFault.ud();
        }
    }

    // =====================================================================================
    // 0F map
    // =====================================================================================

    void twoByte(int op) {
        Insn in = in();
        if (op > 0x1ff) {
            throw CpuFault.ud(); // not implemented by this CPU (SSE, MMX, 3DNow!, ...)
        }
        int b = op & 0xff;
        switch (b >>> 4) {
            case 0x0, 0x1 -> op0x(b);
            case 0x2 -> movCrDr(b);
            case 0x3 -> op3x(b);
            case 0x4 -> { // CMOVcc: the source is read even when the condition is false
                int v = ip.readE(in.opSize);
                if (Alu.cond(c, b & 15)) {
                    c.setReg(in.opSize, in.regField, v);
                }
            }
            case 0x8 -> ip.jcc(b & 15, in.imm);
            case 0x9 -> ip.writeE(1, Alu.cond(c, b & 15) ? 1 : 0);
            case 0xa -> opAx(b);
            case 0xb -> opBx(b);
            case 0xc -> opCx(b);
            default -> throw CpuFault.ud();
        }
    }

    private void op0x(int b) {
        Insn in = in();
        switch (b) {
            case 0x00 -> group6();
            case 0x01 -> group7();
            case 0x02, 0x03 -> {
                requirePm();
                int sel = ip.readE(2) & 0xffff;
                long r = b == 0x02 ? Protection.lar(c, sel) : Protection.lsl(c, sel);
                if (r >= 0) {
                    c.setReg(in.opSize, in.regField, (int) r);
                }
                setZf(r >= 0);
            }
            case 0x06 -> { // CLTS
                requireCpl0();
                if ((c.controls.cr0GuestHostMask & Vcpu.CR0_TS) != 0) {
                    c.vmexit(ExitReason.CR_ACCESS, 2 << 4);
                } else {
                    c.cr0 &= ~Vcpu.CR0_TS;
                }
            }
            case 0x08 -> { // INVD: always exits (SDM 25.1.2)
                requireCpl0();
                c.vmexit(ExitReason.INVD, 0);
            }
            case 0x09 -> {
                requireCpl0();
                if (c.controls.wbinvdExiting) {
                    c.vmexit(ExitReason.WBINVD, 0);
                }
            }
            case 0x0b -> throw CpuFault.ud(); // UD2
            case 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f -> { } // hint NOPs: the operand is not accessed
            default -> throw CpuFault.ud();
        }
    }

    private void setZf(boolean z) {
        int f = c.getEflags();
        c.flags = z ? f | Vcpu.ZF : f & ~Vcpu.ZF;
    }

    private void group6() {
        Insn in = in();
        requirePm();
        switch (in.regField) {
            case 0, 1 -> { // SLDT, STR
                int sel = c.segSel[in.regField == 0 ? Segment.LDTR : TR];
                if (in.mod == 3) {
                    c.setReg(in.opSize, in.rm, sel);
                } else {
                    c.write16(in.seg(), ip.ea(), sel);
                }
            }
            case 2 -> {
                requireCpl0();
                Protection.lldt(c, ip.readE(2) & 0xffff);
            }
            case 3 -> {
                requireCpl0();
                Protection.ltr(c, ip.readE(2) & 0xffff);
            }
            case 4, 5 -> setZf(Protection.verify(c, ip.readE(2) & 0xffff, in.regField == 5));
            default -> throw CpuFault.ud();
        }
    }

    private void group7() {
        Insn in = in();
        if (in.mod == 3) {
            int modrm = 0xc0 | (in.regField << 3) | in.rm;
            if (modrm == 0xc1) { // VMCALL: always a VM exit in non-root operation (SDM 25.1.2)
                c.exit.instructionLength = in.length;
                c.vmexit(ExitReason.VMCALL, 0);
                return;
            }
            if (in.regField == 4) { // SMSW r
                c.setReg(in.opSize, in.rm, c.cr0);
                return;
            }
            if (in.regField == 6) {
                lmsw(c.reg[in.rm] & 0xffff);
                return;
            }
            throw CpuFault.ud(); // MONITOR/MWAIT/XGETBV/SWAPGS/RDTSCP: not on this CPU
        }
        int a = ip.ea();
        int s = in.seg();
        switch (in.regField) {
            case 0, 1 -> { // SGDT, SIDT
                int base = in.regField == 0 ? c.gdtBase : c.idtBase;
                int limit = in.regField == 0 ? c.gdtLimit : c.idtLimit;
                c.checkWritable(s, a, 6);
                c.write16(s, a, limit);
                c.write32(s, a + 2, in.opSize == 2 ? base & 0xffffff : base);
            }
            case 2, 3 -> { // LGDT, LIDT
                requireCpl0();
                int limit = c.read16(s, a);
                int base = c.read32(s, a + 2);
                if (in.opSize == 2) {
                    base &= 0xffffff;
                }
                if (in.regField == 2) {
                    c.gdtBase = base;
                    c.gdtLimit = limit;
                } else {
                    c.idtBase = base;
                    c.idtLimit = limit;
                }
            }
            case 4 -> c.write16(s, a, c.cr0);
            case 6 -> lmsw(c.read16(s, a));
            case 7 -> { // INVLPG
                requireCpl0();
                int lin = c.segBase[s] + a;
                if (c.controls.invlpgExiting) {
                    c.exit.guestLinear = lin;
                    c.vmexit(ExitReason.INVLPG, lin & 0xffffffffL);
                } else {
                    c.flushTlbPage(lin);
                }
            }
            default -> throw CpuFault.ud();
        }
    }

    private void lmsw(int v) {
        requireCpl0();
        if ((c.controls.cr0GuestHostMask & 0xf) != 0) {
            c.vmexit(ExitReason.CR_ACCESS, (3 << 4) | ((long) (v & 0xffff) << 16));
        } else {
            c.lmsw(v);
        }
    }

    private void movCrDr(int b) {
        Insn in = in();
        if (b > 0x23) {
            throw CpuFault.ud();
        }
        if (c.protectedMode() && (c.cpl != 0 || c.v86())) {
            throw CpuFault.gp(0);
        }
        int n = in.regField;
        int gpr = in.rm; // the mod field is ignored: always a register operand
        switch (b) {
            case 0x20 -> { // MOV r32, CRn
                if (n == 1 || n > 4) {
                    throw CpuFault.ud();
                }
                if (n == 3 && c.controls.cr3StoreExiting) {
                    c.vmexit(ExitReason.CR_ACCESS, 3 | (1 << 4) | (gpr << 8));
                } else {
                    c.reg[gpr] = c.readCr(n);
                }
            }
            case 0x22 -> { // MOV CRn, r32
                if (n == 1 || n > 4) {
                    throw CpuFault.ud();
                }
                int v = c.reg[gpr];
                boolean exits = switch (n) {
                    case 0 -> ((v ^ c.cr0) & c.controls.cr0GuestHostMask) != 0;
                    case 3 -> c.controls.cr3LoadExiting;
                    case 4 -> ((v ^ c.cr4) & c.controls.cr4GuestHostMask) != 0;
                    default -> false;
                };
                if (exits) {
                    c.vmexit(ExitReason.CR_ACCESS, n | (gpr << 8));
                } else {
                    c.writeCr(n, v);
                }
            }
            case 0x21 -> {
                int d = debugRegister(n);
                if (c.controls.movDrExiting) {
                    c.vmexit(ExitReason.DR_ACCESS, d | (1 << 4) | (gpr << 8));
                } else {
                    c.reg[gpr] = c.dr[d];
                }
            }
            default -> {
                int d = debugRegister(n);
                if (c.controls.movDrExiting) {
                    c.vmexit(ExitReason.DR_ACCESS, d | (gpr << 8));
                } else {
                    c.writeDr(d, c.reg[gpr]);
                }
            }
        }
    }

    private int debugRegister(int n) {
        if (n == 4 || n == 5) {
            if ((c.cr4 & Vcpu.CR4_DE) != 0) {
                throw CpuFault.ud(); // SDM 17.2.2
            }
            return n + 2;
        }
        if ((c.dr[7] & 0x2000) != 0) { // DR7.GD general detect
            c.dr[7] &= ~0x2000;
            c.dr[6] |= 0x2000;
            throw CpuFault.of(CpuFault.DB);
        }
        return n;
    }

    private void op3x(int b) {
        switch (b) {
            case 0x30 -> { // WRMSR
                requireCpl0();
                if (c.controls.msrExiting) {
                    c.vmexit(ExitReason.WRMSR, 0);
                } else {
                    CpuModel.wrmsr(c, c.reg[ECX], ((long) c.reg[EDX] << 32) | (c.reg[EAX] & 0xffffffffL));
                }
            }
            case 0x31 -> { // RDTSC
                if ((c.cr4 & Vcpu.CR4_TSD) != 0 && c.cpl != 0 && c.protectedMode()) {
                    throw CpuFault.gp(0);
                }
                if (c.controls.rdtscExiting) {
                    c.vmexit(ExitReason.RDTSC, 0);
                } else {
                    long t = c.readTsc();
                    c.reg[EAX] = (int) t;
                    c.reg[EDX] = (int) (t >>> 32);
                }
            }
            case 0x32 -> { // RDMSR
                requireCpl0();
                if (c.controls.msrExiting) {
                    c.vmexit(ExitReason.RDMSR, 0);
                } else {
                    long v = CpuModel.rdmsr(c, c.reg[ECX]);
                    c.reg[EAX] = (int) v;
                    c.reg[EDX] = (int) (v >>> 32);
                }
            }
            case 0x33 -> { // RDPMC
                if (c.cpl != 0 && c.protectedMode() && (c.cr4 & Vcpu.CR4_PCE) == 0) {
                    throw CpuFault.gp(0);
                }
                if (Integer.compareUnsigned(c.reg[ECX], 1) > 0) {
                    throw CpuFault.gp(0); // P6 has two counters
                }
                if (c.controls.rdpmcExiting) {
                    c.vmexit(ExitReason.RDPMC, 0);
                } else {
                    c.reg[EAX] = 0; // no performance events are counted: the counters read as zero
                    c.reg[EDX] = 0;
                }
            }
            case 0x34 -> Protection.sysenter(c);
            case 0x35 -> Protection.sysexit(c);
            default -> throw CpuFault.ud();
        }
    }

    private void opAx(int b) {
        Insn in = in();
        switch (b) {
            case 0xa0 -> ip.pushSeg(FS);
            case 0xa1 -> ip.popSeg(FS);
            case 0xa2 -> { // CPUID: always exits (SDM 25.1.2)
                c.exit.instructionLength = in.length;
                c.vmexit(ExitReason.CPUID, 0);
            }
            case 0xa3 -> bitOp(0, false);
            case 0xa4 -> shiftDouble(true, in.imm);
            case 0xa5 -> shiftDouble(true, c.reg[ECX]);
            case 0xa8 -> ip.pushSeg(GS);
            case 0xa9 -> ip.popSeg(GS);
            case 0xab -> bitOp(1, false);
            case 0xac -> shiftDouble(false, in.imm);
            case 0xad -> shiftDouble(false, c.reg[ECX]);
            case 0xae -> group15();
            case 0xaf -> c.setReg(in.opSize, in.regField, MulDiv.imul2(c, c.getReg(in.opSize, in.regField), ip.readE(in.opSize), in.opSize));
            default -> throw CpuFault.ud();
        }
    }

    private void shiftDouble(boolean left, int count) {
        Insn in = in();
        int size = in.opSize;
        int src = c.getReg(size, in.regField);
        if (in.mod == 3) {
            c.setReg(size, in.rm, Alu.doubleShift(c, left, c.getReg(size, in.rm), src, count, size));
        } else {
            int lin = ip.rmwLin(size);
            int v = ip.readLin(size, lin);
            int r = Alu.doubleShift(c, left, v, src, count, size);
            if ((count & 31) != 0) {
                ip.writeLin(size, lin, r);
            }
        }
    }

    /** BT/BTS/BTR/BTC (op 0..3); imm: bit offset from the immediate (masked), else from a register (may address beyond the operand). */
    private void bitOp(int kind, boolean imm) {
        Insn in = in();
        int size = in.opSize;
        int bits = size * 8;
        int off = imm ? in.imm : c.getReg(size, in.regField);
        if (in.mod == 3) {
            int bit = off & (bits - 1);
            int v = c.getReg(size, in.rm);
            boolean cf = ((v >>> bit) & 1) != 0;
            if (kind != 0) {
                c.setReg(size, in.rm, bitUpdate(kind, v, bit));
            }
            setCf(cf);
            return;
        }
        int a = ip.ea();
        if (imm) {
            off &= bits - 1;
        } else {
            int sOff = size == 2 ? (short) off : off;
            a += (sOff >> (size == 2 ? 4 : 5)) * size; // signed displacement in operand-size units
            if (in.adSize == 2) {
                a &= 0xffff;
            }
            off &= bits - 1;
        }
        if (kind == 0) {
            int v = c.read(size, in.seg(), a);
            setCf(((v >>> off) & 1) != 0);
        } else {
            int lin = c.linWrite(in.seg(), a, size);
            ip.probeWrite(lin, size);
            int v = ip.readLin(size, lin);
            ip.writeLin(size, lin, bitUpdate(kind, v, off));
            setCf(((v >>> off) & 1) != 0);
        }
    }

    private static int bitUpdate(int kind, int v, int bit) {
        return switch (kind) {
            case 1 -> v | (1 << bit);
            case 2 -> v & ~(1 << bit);
            default -> v ^ (1 << bit);
        };
    }

    /** BT* set CF; the other arithmetic flags are undefined: kept unchanged, as QEMU does. */
    private void setCf(boolean cf) {
        int f = c.getEflags();
        c.flags = cf ? f | CF : f & ~CF;
    }

    private void group15() {
        Insn in = in();
        if (in.mod == 3 && in.regField >= 5) {
            // LFENCE, MFENCE, SFENCE (0F AE E8/F0/F8): executed although CPUID shows no SSE/SSE2, because
            // Linux issues MFENCE unconditionally after programming the TSC-deadline timer (apic.c
            // __setup_APIC_LVTT), which the --pv CPU offers. Memory order is the JVM's: a full fence.
            java.lang.invoke.VarHandle.fullFence();
            return;
        }
        if (in.mod == 3 || in.regField > 1) {
            throw CpuFault.ud(); // SSE-era members (LDMXCSR, STMXCSR, CLFLUSH): not on this CPU
        }
        if ((c.cr0 & (Vcpu.CR0_EM | Vcpu.CR0_TS)) != 0) {
            throw CpuFault.of(CpuFault.NM);
        }
        int a = ip.ea();
        if ((a & 15) != 0) {
            throw CpuFault.gp(0);
        }
        if (in.regField == 0) {
            c.fpu.fxsave(in.seg(), a, this);
        } else {
            c.fpu.fxrstor(in.seg(), a, this);
        }
    }

    private void opBx(int b) {
        Insn in = in();
        int size = in.opSize;
        switch (b) {
            case 0xb0, 0xb1 -> cmpxchg(b == 0xb0 ? 1 : size);
            case 0xb2 -> loadFar(SS);
            case 0xb3 -> bitOp(2, false);
            case 0xb4 -> loadFar(FS);
            case 0xb5 -> loadFar(GS);
            case 0xb6 -> c.setReg(size, in.regField, ip.readE(1));
            case 0xb7 -> c.setReg(size, in.regField, ip.readE(2));
            case 0xba -> {
                if (in.regField < 4) {
                    throw CpuFault.ud();
                }
                bitOp(in.regField - 4, true);
            }
            case 0xbb -> bitOp(3, false);
            case 0xbc, 0xbd -> {
                int v = ip.readE(size) & Alu.mask(size);
                if (v != 0) {
                    int r = b == 0xbc ? Integer.numberOfTrailingZeros(v) : 31 - Integer.numberOfLeadingZeros(v);
                    c.setReg(size, in.regField, r);
                }
                Alu.logic(c, v, size); // ZF = (source == 0); destination unchanged for 0 (as P6 and QEMU)
            }
            case 0xbe -> c.setReg(size, in.regField, (byte) ip.readE(1));
            case 0xbf -> c.setReg(size, in.regField, (short) ip.readE(2));
            default -> throw CpuFault.ud();
        }
    }

    private void loadFar(int s) {
        Insn in = in();
        if (in.mod == 3) {
            throw CpuFault.ud();
        }
        int a = ip.ea();
        int off = c.read(in.opSize, in.seg(), a);
        int sel = c.read16(in.seg(), a + in.opSize);
        Protection.loadSegment(c, s, sel);
        c.setReg(in.opSize, in.regField, off);
    }

    private void cmpxchg(int size) {
        Insn in = in();
        int acc = c.getReg(size, EAX);
        if (in.mod == 3) {
            int d = c.getReg(size, in.rm);
            Alu.alu(c, 7, acc, d, size);
            if (((acc ^ d) & Alu.mask(size)) == 0) {
                c.setReg(size, in.rm, c.getReg(size, in.regField));
            } else {
                c.setReg(size, EAX, d);
            }
            return;
        }
        // the destination is always written (the old value back on failure), SDM CMPXCHG
        int lin = ip.rmwLin(size);
        int d = ip.readLin(size, lin);
        boolean eq = ((acc ^ d) & Alu.mask(size)) == 0;
        ip.writeLin(size, lin, eq ? c.getReg(size, in.regField) : d);
        Alu.alu(c, 7, acc, d, size);
        if (!eq) {
            c.setReg(size, EAX, d);
        }
    }

    private void opCx(int b) {
        Insn in = in();
        int size = in.opSize;
        switch (b) {
            case 0xc0, 0xc1 -> { // XADD
                int sz = b == 0xc0 ? 1 : size;
                int src = c.getReg(sz, in.regField);
                if (in.mod == 3) {
                    int d = c.getReg(sz, in.rm);
                    int sum = Alu.alu(c, 0, d, src, sz);
                    c.setReg(sz, in.regField, d);
                    c.setReg(sz, in.rm, sum);
                } else {
                    int lin = ip.rmwLin(sz);
                    int d = ip.readLin(sz, lin);
                    int sum = Alu.alu(c, 0, d, src, sz);
                    ip.writeLin(sz, lin, sum);
                    c.setReg(sz, in.regField, d);
                }
            }
            case 0xc7 -> { // CMPXCHG8B
                if (in.regField != 1 || in.mod == 3) {
                    throw CpuFault.ud();
                }
                int a = ip.ea();
                int lin = c.linWrite(in.seg(), a, 8);
                ip.probeWrite(lin, 8);
                int lo = c.readLin32(lin);
                int hi = c.readLin32(lin + 4);
                int f = c.getEflags();
                if (lo == c.reg[EAX] && hi == c.reg[EDX]) {
                    c.writeLin32(lin, c.reg[EBX]);
                    c.writeLin32(lin + 4, c.reg[ECX]);
                    c.flags = f | Vcpu.ZF;
                } else {
                    c.writeLin32(lin, lo);
                    c.writeLin32(lin + 4, hi);
                    c.reg[EAX] = lo;
                    c.reg[EDX] = hi;
                    c.flags = f & ~Vcpu.ZF;
                }
            }
            case 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf -> {
                int r = b & 7;
                if (size == 4) {
                    c.reg[r] = Integer.reverseBytes(c.reg[r]);
                } else {
                    c.setReg16(r, 0); // 16-bit BSWAP is undefined; P6 and QEMU give zero
                }
            }
            default -> throw CpuFault.ud();
        }
    }

    // =====================================================================================
    // Interrupt flag, HLT, software interrupts, PUSHF/POPF (SDM Vol. 2, IOPL-sensitive rules)
    // =====================================================================================

    void cli() {
        if (c.protectedMode() && c.cpl > c.iopl()) {
            throw CpuFault.gp(0);
        }
        c.flags &= ~Vcpu.IF;
    }

    void sti() {
        if (c.protectedMode() && c.cpl > c.iopl()) {
            throw CpuFault.gp(0);
        }
        if ((c.flags & Vcpu.IF) == 0) {
            c.flags |= Vcpu.IF;
            c.shadowIcount = c.icount + 1; // blocks interrupts until after the next instruction
            c.checkpoint = 0;
        }
    }

    void hlt() {
        requireCpl0();
        c.halted = true;
        c.checkpoint = 0;
    }

    void intN(int vector) {
        if (c.v86() && c.iopl() < 3) {
            throw CpuFault.gp(0);
        }
        softInt(vector & 0xff, Protection.EVENT_SOFT_INT);
    }

    void softInt(int vector, int kind) {
        Protection.deliver(c, vector, 0, false, kind);
    }

    void pushf() {
        if (c.v86() && c.iopl() < 3) {
            throw CpuFault.gp(0);
        }
        int f = c.getEflags() & ~(Vcpu.VM | Vcpu.RF);
        c.push(in().opSize, f);
    }

    void popf() {
        if (c.v86() && c.iopl() < 3) {
            throw CpuFault.gp(0);
        }
        int size = in().opSize;
        int v = c.peek(size, 0);
        c.adjustSp(size);
        int mask = Vcpu.ARITH | Vcpu.TF | Vcpu.DF | Vcpu.NT | Vcpu.AC | Vcpu.ID;
        if (!c.protectedMode() || c.cpl == 0) {
            mask |= Vcpu.IF | Vcpu.IOPL;
        } else if (c.cpl <= c.iopl()) {
            mask |= Vcpu.IF;
        }
        if (c.v86()) {
            mask = (mask | Vcpu.IF) & ~Vcpu.IOPL;
        }
        if (size == 2) {
            mask &= 0xffff;
        }
        c.setEflagsMasked(v, mask);
        c.flags &= ~Vcpu.RF;
    }

    void arpl() {
        requirePm();
        Insn in = in();
        int src = c.getReg(2, in.regField);
        int lin = in.mod == 3 ? 0 : ip.rmwLin(2);
        int dst = in.mod == 3 ? c.getReg(2, in.rm) : ip.readLin(2, lin);
        boolean adjust = (dst & 3) < (src & 3);
        if (adjust) {
            int v = (dst & ~3) | (src & 3);
            if (in.mod == 3) {
                c.setReg(2, in.rm, v);
            } else {
                ip.writeLin(2, lin, v);
            }
        }
        setZf(adjust);
    }

    // =====================================================================================
    // I/O (SDM Vol. 1, 18.5: IOPL and the TSS I/O permission bitmap) as IO_INSTRUCTION exits
    // =====================================================================================

    void checkIo(int port, int size) {
        if (!c.protectedMode() || (c.cpl <= c.iopl() && !c.v86())) {
            return;
        }
        int type = Segment.type(c.segAttr[TR]);
        if ((type != 9 && type != 11) || Integer.compareUnsigned(c.segLimit[TR], 0x67) < 0) {
            throw CpuFault.gp(0);
        }
        int base = c.segBase[TR];
        int mapOff = c.readSys16(base + 0x66) & 0xffff;
        int byteOff = mapOff + (port >>> 3);
        if (Integer.compareUnsigned(byteOff + 1, c.segLimit[TR]) > 0) {
            throw CpuFault.gp(0);
        }
        int bits = c.readSys16(base + byteOff) & 0xffff;
        int mask = ((1 << size) - 1) << (port & 7);
        if ((bits & mask) != 0) {
            throw CpuFault.gp(0);
        }
    }

    /** Takes an IO_INSTRUCTION exit; returns the data for IN. Qualification per SDM Table 27-5. */
    int ioExit(int port, int size, boolean isIn, boolean string, boolean rep, boolean imm, int value) {
        if (!c.controls.unconditionalIoExiting) {
            return isIn ? -1 : 0;
        }
        VmExit x = c.exit;
        x.reason = ExitReason.IO_INSTRUCTION;
        x.qualification = (size - 1) | (isIn ? 8 : 0) | (string ? 16 : 0) | (rep ? 32 : 0) | (imm ? 64 : 0)
                | ((long) (port & 0xffff) << 16);
        x.size = size;
        x.data = isIn ? 0 : value & 0xffffffffL;
        x.instructionLength = ip.in.length;
        c.vmexit(x);
        return (int) x.data;
    }

    void in(int port, int size, boolean imm) {
        checkIo(port, size);
        int v = ioExit(port, size, true, false, false, imm, 0);
        c.setReg(size, EAX, v);
    }

    void out(int port, int size, boolean imm) {
        checkIo(port, size);
        ioExit(port, size, false, false, false, imm, c.getReg(size, EAX));
    }

    // =====================================================================================
    // x87 escape (SDM Vol. 1, 8.1; #NM per Table 2-1 of Vol. 3A; #MF per 8.7)
    // =====================================================================================

    void fwait() {
        if ((c.cr0 & (Vcpu.CR0_MP | Vcpu.CR0_TS)) == (Vcpu.CR0_MP | Vcpu.CR0_TS)) {
            throw CpuFault.of(CpuFault.NM);
        }
        pendingFpuException();
    }

    private void pendingFpuException() {
        if (c.fpu.hasPendingException()) {
            if ((c.cr0 & Vcpu.CR0_NE) != 0) {
                throw CpuFault.of(CpuFault.MF);
            }
            if (c.ferr != null) {
                c.ferr.run(); // FERR# to the interrupt controller (IRQ 13 on a PC)
            }
        }
    }

    void x87(int op) {
        Insn in = in();
        if ((c.cr0 & (Vcpu.CR0_EM | Vcpu.CR0_TS)) != 0) {
            throw CpuFault.of(CpuFault.NM);
        }
        int modrm = (in.mod << 6) | (in.regField << 3) | in.rm;
        if (!noWait(op, modrm)) {
            pendingFpuException();
        }
        if (in.mod == 3) {
            c.fpu.execute(op, modrm, -1, 0, in.opSize == 4, ip.startEip, c.segSel[CS], this);
        } else {
            c.fpu.execute(op, modrm, in.seg(), ip.ea(), in.opSize == 4, ip.startEip, c.segSel[CS], this);
        }
    }

    /** The control instructions that do not check for pending x87 exceptions (FN* forms). */
    private static boolean noWait(int op, int modrm) {
        int reg = (modrm >>> 3) & 7;
        return switch (op) {
            case 0xd9 -> modrm < 0xc0 && (reg == 6 || reg == 7); // FNSTENV, FNSTCW
            case 0xdb -> modrm == 0xe2 || modrm == 0xe3 || modrm == 0xe0 || modrm == 0xe1 || modrm == 0xe4;
            case 0xdd -> modrm < 0xc0 && (reg == 6 || reg == 7); // FNSAVE, FNSTSW m16
            case 0xdf -> modrm == 0xe0; // FNSTSW AX
            default -> false;
        };
    }

    // ---- FpuHost ----

    @Override public int read8(int seg, int offset) { return c.read8(seg, offset); }
    @Override public int read16(int seg, int offset) { return c.read16(seg, offset); }
    @Override public int read32(int seg, int offset) { return c.read32(seg, offset); }
    @Override public void write8(int seg, int offset, int value) { c.write8(seg, offset, value); }
    @Override public void write16(int seg, int offset, int value) { c.write16(seg, offset, value); }
    @Override public void write32(int seg, int offset, int value) { c.write32(seg, offset, value); }
    @Override public void checkWrite(int seg, int offset, int len) { c.checkWritable(seg, offset, len); }
    @Override public int eflags() { return c.getEflags(); }
    @Override public int selector(int seg) { return c.segSel[seg]; }

    @Override
    public void setComiFlags(boolean zf, boolean pf, boolean cf) {
        int f = c.getEflags() & ~Vcpu.ARITH;
        c.flags = f | (zf ? Vcpu.ZF : 0) | (pf ? Vcpu.PF : 0) | (cf ? CF : 0);
    }

    @Override public void setAx(int value) { c.setReg16(EAX, value); }
    @Override public boolean protectedMode() { return c.protectedMode() && !c.v86(); }
}
