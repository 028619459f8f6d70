package dev.jvisor.cpu;

import static dev.jvisor.cpu.Insn.P_ADSIZE;
import static dev.jvisor.cpu.Insn.P_LOCK;
import static dev.jvisor.cpu.Insn.P_OPSIZE;
import static dev.jvisor.cpu.Insn.P_REP;
import static dev.jvisor.cpu.Insn.P_REPNE;

/**
 * The x86 instruction decoder (SDM Vol. 2A, chapter 2): prefixes, one- and two-byte opcode maps,
 * ModRM/SIB/displacement in 16- and 32-bit addressing, immediates, the 15-byte length limit.
 * Opcodes this CPU does not implement decode as {@link #INVALID} and raise #UD when executed.
 */
public final class Decoder {
    /** Source of instruction bytes: fetches the byte at offset n from the instruction start. */
    public interface Fetcher {
        int fetch(int n);
    }

    static final int M = 1, I8 = 2, IV = 4, IW = 8, AP = 16, MO = 32, GRP3 = 64, INVALID = 128;

    static final short[] ONE = new short[256];
    static final short[] TWO = new short[256];

    static {
        for (int b = 0; b < 0x40; b++) {
            int lo = b & 7;
            ONE[b] = switch (lo) {
                case 0, 1, 2, 3 -> M;
                case 4 -> I8;
                case 5 -> IV;
                default -> 0;
            };
        }
        set(ONE, 0x62, M); set(ONE, 0x63, M); set(ONE, 0x68, IV); set(ONE, 0x69, M | IV); set(ONE, 0x6a, I8); set(ONE, 0x6b, M | I8);
        for (int b = 0x70; b <= 0x7f; b++) ONE[b] = I8;
        set(ONE, 0x80, M | I8); set(ONE, 0x81, M | IV); set(ONE, 0x82, M | I8); set(ONE, 0x83, M | I8);
        for (int b = 0x84; b <= 0x8f; b++) ONE[b] = M;
        set(ONE, 0x9a, AP);
        for (int b = 0xa0; b <= 0xa3; b++) ONE[b] = MO;
        set(ONE, 0xa8, I8); set(ONE, 0xa9, IV);
        for (int b = 0xb0; b <= 0xb7; b++) ONE[b] = I8;
        for (int b = 0xb8; b <= 0xbf; b++) ONE[b] = IV;
        set(ONE, 0xc0, M | I8); set(ONE, 0xc1, M | I8); set(ONE, 0xc2, IW); set(ONE, 0xc4, M); set(ONE, 0xc5, M);
        set(ONE, 0xc6, M | I8); set(ONE, 0xc7, M | IV); set(ONE, 0xc8, IW | I8); set(ONE, 0xca, IW); set(ONE, 0xcd, I8);
        for (int b = 0xd0; b <= 0xd3; b++) ONE[b] = M;
        set(ONE, 0xd4, I8); set(ONE, 0xd5, I8);
        for (int b = 0xd8; b <= 0xdf; b++) ONE[b] = M;
        for (int b = 0xe0; b <= 0xe7; b++) ONE[b] = I8;
        set(ONE, 0xe8, IV); set(ONE, 0xe9, IV); set(ONE, 0xea, AP); set(ONE, 0xeb, I8);
        set(ONE, 0xf6, M | GRP3); set(ONE, 0xf7, M | GRP3); set(ONE, 0xfe, M); set(ONE, 0xff, M);

        for (int b = 0; b < 256; b++) TWO[b] = INVALID;
        for (int b : new int[] {0x00, 0x01, 0x02, 0x03}) TWO[b] = M;
        for (int b : new int[] {0x06, 0x08, 0x09, 0x0b, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0xa0, 0xa1, 0xa2, 0xa8, 0xa9}) TWO[b] = 0;
        for (int b = 0x18; b <= 0x1f; b++) TWO[b] = M; // hint NOPs (Ev)
        for (int b = 0x20; b <= 0x23; b++) TWO[b] = M;
        for (int b = 0x40; b <= 0x4f; b++) TWO[b] = M;
        for (int b = 0x80; b <= 0x8f; b++) TWO[b] = IV;
        for (int b = 0x90; b <= 0x9f; b++) TWO[b] = M;
        for (int b : new int[] {0xa3, 0xa5, 0xab, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
                0xc0, 0xc1, 0xc7}) TWO[b] = M;
        TWO[0xa4] = M | I8; TWO[0xac] = M | I8; TWO[0xba] = M | I8;
        for (int b = 0xc8; b <= 0xcf; b++) TWO[b] = 0;
    }

    private static void set(short[] t, int b, int f) {
        t[b] = (short) f;
    }

    private Decoder() { }

    /**
     * Decodes one instruction. code32 is the code segment's D bit. Raises #GP(0) past 15 bytes
     * (SDM 2.3.11); unknown opcodes decode with op set and are rejected by the executor as #UD.
     */
    public static void decode(Fetcher f, boolean code32, Insn in) {
        int n = 0;
        int pfx = 0;
        int seg = -1;
        int b;
        while (true) {
            if (n >= 15) {
                throw CpuFault.gp(0);
            }
            b = f.fetch(n++);
            switch (b) {
                case 0x26 -> seg = Segment.ES;
                case 0x2e -> seg = Segment.CS;
                case 0x36 -> seg = Segment.SS;
                case 0x3e -> seg = Segment.DS;
                case 0x64 -> seg = Segment.FS;
                case 0x65 -> seg = Segment.GS;
                case 0x66 -> pfx |= P_OPSIZE;
                case 0x67 -> pfx |= P_ADSIZE;
                case 0xf0 -> pfx |= P_LOCK;
                case 0xf2 -> pfx = (pfx & ~P_REP) | P_REPNE;
                case 0xf3 -> pfx = (pfx & ~P_REPNE) | P_REP;
                default -> { }
            }
            if (!(b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67
                    || b == 0xf0 || b == 0xf2 || b == 0xf3)) {
                break;
            }
        }
        int flags;
        int op;
        if (b == 0x0f) {
            if (n >= 15) {
                throw CpuFault.gp(0);
            }
            int b2 = f.fetch(n++);
            op = 0x100 | b2;
            flags = TWO[b2];
        } else {
            op = b;
            flags = ONE[b];
        }
        in.op = (short) op;
        in.unit = 0;
        in.prefixes = (byte) pfx;
        boolean os32 = code32 ^ ((pfx & P_OPSIZE) != 0);
        boolean as32 = code32 ^ ((pfx & P_ADSIZE) != 0);
        in.opSize = (byte) (os32 ? 4 : 2);
        in.adSize = (byte) (as32 ? 4 : 2);
        in.hasModrm = (flags & M) != 0;
        in.base = in.index = -1;
        in.scale = 0;
        in.disp = 0;
        int dseg = Segment.DS; // the default segment: SS for EBP/ESP-based operands
        in.imm = in.imm2 = 0;
        if (in.hasModrm) {
            int modrm = f.fetch(n++);
            int mod = modrm >>> 6;
            int rm = modrm & 7;
            in.mod = (byte) mod;
            in.regField = (byte) ((modrm >>> 3) & 7);
            in.rm = (byte) rm;
            if (mod != 3) {
                if (as32) {
                    if (rm == 4) {
                        int sib = f.fetch(n++);
                        int base = sib & 7;
                        int index = (sib >>> 3) & 7;
                        in.scale = (byte) (sib >>> 6);
                        in.index = (byte) (index == 4 ? -1 : index);
                        if (base == 5 && mod == 0) {
                            in.base = -1;
                            in.disp = fetch32(f, n);
                            n += 4;
                        } else {
                            in.base = (byte) base;
                            if (base == 4 || base == 5) {
                                dseg = Segment.SS;
                            }
                        }
                    } else if (rm == 5 && mod == 0) {
                        in.disp = fetch32(f, n);
                        n += 4;
                    } else {
                        in.base = (byte) rm;
                        if (rm == 5) {
                            dseg = Segment.SS;
                        }
                    }
                    if (mod == 1) {
                        in.disp = (byte) f.fetch(n++);
                    } else if (mod == 2) {
                        in.disp = fetch32(f, n);
                        n += 4;
                    }
                } else {
                    // 16-bit addressing (SDM Table 2-1)
                    switch (rm) {
                        case 0 -> { in.base = Vcpu.EBX; in.index = Vcpu.ESI; }
                        case 1 -> { in.base = Vcpu.EBX; in.index = Vcpu.EDI; }
                        case 2 -> { in.base = Vcpu.EBP; in.index = Vcpu.ESI; dseg = Segment.SS; }
                        case 3 -> { in.base = Vcpu.EBP; in.index = Vcpu.EDI; dseg = Segment.SS; }
                        case 4 -> in.base = Vcpu.ESI;
                        case 5 -> in.base = Vcpu.EDI;
                        case 6 -> {
                            if (mod == 0) {
                                in.disp = f.fetch(n) | (f.fetch(n + 1) << 8);
                                n += 2;
                            } else {
                                in.base = Vcpu.EBP;
                                dseg = Segment.SS;
                            }
                        }
                        default -> in.base = Vcpu.EBX;
                    }
                    if (mod == 1) {
                        in.disp = (byte) f.fetch(n++);
                    } else if (mod == 2) {
                        in.disp = (short) (f.fetch(n) | (f.fetch(n + 1) << 8));
                        n += 2;
                    }
                }
            }
        }
        if ((flags & (IV | I8 | IW | AP | MO | GRP3)) != 0) {
            if ((flags & IW) != 0) {
                in.imm = f.fetch(n) | (f.fetch(n + 1) << 8);
                n += 2;
                if ((flags & I8) != 0) { // ENTER Iw, Ib
                    in.imm2 = f.fetch(n++);
                }
            } else if ((flags & GRP3) != 0) {
                if (in.regField < 2) {
                    if (op == 0xf6) {
                        in.imm = f.fetch(n++);
                    } else if (os32) {
                        in.imm = fetch32(f, n);
                        n += 4;
                    } else {
                        in.imm = f.fetch(n) | (f.fetch(n + 1) << 8);
                        n += 2;
                    }
                }
            } else if ((flags & I8) != 0) {
                in.imm = f.fetch(n++);
            } else if ((flags & IV) != 0) {
                if (os32) {
                    in.imm = fetch32(f, n);
                    n += 4;
                } else {
                    in.imm = f.fetch(n) | (f.fetch(n + 1) << 8);
                    n += 2;
                }
            } else if ((flags & AP) != 0) {
                if (os32) {
                    in.imm = fetch32(f, n);
                    n += 4;
                } else {
                    in.imm = f.fetch(n) | (f.fetch(n + 1) << 8);
                    n += 2;
                }
                in.imm2 = f.fetch(n) | (f.fetch(n + 1) << 8);
                n += 2;
            } else { // MO: moffs, address-size wide
                if (as32) {
                    in.disp = fetch32(f, n);
                    n += 4;
                } else {
                    in.disp = f.fetch(n) | (f.fetch(n + 1) << 8);
                    n += 2;
                }
            }
        }
        if (n > 15) {
            throw CpuFault.gp(0);
        }
        in.length = (byte) n;
        in.seg = (byte) (seg >= 0 ? seg : dseg);
        if ((flags & INVALID) != 0) {
            in.op = (short) (op | Insn.UNIMPLEMENTED); // #UD at execution
        }
    }

    private static int fetch32(Fetcher f, int n) {
        return f.fetch(n) | (f.fetch(n + 1) << 8) | (f.fetch(n + 2) << 16) | (f.fetch(n + 3) << 24);
    }
}
