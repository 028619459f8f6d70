package dev.jvisor.cpu.isa;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jvisor.cpu.TestCpu;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The ISA oracle vectors on the binary translator (threshold 1: every snippet runs as translated
 * code from its first instruction), compared with the qemu-i386 outcome exactly as
 * {@link IsaOracleTest} compares the interpreter, and with the interpreter itself (registers,
 * EFLAGS including the SDM-undefined bits, memory windows, EIP and the stop reason).
 */
class BtIsaDifferentialTest {

    @TestFactory
    Stream<DynamicTest> translatorMatchesOracleAndInterpreter() {
        return IsaVectorFile.GROUPS.stream().map(group -> DynamicTest.dynamicTest(group, () -> {
            List<String> bad = new ArrayList<>();
            long translated = 0;
            long total = 0;
            for (IsaVector v : IsaVectorFile.load(group).cases()) {
                TestCpu cpu = new TestCpu(IsaReplay.RAM_SIZE, "bt", 1);
                IsaMachine bt = IsaMachine.of(cpu);
                IsaReplay.Outcome o = IsaReplay.replay(v, bt);
                translated += cpu.translatedInstructions();
                if (cpu.translationFailures() != 0) {
                    bad.add("translation failed: " + v);
                }
                total += cpu.vcpu().icount;
                if (!o.passed()) {
                    bad.add("oracle: " + o.describe());
                    continue;
                }
                IsaMachine ref = IsaMachine.jvisor(IsaReplay.RAM_SIZE);
                IsaReplay.replay(v, ref);
                String d = diff(ref, bt);
                if (d != null) {
                    bad.add("interpreter: " + v + ": " + d);
                }
            }
            System.out.printf("[bt-isa] %s: %d of %d instructions ran translated%n", group, translated, total);
            if (!bad.isEmpty()) {
                fail(group + ": " + bad.size() + " cases differ\n  " + String.join("\n  ", bad.subList(0, Math.min(40, bad.size()))));
            }
        }));
    }

    static String diff(IsaMachine a, IsaMachine b) {
        for (int i = 0; i < 8; i++) {
            if (a.reg(i) != b.reg(i)) {
                return "reg " + i + " " + Integer.toHexString(a.reg(i)) + " vs " + Integer.toHexString(b.reg(i));
            }
        }
        if (a.eflags() != b.eflags()) {
            return "eflags " + Integer.toHexString(a.eflags()) + " vs " + Integer.toHexString(b.eflags());
        }
        if (a.eip() != b.eip()) {
            return "eip " + Integer.toHexString(a.eip()) + " vs " + Integer.toHexString(b.eip());
        }
        byte[] ma = a.read(0, IsaReplay.RAM_SIZE);
        byte[] mb = b.read(0, IsaReplay.RAM_SIZE);
        for (int i = 0; i < ma.length; i++) {
            if (ma[i] != mb[i]) {
                return "memory at " + Integer.toHexString(i);
            }
        }
        return null;
    }
}
