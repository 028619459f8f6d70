package dev.jvisor.cpu;

import static dev.jvisor.cpu.Segment.DS;
import static dev.jvisor.cpu.Segment.ES;
import static dev.jvisor.cpu.Vcpu.EAX;
import static dev.jvisor.cpu.Vcpu.ECX;
import static dev.jvisor.cpu.Vcpu.EDI;
import static dev.jvisor.cpu.Vcpu.EDX;
import static dev.jvisor.cpu.Vcpu.ESI;

/**
 * String instructions MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP/REPE/REPNE in 16- and
 * 32-bit address size (SDM Vol. 2B, REP prefix). Each iteration commits its register updates, so a
 * fault in the middle restarts the instruction with the remaining count. A long REP runs in chunks:
 * after a chunk EIP stays on the instruction so interrupts are taken between chunks.
 */
final class InsnString {
    private static final int CHUNK = 4096;
    private final Vcpu c;
    private final Interpreter ip;

    InsnString(Vcpu c, Interpreter ip) {
        this.c = c;
        this.ip = ip;
    }

    private int si(int as) { return as == 4 ? c.reg[ESI] : c.reg[ESI] & 0xffff; }
    private int di(int as) { return as == 4 ? c.reg[EDI] : c.reg[EDI] & 0xffff; }

    private void advance(int r, int as, int delta) {
        if (as == 4) {
            c.reg[r] += delta;
        } else {
            c.setReg16(r, c.reg[r] + delta);
        }
    }

    private int count(int as) {
        return as == 4 ? c.reg[ECX] : c.reg[ECX] & 0xffff;
    }

    private void decCount(int as) {
        if (as == 4) {
            c.reg[ECX]--;
        } else {
            c.setReg16(ECX, c.reg[ECX] - 1);
        }
    }

    void execute(int op) {
        Insn in = ip.in;
        int size = (op & 1) == 0 ? 1 : in.opSize;
        int as = in.adSize;
        int delta = (c.flags & Vcpu.DF) != 0 ? -size : size;
        int srcSeg = in.seg();
        boolean rep = in.rep();
        int kind = op & ~1;
        if (!rep) {
            once(kind, size, as, delta, srcSeg);
            return;
        }
        boolean repe = (in.prefixes & Insn.P_REP) != 0;
        if ((kind == 0xa4 || kind == 0xaa) && as == 4 && delta > 0) {
            bulk(kind, size, srcSeg);
            return;
        }
        for (int n = 0; n < CHUNK; n++) {
            if (count(as) == 0) {
                return;
            }
            once(kind, size, as, delta, srcSeg);
            decCount(as);
            if (kind == 0xa6 || kind == 0xae) {
                boolean zf = c.getZF();
                if (repe ? !zf : zf) {
                    return;
                }
            }
        }
        if (count(as) != 0) {
            c.eip = ip.startEip; // more to do: run the instruction again after the boundary
        }
    }

    /**
     * REP MOVS / REP STOS forward with 32-bit addresses: the same iterations, chunk boundary and
     * register updates as the loop in execute, but a run of elements that stays inside one page of
     * the destination (and of the source) and hits the TLB is copied at once. Such a run cannot
     * fault, and the write TLB never maps MMIO or pages holding decoded code, so nothing needs the
     * per-element path there; everything else (a miss, a page-crossing element, a MOVS whose
     * destination overlaps the source ahead of it, segments that are not flat) goes element by
     * element through once(), which faults with the registers of that element (SDM Vol. 2B, REP).
     */
    private void bulk(int kind, int size, int srcSeg) {
        boolean flat = (c.segAcc[ES] & Segment.ACC_FLAT_WRITE) != 0
                && (kind == 0xaa || (c.segAcc[srcSeg] & Segment.ACC_FLAT_READ) != 0);
        java.lang.foreign.MemorySegment ram = c.ram;
        int n = 0;
        while (n < CHUNK) {
            int count = c.reg[ECX];
            if (count == 0) {
                return;
            }
            int di = c.reg[EDI];
            int k = Math.min(Integer.compareUnsigned(count, CHUNK - n) < 0 ? count : CHUNK - n, (0x1000 - (di & 0xfff)) / size);
            int ed = c.tlbWrite[di >>> 12];
            int si = c.reg[ESI];
            int es = 0;
            if (kind == 0xa4) {
                k = Math.min(k, (0x1000 - (si & 0xfff)) / size);
                es = c.tlbRead[si >>> 12];
            }
            if (!flat || k == 0 || ed == 0 || (kind == 0xa4 && es == 0)) {
                once(kind, size, 4, size, srcSeg);
                c.reg[ECX]--;
                n++;
                continue;
            }
            int pd = (ed & ~0xfff) | (di & 0xfff);
            int bytes = k * size;
            if (kind == 0xa4) {
                int ps = (es & ~0xfff) | (si & 0xfff);
                if (pd > ps && pd < ps + bytes) {
                    once(kind, size, 4, size, srcSeg); // overlapping forward copy: element semantics
                    c.reg[ECX]--;
                    n++;
                    continue;
                }
                java.lang.foreign.MemorySegment.copy(ram, ps, ram, pd, bytes);
                c.reg[ESI] = si + bytes;
            } else {
                int v = size == 4 ? c.reg[EAX] : size == 2 ? c.reg[EAX] & 0xffff | c.reg[EAX] << 16 : c.reg[EAX] & 0xff;
                if (size == 1 || v == (v & 0xff) * 0x01010101) {
                    ram.asSlice(pd, bytes).fill((byte) v); // one byte repeated (memset 0 above all)
                } else {
                    for (int i = 0; i < bytes; i += size) {
                        if (size == 4) {
                            c.ram32(pd + i, v);
                        } else {
                            c.ram16(pd + i, v);
                        }
                    }
                }
            }
            c.reg[EDI] = di + bytes;
            c.reg[ECX] = count - k;
            n += k;
        }
        if (c.reg[ECX] != 0) {
            c.eip = ip.startEip; // more to do: run the instruction again after the boundary
        }
    }

    private void once(int kind, int size, int as, int delta, int srcSeg) {
        switch (kind) {
            case 0xa4 -> { // MOVS
                int v = c.read(size, srcSeg, si(as));
                c.write(size, ES, di(as), v);
                advance(ESI, as, delta);
                advance(EDI, as, delta);
            }
            case 0xa6 -> { // CMPS
                int a = c.read(size, srcSeg, si(as));
                int b = c.read(size, ES, di(as));
                Alu.alu(c, 7, a, b, size);
                advance(ESI, as, delta);
                advance(EDI, as, delta);
            }
            case 0xaa -> { // STOS
                c.write(size, ES, di(as), c.reg[EAX]);
                advance(EDI, as, delta);
            }
            case 0xac -> { // LODS
                c.setReg(size, EAX, c.read(size, srcSeg, si(as)));
                advance(ESI, as, delta);
            }
            default -> { // SCAS
                int b = c.read(size, ES, di(as));
                Alu.alu(c, 7, c.reg[EAX], b, size);
                advance(EDI, as, delta);
            }
        }
    }

    /** INS: port DX to ES:(E)DI; one I/O exit per element. */
    void ins(int size) {
        Insn in = ip.in;
        int as = in.adSize;
        int port = c.reg[EDX] & 0xffff;
        ip.checkIo(port, size);
        int delta = (c.flags & Vcpu.DF) != 0 ? -size : size;
        boolean rep = in.rep();
        for (int n = 0; n < (rep ? CHUNK : 1); n++) {
            if (rep && count(as) == 0) {
                return;
            }
            // the destination must be writable before the port is read (the read has side effects)
            int lin = c.linWrite(ES, di(as), size);
            ip.probeWrite(lin, size);
            int v = ip.ioExit(port, size, true, true, rep, false, 0);
            ip.writeLin(size, lin, v);
            advance(EDI, as, delta);
            if (rep) {
                decCount(as);
            }
        }
        if (rep && count(as) != 0) {
            c.eip = ip.startEip;
        }
    }

    /** OUTS: DS:(E)SI (segment overridable) to port DX. */
    void outs(int size) {
        Insn in = ip.in;
        int as = in.adSize;
        int port = c.reg[EDX] & 0xffff;
        ip.checkIo(port, size);
        int delta = (c.flags & Vcpu.DF) != 0 ? -size : size;
        int srcSeg = in.seg();
        boolean rep = in.rep();
        for (int n = 0; n < (rep ? CHUNK : 1); n++) {
            if (rep && count(as) == 0) {
                return;
            }
            int v = c.read(size, srcSeg, si(as));
            ip.ioExit(port, size, false, true, rep, false, v);
            advance(ESI, as, delta);
            if (rep) {
                decCount(as);
            }
        }
        if (rep && count(as) != 0) {
            c.eip = ip.startEip;
        }
    }
}
