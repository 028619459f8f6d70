package dev.jvisor.cpu.isa;

import static dev.jvisor.cpu.isa.IsaVector.CODE;
import static dev.jvisor.cpu.isa.IsaVector.DATA;
import static dev.jvisor.cpu.isa.IsaVector.DATA_SIZE;
import static dev.jvisor.cpu.isa.IsaVector.FLAGS_MASK;
import static dev.jvisor.cpu.isa.IsaVector.REG_NAMES;
import static dev.jvisor.cpu.isa.IsaVector.STACK;
import static dev.jvisor.cpu.isa.IsaVector.STACK_SIZE;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Replays one {@link IsaVector} on an {@link IsaMachine} and compares the outcome.
 *
 * <p>Layout: the snippet at {@link IsaVector#CODE} followed by HLT, the data area and the stack window
 * zeroed and then loaded with the case's initial bytes, EAX..EDI as recorded (ESP = ESP0), EFLAGS =
 * the recorded arithmetic bits and DF | 0x202 (bit 1 and IF, as qemu-i386 runs user code).
 * Compared: the result (ran to HLT, or which exception at which instruction), all eight registers,
 * EFLAGS & 0xCD5 except the bits the SDM leaves undefined, and every byte of both memory windows.
 * Differences in the undefined bits are reported separately, as information.
 */
public final class IsaReplay {
    /** RAM given to the CPU: code, data and stack all live below it. */
    public static final int RAM_SIZE = 0x20000;
    public static final long MAX_INSTRUCTIONS = 100_000;
    private static final String[] FLAG_NAMES = new String[12];

    static {
        FLAG_NAMES[0] = "CF";
        FLAG_NAMES[2] = "PF";
        FLAG_NAMES[4] = "AF";
        FLAG_NAMES[6] = "ZF";
        FLAG_NAMES[7] = "SF";
        FLAG_NAMES[10] = "DF";
        FLAG_NAMES[11] = "OF";
    }

    /** The differences found: failures (defined state) and informational ones (SDM-undefined flags). */
    public record Outcome(IsaVector vector, List<String> failures, List<String> undefinedDiffs) {
        public boolean passed() {
            return failures.isEmpty();
        }

        public String describe() {
            return vector + (vector.derived() ? " (src=sdm)" : "") + "\n      " + String.join("\n      ", failures);
        }
    }

    private IsaReplay() {
    }

    public static void load(IsaVector v, IsaMachine m) {
        byte[] code = Arrays.copyOf(v.code(), v.code().length + 1);
        code[code.length - 1] = (byte) 0xF4;
        m.write(CODE, code);
        m.write(DATA, v.initialMemory(DATA, DATA_SIZE));
        m.write(STACK, v.initialMemory(STACK, STACK_SIZE));
        for (int i = 0; i < 8; i++) {
            m.setReg(i, v.regs()[i]);
        }
        m.setEflags(v.flags() | 0x202);
    }

    public static Outcome replay(IsaVector v, IsaMachine m) {
        List<String> fail = new ArrayList<>();
        List<String> info = new ArrayList<>();
        int rc;
        try {
            load(v, m);
            rc = m.run(CODE, MAX_INSTRUCTIONS);
        } catch (RuntimeException | StackOverflowError e) {
            fail.add("CPU threw " + e);
            return new Outcome(v, fail, info);
        }
        compare(v, m, rc, fail, info);
        return new Outcome(v, fail, info);
    }

    static void compare(IsaVector v, IsaMachine m, int rc, List<String> fail, List<String> info) {
        String want = v.faults() ? "exception " + v.vector() + " at +" + v.faultOffset() : "HLT";
        int eip = m.eip();
        if (rc == -2) {
            fail.add("result: want " + want + ", got no HLT within " + MAX_INSTRUCTIONS + " instructions");
            return;
        }
        String got = rc == -1 ? "HLT" : "exception " + rc + " at +" + (eip - CODE);
        int wantEip = v.faults() ? CODE + v.faultOffset() : CODE + v.code().length + 1;
        if (rc != (v.faults() ? v.vector() : -1) || eip != wantEip) {
            fail.add("result: want " + want + " (eip " + hex(wantEip) + "), got " + got + " (eip " + hex(eip) + ")");
        }
        for (int i = 0; i < 8; i++) {
            int g = m.reg(i);
            if (g != v.outRegs()[i]) {
                fail.add(REG_NAMES[i] + ": want " + hex(v.outRegs()[i]) + ", got " + hex(g)
                        + " (initial " + hex(v.regs()[i]) + ")");
            }
        }
        int gf = m.eflags() & FLAGS_MASK;
        int diff = (gf ^ v.outFlags()) & FLAGS_MASK;
        if ((diff & ~v.undef()) != 0) {
            fail.add("EFLAGS: want " + flags(v.outFlags()) + ", got " + flags(gf) + " (differ: "
                    + flags(diff & ~v.undef()) + "; initial " + flags(v.flags()) + ")");
        }
        if ((diff & v.undef()) != 0) {
            info.add(flags(diff & v.undef()));
        }
        memory(v, m, DATA, DATA_SIZE, fail);
        memory(v, m, STACK, STACK_SIZE, fail);
    }

    private static void memory(IsaVector v, IsaMachine m, int base, int len, List<String> fail) {
        byte[] want = v.expectedMemory(base, len);
        byte[] got = m.read(base, len);
        for (int i = 0; i < len; i++) {
            if (want[i] != got[i]) {
                int j = i;
                while (j < len && want[j] != got[j]) {
                    j++;
                }
                fail.add("memory " + hex(base + i) + ".." + hex(base + j - 1) + ": want "
                        + java.util.HexFormat.of().formatHex(want, i, j) + ", got "
                        + java.util.HexFormat.of().formatHex(got, i, j));
                i = j;
            }
        }
    }

    static String flags(int f) {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < FLAG_NAMES.length; b++) {
            if (FLAG_NAMES[b] != null && (f & (1 << b)) != 0) {
                sb.append(sb.isEmpty() ? "" : " ").append(FLAG_NAMES[b]);
            }
        }
        return sb.isEmpty() ? "-" : sb.toString();
    }

    private static String hex(int v) {
        return String.format("%08x", v);
    }
}
