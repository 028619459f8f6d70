package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random and biased-random code run in ring 0 and ring 3 of a protected-mode guest (see
 * {@link FuzzRig}): the only acceptable outcomes are guest exceptions delivered through the guest's
 * IDT, VM exits, or a triple fault. Never a Java exception out of {@link Vcpu#run()}, never an
 * access outside guest RAM, never a run that does not return. Seeds are fixed: a failure names its
 * seed and chunk and reproduces with {@code -Dtest=HostileGuestFuzzTest}.
 * The environment variable {@code JVISOR_FUZZ_SCALE=N} multiplies the instruction counts for a
 * longer soak (an environment variable because the forked test JVM inherits it).
 */
class HostileGuestFuzzTest {
    private static final long PER_SEED = 1_500_000L * Long.parseLong(System.getenv().getOrDefault("JVISOR_FUZZ_SCALE", "1"));

    static Object[][] seeds() {
        // seed, paging, #DF through a task gate, hypervisor intercepts #UD/#GP/#PF and reflects them
        return new Object[][] {
            {0x5eed0001L, false, false, false},
            {0x5eed0002L, false, true, false},
            {0x5eed0003L, true, false, false},
            {0x5eed0004L, true, true, false},
            {0x5eed0005L, true, true, true},
            {0x5eed0006L, false, false, true},
            {0x5eed0007L, true, false, false},
            {0x5eed0008L, true, true, false},
        };
    }

    @ParameterizedTest(name = "seed {0} paging={1} dfTask={2} intercept={3}")
    @MethodSource("seeds")
    void hostileGuestOnlyFaultsExitsOrTripleFaults(long seed, boolean paging, boolean dfTask, boolean intercept) {
        FuzzRig rig = new FuzzRig(new FuzzRig.Config(seed, paging, dfTask, intercept, PER_SEED));
        AtomicReference<FuzzRig.Stats> result = new AtomicReference<>();
        // the budgets end every chunk; this only turns a hang inside one instruction into a failure
        assertTimeoutPreemptively(Duration.ofMinutes(5), () -> result.set(rig.run()),
                () -> "no progress: " + rig.where);
        FuzzRig.Stats s = result.get();
        System.out.printf("fuzz seed %x paging=%s dfTask=%s intercept=%s: %d instructions, %d chunks (%d ring 3), "
                        + "%d IRET resumes, %d deliveries from ring 3, %d triple faults, %d task switches to TSS2, %d reflected, "
                        + "%d injected IRQs%n  vectors: %s%n  exits: %s%n",
                seed, paging, dfTask, intercept, s.instructions, s.chunks, s.ring3Chunks, s.iretResumes, s.fromRing3,
                s.triples, s.tss2Entries, s.reinjected, s.injectedInterrupts, s.vectorSummary(), s.exitSummary());
        assertEquals("", String.join("\n", s.violations), "invariant violations");
        assertTrue(s.instructions >= PER_SEED, "ran " + s.instructions);
        // not vacuous: faults of many kinds reached the guest's handler, from both rings, and exits happened
        assertTrue(s.distinctVectors() >= 10, "too few distinct vectors: " + s.vectorSummary());
        for (int v : new int[] {CpuFault.UD, CpuFault.GP, CpuFault.BP}) {
            assertTrue(s.vectors[v] > 0, "no " + FuzzRig.NAMES[v] + ": " + s.vectorSummary());
        }
        if (paging) {
            assertTrue(s.vectors[CpuFault.PF] > 0, "no #PF with paging: " + s.vectorSummary());
        }
        assertTrue(s.fromRing3 > 0 && s.iretResumes > 0, "no ring-3 deliveries or IRET resumes");
        long exitKinds = java.util.Arrays.stream(s.exits).filter(n -> n > 0).count();
        assertTrue(exitKinds >= 6, "too few exit reasons: " + s.exitSummary());
        if (intercept) {
            assertTrue(s.reinjected > 0, "no intercepted exception was reflected");
        }
    }
}
