package dev.jvisor.cpu;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;

/**
 * Seeded random guest code for {@link FuzzRig}: pages of raw random bytes, and "biased" streams of
 * instructions that are well formed (their length is taken from the CPU's own decoder) and lean
 * towards what stresses a CPU: prefixes, memory operands through registers pointing at RAM, the 0F
 * map, x87, REP string ops, port I/O, far transfers and IRET with random selectors and stacks, INT
 * n, segment loads, descriptor-table and control-register writes, MSRs.
 */
final class CodeGen {
    private final SplittableRandom rnd;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    CodeGen(SplittableRandom rnd) {
        this.rnd = rnd;
    }

    static int randomSelector(SplittableRandom rnd) {
        int r = rnd.nextInt(10);
        if (r < 7) {
            return (rnd.nextInt(FuzzRig.GDT_ENTRIES + 2) << 3) | rnd.nextInt(4); // GDT, a little past the limit
        } else if (r < 9) {
            return (rnd.nextInt(10) << 3) | 4 | rnd.nextInt(4); // LDT
        }
        return rnd.nextInt(0x10000);
    }

    void fillPage(byte[] ram, int page, boolean raw) {
        if (raw) {
            for (int i = 0; i < 0x1000; i++) {
                ram[page + i] = (byte) rnd.nextInt();
            }
            return;
        }
        out.reset();
        while (out.size() < 0x1000) {
            emitOne();
        }
        byte[] b = out.toByteArray();
        System.arraycopy(b, 0, ram, page, 0x1000);
    }

    // =====================================================================================

    private void b(int... bytes) {
        for (int x : bytes) {
            out.write(x);
        }
    }

    private void d(int v) {
        b(v, v >>> 8, v >>> 16, v >>> 24);
    }

    private void w(int v) {
        b(v, v >>> 8);
    }

    private int sel() {
        return randomSelector(rnd);
    }

    private int dataAddr() {
        return FuzzRig.DATA + rnd.nextInt(FuzzRig.DATA_END - FuzzRig.DATA - 16);
    }

    private int codeAddr() {
        return FuzzRig.CODE + rnd.nextInt(FuzzRig.CODE_END - FuzzRig.CODE);
    }

    /** The prefixes of the instruction being generated (so that its decoded length includes them). */
    private final byte[] prefix = new byte[3];
    private int prefixCount;

    private void prefixes() {
        prefixCount = rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(3) : 0;
        int[] p = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3};
        for (int i = 0; i < prefixCount; i++) {
            prefix[i] = (byte) p[rnd.nextInt(p.length)];
        }
    }

    /** A ModRM byte biased towards register and simple register-indirect memory forms. */
    private int modrm(int reg) {
        int r = rnd.nextInt(10);
        int mod = r < 4 ? 3 : r < 7 ? 0 : r < 9 ? 1 : 2;
        int rm = rnd.nextInt(8);
        if (mod == 0 && (rm == 4 || rm == 5) && rnd.nextBoolean()) {
            rm = 3;
        }
        return (mod << 6) | ((reg < 0 ? rnd.nextInt(8) : reg) << 3) | rm;
    }

    /** Opcode bytes followed by a biased ModRM and random tail, cut to the decoded length. */
    private void insn(int[] opcode, int reg) {
        byte[] buf = new byte[24];
        int n = 0;
        for (int i = 0; i < prefixCount; i++) {
            buf[n++] = prefix[i];
        }
        prefixCount = 0;
        for (int x : opcode) {
            buf[n++] = (byte) x;
        }
        buf[n++] = (byte) modrm(reg);
        for (int i = n; i < buf.length; i++) {
            buf[i] = (byte) rnd.nextInt();
        }
        // small displacements: most memory operands stay near the register's value
        if ((buf[n - 1] & 0xc0) == 0x80) {
            buf[n + ((buf[n - 1] & 7) == 4 ? 1 : 0) + 2] = 0;
            buf[n + ((buf[n - 1] & 7) == 4 ? 1 : 0) + 3] = 0;
        }
        emitDecoded(buf);
    }

    private void emitDecoded(byte[] buf) {
        Insn in = new Insn();
        int len;
        try {
            Decoder.decode(k -> buf[k] & 0xff, true, in);
            len = in.length;
        } catch (CpuFault f) {
            len = 15;
        }
        out.write(buf, 0, len);
    }

    private void movReg(int r, int v) {
        b(0xb8 + r);
        d(v);
    }

    private void emitOne() {
        prefixes();
        if (rnd.nextInt(2) == 0) {
            out.write(prefix, 0, prefixCount); // kept for the non-ModRM forms too, decoded or not
            prefixCount = 0;
        }
        switch (rnd.nextInt(40)) {
            case 0, 1, 2, 3, 4 -> { // ALU rows with ModRM
                int op = (rnd.nextInt(8) << 3) | rnd.nextInt(4);
                insn(new int[] {op}, -1);
            }
            case 5, 6 -> insn(new int[] {0x80 + rnd.nextInt(4)}, -1);
            case 7, 8 -> insn(new int[] {0x84 + rnd.nextInt(12)}, -1); // test/xchg/mov/lea/mov sreg/pop
            case 9 -> insn(new int[] {0xc0 + rnd.nextInt(2)}, -1);
            case 10 -> insn(new int[] {0xd0 + rnd.nextInt(4)}, -1);
            case 11 -> insn(new int[] {0xf6 + rnd.nextInt(2)}, -1); // group 3 incl. DIV/IDIV
            case 12 -> insn(new int[] {0xfe + rnd.nextInt(2)}, -1); // group 4/5 incl. indirect near/far
            case 13, 14 -> insn(new int[] {0x0f, rnd.nextInt(256)}, -1);
            case 15 -> { // x87
                if (rnd.nextInt(4) == 0) {
                    b(0x9b);
                }
                insn(new int[] {0xd8 + rnd.nextInt(8)}, -1);
            }
            case 16 -> { // string op, maybe REP, with a small count
                movReg(1, rnd.nextInt(4) == 0 ? rnd.nextInt() : rnd.nextInt(300));
                if (rnd.nextBoolean()) {
                    movReg(6 + rnd.nextInt(2), dataAddr());
                }
                if (rnd.nextInt(3) != 0) {
                    b(rnd.nextBoolean() ? 0xf3 : 0xf2);
                }
                if (rnd.nextInt(4) == 0) {
                    b(rnd.nextBoolean() ? 0x66 : 0x67);
                }
                int[] ops = {0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0x6c, 0x6d, 0x6e, 0x6f};
                b(ops[rnd.nextInt(ops.length)]);
            }
            case 17 -> { // port I/O
                int[] ports = {0x20, 0x21, 0x40, 0x43, 0x60, 0x64, 0x70, 0x71, 0x80, 0x92, 0x3f8, 0xcf8, 0xcfc, 0xf0, 0xf2, 0xf4};
                int port = rnd.nextInt(3) == 0 ? rnd.nextInt(0x10000) : ports[rnd.nextInt(ports.length)];
                if (rnd.nextBoolean()) {
                    movReg(2, port);
                    b(0xec + rnd.nextInt(4));
                } else {
                    b(0xe4 + rnd.nextInt(4), port & 0xff);
                }
            }
            case 18 -> { // far jump / call with a random selector
                b(rnd.nextBoolean() ? 0xea : 0x9a);
                d(rnd.nextInt(4) == 0 ? rnd.nextInt() : codeAddr());
                w(sel());
            }
            case 19 -> { // indirect far jump / call through a far pointer built in memory
                int a = dataAddr();
                movReg(3, a);
                b(0xc7, 0x03);
                d(codeAddr());
                b(0x66, 0xc7, 0x43, 0x04);
                w(sel());
                b(0xff, rnd.nextBoolean() ? 0x1b : 0x2b);
            }
            case 20 -> { // INT n / INT3 / INTO / ICEBP
                switch (rnd.nextInt(6)) {
                    case 0 -> b(0xcc);
                    case 1 -> b(0xce);
                    case 2 -> b(0xf1);
                    default -> b(0xcd, rnd.nextInt(256));
                }
            }
            case 21 -> { // IRET with random / plausible stack contents
                int n = 3 + rnd.nextInt(3);
                for (int i = n - 1; i >= 0; i--) {
                    int v = switch (i) {
                        case 0 -> codeAddr();
                        case 1, 4 -> sel();
                        case 2 -> (rnd.nextInt() & 0x3f7fd5) | 2 | (rnd.nextInt(16) == 0 ? Vcpu.VM : 0)
                                | (rnd.nextInt(8) == 0 ? Vcpu.NT : 0) & ~(rnd.nextInt(4) != 0 ? Vcpu.TF : 0);
                        default -> FuzzRig.RING3_STACK - rnd.nextInt(0x1000);
                    };
                    b(0x68);
                    d(v);
                }
                if (rnd.nextInt(4) == 0) {
                    b(0x66);
                }
                b(rnd.nextInt(5) == 0 ? 0xcb : 0xcf);
            }
            case 22 -> { // segment register loads
                b(0x66, 0xb8);
                w(sel());
                switch (rnd.nextInt(4)) {
                    case 0 -> b(0x8e, 0xc0 | (rnd.nextInt(6) << 3));
                    case 1 -> b(0x50, new int[] {0x07, 0x17, 0x1f}[rnd.nextInt(3)]);
                    case 2 -> b(0x50, 0x0f, rnd.nextBoolean() ? 0xa1 : 0xa9);
                    default -> { // LDS/LES/LSS/LFS/LGS from memory
                        int a = dataAddr();
                        movReg(3, a);
                        b(0x66, 0x89, 0x43, 0x04);
                        int[][] ops = {{0xc5}, {0xc4}, {0x0f, 0xb2}, {0x0f, 0xb4}, {0x0f, 0xb5}};
                        for (int x : ops[rnd.nextInt(ops.length)]) {
                            b(x);
                        }
                        b(0x0b);
                    }
                }
            }
            case 23 -> { // LGDT / LIDT / SGDT / SIDT from random memory (rarely loads)
                movReg(3, dataAddr());
                b(0x0f, 0x01, (rnd.nextInt(5) == 0 ? 0x10 + rnd.nextInt(2) * 8 : rnd.nextInt(2) * 8) | 3);
            }
            case 24 -> { // LLDT / LTR / VERR / VERW / LAR / LSL / ARPL with a selector in AX
                b(0x66, 0xb8);
                w(sel());
                switch (rnd.nextInt(5)) {
                    case 0 -> b(0x0f, 0x00, 0xd0 | (rnd.nextInt(4) << 3) | 0); // SLDT/STR/LLDT/LTR ax
                    case 1 -> b(0x0f, 0x00, 0xe0 | (rnd.nextInt(2) << 3)); // VERR/VERW ax
                    case 2 -> b(0x0f, 0x02 + rnd.nextInt(2), 0xc8); // LAR/LSL ecx, ax
                    case 3 -> b(0x63, 0xc8 | rnd.nextInt(8)); // ARPL
                    default -> b(0x0f, 0x00, 0xd8); // LTR ax
                }
            }
            case 25 -> { // control and debug registers
                int[] bits = {1, 2, 4, 8, 0x20, 0x10000, 0x40000, 0x20000000, 0x40000000, 0x80000000};
                int v = 0x80000011 | bits[rnd.nextInt(bits.length)] | (rnd.nextBoolean() ? 0x10000 : 0);
                switch (rnd.nextInt(6)) {
                    case 0 -> { movReg(0, v); b(0x0f, 0x22, 0xc0); }
                    case 1 -> { movReg(0, rnd.nextInt(0x400)); b(0x0f, 0x22, 0xe0); } // CR4
                    case 2 -> b(0x0f, 0x20, 0xc0 | (rnd.nextInt(5) << 3) | rnd.nextInt(8));
                    case 3 -> b(0x0f, 0x06); // CLTS
                    case 4 -> b(0x0f, 0x01, 0xf0 | rnd.nextInt(8)); // LMSW
                    default -> b(0x0f, 0x21 + 2 * rnd.nextInt(2), 0xc0 | rnd.nextInt(64));
                }
            }
            case 26 -> { // MSRs and other exiting instructions
                int[] msrs = {0x10, 0x17, 0x8b, 0x174, 0x175, 0x176, 0x1a0, 0xc0000080, 0x1b};
                switch (rnd.nextInt(8)) {
                    case 0 -> { movReg(1, msrs[rnd.nextInt(msrs.length)]); b(0x0f, 0x32); }
                    case 1 -> { movReg(1, msrs[rnd.nextInt(msrs.length)]); movReg(0, codeAddr()); b(0x0f, 0x30); }
                    case 2 -> { movReg(0, rnd.nextInt(4) == 0 ? 0x80000000 + rnd.nextInt(6) : rnd.nextInt(4)); b(0x0f, 0xa2); }
                    case 3 -> b(0x0f, 0x31);
                    case 4 -> b(0x0f, 0x33);
                    case 5 -> b(0x0f, 0x34 + rnd.nextInt(2)); // SYSENTER / SYSEXIT
                    case 6 -> b(0x0f, 0x01, 0xc1); // VMCALL
                    default -> b(new int[] {0xf4, 0xfa, 0xfb, 0x0f, 0x0b}[rnd.nextInt(4)]);
                }
            }
            case 27 -> { // PUSHF/POPF with random flags
                b(0x68);
                d(rnd.nextInt() & ~(rnd.nextInt(4) != 0 ? Vcpu.TF : 0));
                b(0x9d);
            }
            case 28 -> { // short branches, calls, returns
                switch (rnd.nextInt(6)) {
                    case 0 -> b(0x70 + rnd.nextInt(16), rnd.nextInt(256));
                    case 1 -> b(0xe0 + rnd.nextInt(4), rnd.nextInt(256));
                    case 2 -> { b(0xe8); d(rnd.nextInt(0x200) - 0x100); }
                    case 3 -> b(0xc3);
                    case 4 -> { b(0xc2); w(rnd.nextInt(64)); }
                    default -> b(0xeb, rnd.nextInt(256));
                }
            }
            case 29 -> { // ENTER / LEAVE / PUSHA / POPA / BOUND
                switch (rnd.nextInt(4)) {
                    case 0 -> { b(0xc8); w(rnd.nextInt(0x200)); b(rnd.nextInt(40)); }
                    case 1 -> b(0xc9);
                    case 2 -> b(0x60 + rnd.nextInt(2));
                    default -> insn(new int[] {0x62}, -1);
                }
            }
            case 30 -> { // CMPXCHG8B, CMPXCHG, XADD, BT* with register offsets
                int[][] ops = {{0x0f, 0xc7}, {0x0f, 0xb0}, {0x0f, 0xb1}, {0x0f, 0xc0}, {0x0f, 0xc1}, {0x0f, 0xa3}, {0x0f, 0xab},
                    {0x0f, 0xb3}, {0x0f, 0xbb}, {0x0f, 0xba}, {0x0f, 0xa4}, {0x0f, 0xa5}, {0x0f, 0xac}, {0x0f, 0xad}};
                int[] op = ops[rnd.nextInt(ops.length)];
                insn(op, op[1] == 0xc7 ? 1 : -1);
            }
            case 31 -> { // FXSAVE / FXRSTOR / FSAVE / FRSTOR / FLDENV on data
                movReg(3, dataAddr() & ~15);
                int[][] ops = {{0x0f, 0xae, 0x03}, {0x0f, 0xae, 0x0b}, {0xdd, 0x33}, {0xdd, 0x23}, {0xd9, 0x23}, {0xd9, 0x33}};
                for (int x : ops[rnd.nextInt(ops.length)]) {
                    b(x);
                }
            }
            case 32 -> { // set a register to something interesting
                int r = rnd.nextInt(8);
                int v = switch (rnd.nextInt(5)) {
                    case 0 -> dataAddr();
                    case 1 -> 0;
                    case 2 -> -1;
                    case 3 -> 0x80000000;
                    default -> rnd.nextInt();
                };
                movReg(r == 4 && rnd.nextInt(4) != 0 ? 0 : r, v);
            }
            case 33 -> insn(new int[] {0x69 + 2 * rnd.nextInt(2)}, -1);
            case 34 -> insn(new int[] {0xc6 + rnd.nextInt(2)}, 0);
            case 35 -> b(rnd.nextInt(256)); // anything one-byte
            case 36 -> { // random opcode with a well-formed tail
                byte[] buf = new byte[24];
                for (int i = 0; i < buf.length; i++) {
                    buf[i] = (byte) rnd.nextInt();
                }
                emitDecoded(buf);
            }
            case 37 -> { // a far call through a call gate / task gate / TSS
                int[] sels = {0x38, 0x3b, 0x40, 0x43, 0x30, 0x98, 0xa0, 0xb0, 0xb3, 0x28};
                b(rnd.nextBoolean() ? 0x9a : 0xea);
                d(codeAddr());
                w(sels[rnd.nextInt(sels.length)]);
            }
            case 38 -> { // INVLPG / WBINVD / INVD
                movReg(3, rnd.nextBoolean() ? dataAddr() : rnd.nextInt());
                b(new int[][] {{0x0f, 0x01, 0x3b}, {0x0f, 0x09}, {0x0f, 0x08}}[rnd.nextInt(3)]);
            }
            default -> { // raw random bytes
                int n = 1 + rnd.nextInt(8);
                for (int i = 0; i < n; i++) {
                    b(rnd.nextInt(256));
                }
            }
        }
    }
}
