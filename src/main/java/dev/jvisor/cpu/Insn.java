package dev.jvisor.cpu;

/**
 * One decoded instruction (the decoder's output, shared by every engine). Mutable and reused:
 * the interpreter decodes into the same instance each step.
 */
public final class Insn {
    public static final int P_LOCK = 1, P_REP = 2, P_REPNE = 4, P_OPSIZE = 8, P_ADSIZE = 16;

    // Fields as narrow as their ranges: an instance is 48 bytes (12 of header), not 88, so that an instruction
    // the interpreter looks up costs one cache line, and decoded code takes half the cache space (lukewarm
    // code, interpreted, is bound by these misses). Reads widen to int as before.

    /** Opcode: 0x000-0x0FF one-byte map, 0x100-0x1FF the 0F map ({@link #UNIMPLEMENTED} added: #UD at execution). */
    public short op;
    public byte prefixes;
    /** Effective operand and address size in bytes (2 or 4). */
    public byte opSize, adSize;
    public boolean hasModrm;
    public byte mod, regField, rm;
    /** Memory operand: base and index register (-1 for none), scale shift, displacement. */
    public byte base, index, scale;
    public int disp;
    /**
     * The segment of the memory operand: the override prefix's, else the default (SS for EBP- and ESP-based
     * addresses, else DS; DS for instructions without ModRM, whose implicit operands use it).
     */
    byte seg;
    /** Immediate operands (imm2: ENTER's level byte or a far pointer's selector). */
    public int imm, imm2;
    /** Instruction length in bytes. */
    public byte length;
    /** The code-segment size it was decoded for (cached instructions are reused only in the same size). */
    public boolean code32;
    /**
     * Jcc: how the interpreter's recent runs of it went, +1 taken and -1 not taken, saturating at +-{@link #BIAS_LIMIT};
     * the binary translator's trace follows the way it mostly goes (a positive count) where that closes a loop.
     */
    byte bias;
    static final int BIAS_LIMIT = 16;
    /** The binary translator's verdict, cached: 0 not asked yet, 1 a unit can hold it, 2 it ends a unit (BtEngine.enter). */
    byte unit;
    /**
     * For the binary translator, where this cached instruction may start a unit: executions counted
     * there towards the translation threshold (at most Short.MAX_VALUE; -1: the translator failed on it),
     * and the unit translated from here (checked on use: valid, same entry EIP and SS.B). Kept here, not in
     * tables of the translator's own, so that the dispatcher finds them with the instruction the interpreter
     * looks up anyway (BtEngine.enter).
     */
    short heat;
    BtBlock block;

    /** Added to {@link #op} by the decoder for an opcode this CPU does not implement. */
    public static final int UNIMPLEMENTED = 0x4000;

    public boolean isMemory() {
        return hasModrm && mod != 3;
    }

    /** The segment a memory operand uses: the override, else the default. */
    public int seg() {
        return seg;
    }

    public boolean rep() {
        return (prefixes & (P_REP | P_REPNE)) != 0;
    }

    @Override
    public String toString() {
        return String.format("op=%03x len=%d modrm=%d/%d/%d os=%d as=%d pfx=%x", op, length, mod, regField, rm, opSize, adSize, prefixes);
    }
}
