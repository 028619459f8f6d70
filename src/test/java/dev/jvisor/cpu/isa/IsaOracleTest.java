package dev.jvisor.cpu.isa;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays the qemu-i386 oracle vectors (src/test/resources/isa, tools/isa-oracle/README.md) on jvisor's CPU.
 *
 * <p>One dynamic test per group; it lists every failing case (up to {@code -Disa.maxReport=N}, default 60)
 * with its code bytes, source and the differing registers, flags and memory. Differences in the flags the
 * SDM leaves undefined do not fail: they are printed as a per-instruction summary.
 * {@code -Disa.filter=TEXT} keeps the cases whose id or source contains TEXT;
 * {@code -Disa.perCase=true} makes one dynamic test per case instead.
 */
class IsaOracleTest {

    @TestFactory
    Stream<DynamicNode> replayOracleVectors() {
        String filter = System.getProperty("isa.filter", "");
        boolean perCase = Boolean.getBoolean("isa.perCase");
        int maxReport = Integer.getInteger("isa.maxReport", 60);
        return IsaVectorFile.GROUPS.stream().map(group -> {
            List<IsaVector> cases = IsaVectorFile.load(group).cases().stream()
                    .filter(v -> filter.isEmpty() || v.id().contains(filter) || v.asm().contains(filter))
                    .toList();
            if (perCase) {
                return DynamicContainer.dynamicContainer(group, cases.stream().map(v ->
                        DynamicTest.dynamicTest(v.toString(), () -> {
                            IsaReplay.Outcome o = IsaReplay.replay(v, IsaMachine.jvisor(IsaReplay.RAM_SIZE));
                            if (!o.undefinedDiffs().isEmpty()) {
                                System.out.println("[isa] " + v.id() + " SDM-undefined flags differ from qemu: "
                                        + o.undefinedDiffs());
                            }
                            if (!o.passed()) {
                                fail(o.describe());
                            }
                        })));
            }
            return DynamicTest.dynamicTest(group + " (" + cases.size() + " cases)",
                    () -> replayGroup(group, cases, maxReport));
        });
    }

    private static void replayGroup(String group, List<IsaVector> cases, int maxReport) {
        List<IsaReplay.Outcome> failed = new ArrayList<>();
        Map<String, Integer> undefinedDiffs = new TreeMap<>();
        for (IsaVector v : cases) {
            IsaReplay.Outcome o = IsaReplay.replay(v, IsaMachine.jvisor(IsaReplay.RAM_SIZE));
            if (!o.passed()) {
                failed.add(o);
            }
            for (String f : o.undefinedDiffs()) {
                undefinedDiffs.merge(mnemonic(v.asm()) + ": " + f, 1, Integer::sum);
            }
        }
        if (!undefinedDiffs.isEmpty()) {
            StringBuilder sb = new StringBuilder("[isa] " + group
                    + ": SDM-undefined flags that differ from qemu-i386 (information only; instruction: flags x cases)");
            undefinedDiffs.forEach((k, n) -> sb.append("\n  ").append(k).append(" x").append(n));
            System.out.println(sb);
        }
        if (!failed.isEmpty()) {
            StringBuilder sb = new StringBuilder(group + ": " + failed.size() + " of " + cases.size()
                    + " cases differ from qemu-i386");
            failed.stream().limit(maxReport).forEach(o -> sb.append("\n  ").append(o.describe()));
            if (failed.size() > maxReport) {
                sb.append("\n  ... ").append(failed.size() - maxReport).append(" more (-Disa.maxReport=N)");
            }
            fail(sb.toString());
        }
    }

    /** The first instruction's mnemonic, without prefixes, for the summary. */
    static String mnemonic(String asm) {
        for (String w : asm.split("[ ;]+")) {
            if (!w.isEmpty() && !w.startsWith("{") && !w.equals("lock") && !w.startsWith("rep")
                    && !w.equals("addr16") && !w.endsWith(":")) {
                return w;
            }
        }
        return asm;
    }
}
