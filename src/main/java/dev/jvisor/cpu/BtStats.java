package dev.jvisor.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The translator's --stats report: coverage, fallbacks and callouts by opcode. */
final class BtStats {
    private BtStats() { }

    /** Per opcode (0-0x1ff): whether it is a callout, i.e. {@link #calloutReason} is not null. */
    private static final boolean[] CALLOUT = new boolean[0x200];

    static {
        for (int op = 0; op < CALLOUT.length; op++) {
            CALLOUT[op] = calloutReason(op) != null;
        }
    }

    /** Whether the opcode (as Insn.op) is a callout; ops above 0x1ff are not. */
    static boolean isCallout(int op) {
        return op < CALLOUT.length && CALLOUT[op];
    }

    /**
     * For instructions that are sensitive (they can take a VM exit or change privileged state), the
     * exit reason (or state) they are a callout for; null for ordinary instructions the translator
     * simply does not handle (fallbacks).
     */
    static String calloutReason(int op) {
        return switch (op) {
            case 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef, 0x6c, 0x6d, 0x6e, 0x6f -> "IO_INSTRUCTION";
            case 0xf4 -> "HLT";
            case 0x90 -> "PAUSE"; // F3 90 (plain NOP is translated)
            case 0x1a2 -> "CPUID";
            case 0x130 -> "WRMSR";
            case 0x132 -> "RDMSR";
            case 0x131 -> "RDTSC";
            case 0x133 -> "RDPMC";
            case 0x120, 0x122, 0x106 -> "CR_ACCESS";
            case 0x121, 0x123 -> "DR_ACCESS";
            case 0x101 -> "INVLPG/VMCALL/descriptor tables";
            case 0x100 -> "LDTR/TR";
            case 0x108 -> "INVD";
            case 0x109 -> "WBINVD";
            case 0xfa, 0xfb, 0x9d, 0xcf -> "IF/EFLAGS (interrupt window)";
            case 0xcc, 0xcd, 0xce, 0xf1 -> "software interrupt";
            case 0x8e, 0x9a, 0xea, 0xca, 0xcb, 0x134, 0x135, 0x07, 0x17, 0x1f, 0x1a1, 0x1a9, 0xc4, 0xc5, 0x1b2, 0x1b4, 0x1b5 ->
                    "segment/privilege change";
            default -> null;
        };
    }

    static String format(BtEngine e, long icount) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nbinary translator (--accel bt, threshold %d):%n", e.threshold));
        sb.append(String.format(Locale.ROOT, "  instructions in translated code: %d of %d (%s)%n", e.btInsns, icount,
                BtEngine.pct(e.btInsns, icount)));
        sb.append(String.format(Locale.ROOT, "  blocks translated %d (untranslatable starts %d) in %.1f ms; block runs %d (%.1f insns/run)%n",
                e.translated, e.untranslatable, e.translateNanos / 1e6, e.blockRuns,
                e.blockRuns == 0 ? 0.0 : (double) e.btInsns / e.blockRuns));
        sb.append(String.format(Locale.ROOT, "  returns to the dispatcher %d (%.1f block runs each: the rest chained)%n",
                e.dispatches, e.dispatches == 0 ? 0.0 : (double) e.blockRuns / e.dispatches));
        sb.append(String.format(Locale.ROOT, "  loops longer than %d instructions translated whole: %d%n",
                BtTranslator.MAX_INSNS, e.loopUnits()));
        sb.append(String.format(Locale.ROOT, "  invalidated blocks %d, cache flushes %d, faults in translated code %d%n",
                e.invalidatedBlocks, e.flushes, e.faults));
        sb.append(String.format(Locale.ROOT, "  TLB misses, page-crossing accesses and entries with a segment no longer flat, left to the interpreter: %d%n", e.misses));
        if (e.translationFailures != 0) {
            sb.append(String.format(Locale.ROOT, "  translation failures (translator bugs; those blocks run on the interpreter): %d%n",
                    e.translationFailures));
        }
        if (e.profileUnits) {
            sb.append(topUnits(e.unitProfiles(), e.btInsns));
        }
        sb.append(top("  callouts (sensitive instruction run by the interpreter's handler, ending the unit or inside it):",
                e.callouts, true));
        long inUnits = java.util.Arrays.stream(e.calloutsInUnits).sum();
        sb.append(String.format(Locale.ROOT, "    of which inside a unit (STI, POPF, RDTSC, data segment loads): %d%n",
                inUnits));
        sb.append(top("  fallbacks (instruction not translated, run by the interpreter):", e.fallbacks, false));
        sb.append(top("  inline fallbacks (instruction not translated, run by the interpreter inside the unit):", e.inlined, false));
        return sb.toString();
    }

    /** Units shown in the top-units table. */
    static final int TOP_UNITS = 20;

    /**
     * The units that retired the most guest instructions, by entry EIP (a start translated again counts
     * once): where translated time goes, to look up in the guest's symbols (System.map, kallsyms, nm).
     */
    static String topUnits(java.util.Map<Integer, long[]> profiles, long btInsns) {
        List<java.util.Map.Entry<Integer, long[]>> units = new ArrayList<>(profiles.entrySet());
        units.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "  top units by guest instructions retired in them (%d units ran):%n", units.size()));
        sb.append(String.format(Locale.ROOT, "    %-8s %5s %12s %14s %9s %7s%n", "EIP", "size", "runs", "instructions", "per run", "share"));
        for (int k = 0; k < Math.min(TOP_UNITS, units.size()); k++) {
            long[] p = units.get(k).getValue();
            sb.append(String.format(Locale.ROOT, "    %08x %5d %12d %14d %9.1f %7s%n", units.get(k).getKey(), p[2], p[0], p[1],
                    (double) p[1] / p[0], BtEngine.pct(p[1], btInsns)));
        }
        return sb.toString();
    }

    private static String top(String title, long[] counts, boolean reason) {
        List<Integer> ops = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] != 0) {
                ops.add(i);
                total += counts[i];
            }
        }
        ops.sort((a, b) -> Long.compare(counts[b], counts[a]));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s %d%n", title, total));
        for (int k = 0; k < Math.min(15, ops.size()); k++) {
            int op = ops.get(k);
            sb.append(String.format(Locale.ROOT, "    %-8s %12d  %s%n", name(op), counts[op], reason ? calloutReason(op) : ""));
        }
        return sb.toString();
    }

    static String name(int op) {
        if (op == 0x3ff) {
            return "pagecross";
        }
        return op >= 0x100 ? String.format("0f %02x", op & 0xff) : String.format("%02x", op);
    }
}
