package dev.jvisor.cpu.isa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One oracle case of {@code src/test/resources/isa/<group>.txt} (format: tools/isa-oracle/README.md).
 *
 * @param id        group.index
 * @param code      snippet bytes (the replay appends HLT)
 * @param regs      initial EAX ECX EDX EBX ESP EBP ESI EDI
 * @param flags     initial arithmetic flags and DF
 * @param mem       initial non-zero bytes of the data area and stack window
 * @param vector    -1 when the snippet ran to its end, else the exception vector it raised
 * @param faultOffset offset of the faulting instruction in code (when vector >= 0)
 * @param outRegs   final registers (at the faulting instruction for an exception)
 * @param outFlags  final EFLAGS & {@link #FLAGS_MASK}
 * @param outMem    bytes that changed, at their addresses
 * @param undef     EFLAGS bits the SDM leaves undefined for this snippet
 * @param derived   true when the outcome comes from the SDM rather than from qemu (src=sdm)
 * @param asm       GNU as source of the snippet
 */
public record IsaVector(String id, byte[] code, int[] regs, int flags, List<MemRun> mem, int vector,
                        int faultOffset, int[] outRegs, int outFlags, List<MemRun> outMem, int undef,
                        boolean derived, String asm) {

    /** Guest layout shared with the generator (tools/isa-oracle/harness.py). */
    public static final int CODE = 0x10000, DATA = 0x8000, DATA_SIZE = 256, STACK = 0x9000, STACK_SIZE = 256,
            ESP0 = 0x9080;
    /** CF PF AF ZF SF OF DF: the EFLAGS bits recorded and compared. */
    public static final int FLAGS_MASK = 0x8D5 | 0x400;

    public static final String[] REG_NAMES = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};

    /** A run of bytes at a guest address. */
    public record MemRun(int addr, byte[] bytes) {
        @Override
        public String toString() {
            return Integer.toHexString(addr) + ":" + HexFormat.of().formatHex(bytes);
        }
    }

    public boolean faults() {
        return vector >= 0;
    }

    /** The initial contents of [base, base+len): zero except for the mem runs. */
    public byte[] initialMemory(int base, int len) {
        byte[] out = new byte[len];
        apply(out, base, mem);
        return out;
    }

    /** The expected final contents of [base, base+len). */
    public byte[] expectedMemory(int base, int len) {
        byte[] out = initialMemory(base, len);
        apply(out, base, outMem);
        return out;
    }

    private static void apply(byte[] out, int base, List<MemRun> runs) {
        for (MemRun r : runs) {
            for (int i = 0; i < r.bytes.length; i++) {
                int a = r.addr + i - base;
                if (a >= 0 && a < out.length) {
                    out[a] = r.bytes[i];
                }
            }
        }
    }

    /** Parses one case line. */
    public static IsaVector parse(String line) {
        String asm = null;
        int asmAt = line.indexOf(" asm=");
        String head = line;
        if (asmAt >= 0) {
            asm = line.substring(asmAt + 5);
            head = line.substring(0, asmAt);
        }
        String id = null, res = null;
        byte[] code = null;
        int[] regs = null, oregs = null;
        Integer fl = null, ofl = null, undef = null;
        List<MemRun> mem = List.of(), omem = List.of();
        boolean derived = false;
        for (String tok : head.trim().split(" +")) {
            int eq = tok.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad field '" + tok + "'");
            }
            String k = tok.substring(0, eq), v = tok.substring(eq + 1);
            switch (k) {
                case "id" -> id = v;
                case "code" -> code = HexFormat.of().parseHex(v);
                case "regs" -> regs = regs(v);
                case "fl" -> fl = hex(v);
                case "mem" -> mem = runs(v);
                case "res" -> res = v;
                case "oregs" -> oregs = regs(v);
                case "ofl" -> ofl = hex(v);
                case "omem" -> omem = runs(v);
                case "undef" -> undef = hex(v);
                case "src" -> derived = v.equals("sdm");
                default -> throw new IllegalArgumentException("unknown field '" + k + "'");
            }
        }
        if (id == null || code == null || regs == null || fl == null || res == null || oregs == null
                || ofl == null || undef == null || asm == null) {
            throw new IllegalArgumentException("missing field in: " + line);
        }
        int vector = -1, offset = 0;
        if (res.startsWith("exc:")) {
            int at = res.indexOf('@');
            vector = Integer.parseInt(res.substring(4, at));
            offset = Integer.parseInt(res.substring(at + 1));
        } else if (!res.equals("hlt")) {
            throw new IllegalArgumentException("bad res '" + res + "'");
        }
        return new IsaVector(id, code, regs, fl, mem, vector, offset, oregs, ofl, omem, undef, derived, asm);
    }

    private static int hex(String s) {
        return Integer.parseUnsignedInt(s, 16);
    }

    private static int[] regs(String s) {
        String[] p = s.split(",");
        if (p.length != 8) {
            throw new IllegalArgumentException("want 8 registers: " + s);
        }
        return Arrays.stream(p).mapToInt(IsaVector::hex).toArray();
    }

    private static List<MemRun> runs(String s) {
        List<MemRun> out = new ArrayList<>();
        for (String r : s.split(",")) {
            int c = r.indexOf(':');
            out.add(new MemRun(hex(r.substring(0, c)), HexFormat.of().parseHex(r.substring(c + 1))));
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return id + " [" + HexFormat.of().formatHex(code) + "] " + asm;
    }
}
