package dev.jvisor.cpu;

import static dev.jvisor.cpu.Segment.CS;
import static dev.jvisor.cpu.Segment.SS;
import static dev.jvisor.cpu.Vcpu.EAX;
import static dev.jvisor.cpu.Vcpu.ESP;

/**
 * The interpreter's handlers for the commonest instruction forms of 32-bit code, one case each, chosen
 * once when the instruction is decoded ({@link Insn#fast}): MOV, LEA, the ALU rows on registers, CMP and
 * TEST, PUSH/POP of a register, CALL/RET/JMP/Jcc. In the instructions a Linux boot interprets (lukewarm
 * kernel code), these forms are ~80%; through {@link Interpreter#execute} each took two or three
 * dispatches (opcode row, opcode, ALU operation) and the operand-size and ModRM tests, here one.
 *
 * <p>Only instructions without prefixes other than a segment override qualify, in 32-bit code (operand
 * and address size 4); the stack forms check SS.B and go to {@code execute} on a 16-bit stack. Semantics
 * are {@code execute}'s (the same Vcpu accessors, so the same segment checks, TLB and faults), which
 * {@code FastPathTest} and the ISA tests compare.
 */
final class FastPath {
    private FastPath() { }

    static final byte NONE = 0,
            MOV_R_M = 1,      // 8B /r, memory: reg = [ea]
            MOV_R_R = 2,      // 89 / 8B, register: rm = reg (dst and src in rm / regField as decoded)
            MOV_M_R = 3,      // 89 /r, memory: [ea] = reg
            LEA = 4,          // 8D /r
            ALU_R_I = 5,      // 81 / 83 /n, register (imm already sign-extended for 83 at run time)
            ALU_E_G = 6,      // 01 09 11 19 21 29 31 39, register: rm op= reg
            ALU_G_E = 7,      // 03 0B 13 1B 23 2B 33 3B, register: reg op= rm
            ALU_G_M = 8,      // 03 0B 13 1B 23 2B 33 3B, memory: reg op= [ea]
            CMP_M_G = 9,      // 39 /r, memory: [ea] - reg
            TEST_R_R = 10,    // 85 /r, register
            PUSH_R = 11,      // 50+r
            POP_R = 12,       // 58+r
            CALL = 13,        // E8 rel32
            RET = 14,         // C3
            JCC8 = 15,        // 70+cc rel8
            JCC32 = 16,       // 0F 80+cc rel32
            JMP = 17,         // E9 rel32, EB rel8
            MOV_M_I = 18,     // C7 /0, memory
            MOV_R_I = 19,     // B8+r imm32
            MOVZX_R_M8 = 20,  // 0F B6 /r, memory
            MOV_EAX_MOFFS = 21; // A1 moffs32

    /** The form of a decoded instruction, or NONE: the decoder stores it in {@link Insn#fast}. */
    static byte form(Insn in) {
        if (in.prefixes != 0 || in.opSize != 4 || in.adSize != 4 || in.op >= Insn.UNIMPLEMENTED) {
            return NONE;
        }
        int op = in.op;
        boolean reg = in.hasModrm && in.mod == 3;
        boolean mem = in.hasModrm && in.mod != 3;
        if (op < 0x40 && (op & 7) == 1 && reg) {
            return ALU_E_G;
        }
        if (op < 0x40 && (op & 7) == 3) {
            return reg ? ALU_G_E : ALU_G_M;
        }
        return switch (op) {
            case 0x39 -> mem ? CMP_M_G : NONE;
            case 0x8b -> mem ? MOV_R_M : MOV_R_R;
            case 0x89 -> mem ? MOV_M_R : MOV_R_R;
            case 0x8d -> mem ? LEA : NONE;
            case 0x81, 0x83 -> reg ? ALU_R_I : NONE;
            case 0x85 -> reg ? TEST_R_R : NONE;
            case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> PUSH_R;
            case 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f -> POP_R;
            case 0xe8 -> CALL;
            case 0xc3 -> RET;
            case 0xe9, 0xeb -> JMP;
            case 0xc7 -> mem && in.regField == 0 ? MOV_M_I : NONE;
            case 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf -> MOV_R_I;
            case 0x1b6 -> mem ? MOVZX_R_M8 : NONE;
            case 0xa1 -> MOV_EAX_MOFFS;
            default -> (op >= 0x70 && op <= 0x7f) ? JCC8 : (op >= 0x180 && op <= 0x18f) ? JCC32 : NONE;
        };
    }

    /** The effective address of a 32-bit memory operand (no address-size prefix: no wrap to 16 bits). */
    private static int ea(int[] reg, Insn in) {
        int a = in.disp;
        if (in.base >= 0) {
            a += reg[in.base];
        }
        if (in.index >= 0) {
            a += reg[in.index] << in.scale;
        }
        return a;
    }

    /**
     * Executes in (of a form other than NONE) as {@link Interpreter#execute} would: c.eip already points past
     * it. Faults propagate as CpuFault with nothing written, as there.
     */
    static void run(Vcpu c, Interpreter ip, Insn in) {
        int[] reg = c.reg;
        switch (in.fast) {
            case MOV_R_M -> reg[in.regField] = c.read32(in.seg, ea(reg, in));
            case MOV_R_R -> {
                if (in.op == 0x89) {
                    reg[in.rm] = reg[in.regField];
                } else {
                    reg[in.regField] = reg[in.rm];
                }
            }
            case MOV_M_R -> c.write32(in.seg, ea(reg, in), reg[in.regField]);
            case LEA -> reg[in.regField] = ea(reg, in);
            case ALU_R_I -> {
                int imm = in.op == 0x83 ? (byte) in.imm : in.imm;
                int r = alu(c, in.regField, reg[in.rm], imm);
                if (in.regField != 7) {
                    reg[in.rm] = r;
                }
            }
            case ALU_E_G -> {
                int r = alu(c, in.op >>> 3, reg[in.rm], reg[in.regField]);
                if (in.op != 0x39) {
                    reg[in.rm] = r;
                }
            }
            case ALU_G_E -> {
                int r = alu(c, in.op >>> 3, reg[in.regField], reg[in.rm]);
                if (in.op != 0x3b) {
                    reg[in.regField] = r;
                }
            }
            case ALU_G_M -> {
                int r = alu(c, in.op >>> 3, reg[in.regField], c.read32(in.seg, ea(reg, in)));
                if (in.op != 0x3b) {
                    reg[in.regField] = r;
                }
            }
            case CMP_M_G -> alu(c, 7, c.read32(in.seg, ea(reg, in)), reg[in.regField]);
            case TEST_R_R -> Alu.set(c, Alu.OP_LOGIC, 0, 0, reg[in.rm] & reg[in.regField], 4);
            case PUSH_R -> {
                if (!c.stack32) {
                    ip.execute(in);
                    return;
                }
                int v = reg[in.op & 7];
                int sp = reg[ESP] - 4;
                c.write32(SS, sp, v);
                reg[ESP] = sp;
            }
            case POP_R -> {
                if (!c.stack32) {
                    ip.execute(in);
                    return;
                }
                int v = c.read32(SS, reg[ESP]);
                reg[ESP] += 4;
                reg[in.op & 7] = v; // POP ESP: the value read, after the increment (SDM POP)
            }
            case CALL -> {
                if (!c.stack32) {
                    ip.execute(in);
                    return;
                }
                int t = c.eip + in.imm;
                if (Integer.compareUnsigned(t, c.segLimit[CS]) > 0) {
                    throw CpuFault.gp(0);
                }
                int sp = reg[ESP] - 4;
                c.write32(SS, sp, c.eip);
                reg[ESP] = sp;
                c.eip = t;
            }
            case RET -> {
                if (!c.stack32) {
                    ip.execute(in);
                    return;
                }
                int t = c.read32(SS, reg[ESP]);
                ip.jumpTo(t);
                reg[ESP] += 4;
            }
            case JCC8 -> {
                boolean taken = Alu.cond(c, in.op & 15);
                in.taken = taken;
                if (taken) {
                    ip.jumpTo(c.eip + (byte) in.imm);
                }
            }
            case JCC32 -> {
                boolean taken = Alu.cond(c, in.op & 15);
                in.taken = taken;
                if (taken) {
                    ip.jumpTo(c.eip + in.imm);
                }
            }
            case JMP -> ip.jumpTo(c.eip + (in.op == 0xeb ? (byte) in.imm : in.imm));
            case MOV_M_I -> c.write32(in.seg, ea(reg, in), in.imm);
            case MOV_R_I -> reg[in.op & 7] = in.imm;
            case MOVZX_R_M8 -> reg[in.regField] = c.read8(in.seg, ea(reg, in));
            case MOV_EAX_MOFFS -> reg[EAX] = c.read32(in.seg, in.disp); // the offset is decoded into disp
            default -> ip.execute(in);
        }
    }

    /** ADD OR ADC SBB AND SUB XOR CMP (op & 7 of the opcode row or group 1's reg field) on 32-bit operands. */
    private static int alu(Vcpu c, int op, int a, int b) {
        int r;
        switch (op & 7) {
            case 0 -> { r = a + b; Alu.set(c, Alu.OP_ADD, a, b, r, 4); }
            case 1 -> { r = a | b; Alu.set(c, Alu.OP_LOGIC, a, b, r, 4); }
            case 4 -> { r = a & b; Alu.set(c, Alu.OP_LOGIC, a, b, r, 4); }
            case 5, 7 -> { r = a - b; Alu.set(c, Alu.OP_SUB, a, b, r, 4); }
            case 6 -> { r = a ^ b; Alu.set(c, Alu.OP_LOGIC, a, b, r, 4); }
            default -> r = Alu.alu(c, op & 7, a, b, 4); // ADC, SBB: the carry in
        }
        return r;
    }
}
