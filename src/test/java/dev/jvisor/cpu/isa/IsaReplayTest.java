package dev.jvisor.cpu.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Checks the replay and comparison logic without a CPU: a fake machine that checks it was loaded with the
 * case's initial state and then "executes" by taking on the recorded outcome must pass every case, and
 * each kind of deviation must be reported where it belongs.
 */
class IsaReplayTest {

    /** Plays back the oracle's own answer, optionally spoiled afterwards. */
    static final class Playback implements IsaMachine {
        final IsaVector v;
        final Consumer<Playback> spoil;
        final byte[] ram = new byte[IsaReplay.RAM_SIZE];
        final int[] regs = new int[8];
        int eflags, eip;

        Playback(IsaVector v, Consumer<Playback> spoil) {
            this.v = v;
            this.spoil = spoil;
        }

        @Override public void write(int addr, byte[] b) { System.arraycopy(b, 0, ram, addr, b.length); }
        @Override public byte[] read(int addr, int len) { return java.util.Arrays.copyOfRange(ram, addr, addr + len); }
        @Override public void setReg(int i, int value) { regs[i] = value; }
        @Override public int reg(int i) { return regs[i]; }
        @Override public void setEflags(int value) { eflags = value; }
        @Override public int eflags() { return eflags; }
        @Override public int eip() { return eip; }

        @Override
        public int run(int start, long max) {
            assertEquals(IsaVector.CODE, start);
            assertEquals((byte) 0xF4, ram[IsaVector.CODE + v.code().length], v + ": HLT after the snippet");
            assertArrayEquals(v.code(), read(IsaVector.CODE, v.code().length));
            assertArrayEquals(v.regs(), regs.clone(), v.toString());
            assertEquals(v.flags() | 0x202, eflags, v.toString());
            assertArrayEquals(v.initialMemory(IsaVector.DATA, IsaVector.DATA_SIZE), read(IsaVector.DATA, IsaVector.DATA_SIZE));
            assertArrayEquals(v.initialMemory(IsaVector.STACK, IsaVector.STACK_SIZE), read(IsaVector.STACK, IsaVector.STACK_SIZE));
            System.arraycopy(v.outRegs(), 0, regs, 0, 8);
            eflags = v.outFlags() | 0x202;
            write(IsaVector.DATA, v.expectedMemory(IsaVector.DATA, IsaVector.DATA_SIZE));
            write(IsaVector.STACK, v.expectedMemory(IsaVector.STACK, IsaVector.STACK_SIZE));
            eip = IsaVector.CODE + (v.faults() ? v.faultOffset() : v.code().length + 1);
            spoil.accept(this);
            return v.faults() ? v.vector() : -1;
        }
    }

    @Test
    void aMachineThatPlaysBackTheOraclePassesEveryCase() {
        int n = 0;
        for (String g : IsaVectorFile.GROUPS) {
            for (IsaVector v : IsaVectorFile.load(g).cases()) {
                IsaReplay.Outcome o = IsaReplay.replay(v, new Playback(v, p -> { }));
                assertTrue(o.passed(), o::describe);
                assertTrue(o.undefinedDiffs().isEmpty());
                n++;
            }
        }
        assertTrue(n > 5000);
    }

    @Test
    void deviationsAreReported() {
        IsaVector mul = IsaVectorFile.load("muldiv").cases().stream()
                .filter(v -> v.asm().startsWith("mull %") && !v.faults()).findFirst().orElseThrow();
        assertTrue((mul.undef() & 0x40) != 0, "ZF is undefined after MUL");
        // an undefined flag: information only
        IsaReplay.Outcome o = IsaReplay.replay(mul, new Playback(mul, p -> p.eflags ^= 0x40));
        assertTrue(o.passed(), o::describe);
        assertEquals(List.of("ZF"), o.undefinedDiffs());
        // a defined flag, a register, a byte of memory, the end EIP
        o = IsaReplay.replay(mul, new Playback(mul, p -> p.eflags ^= 0x1));
        assertTrue(o.failures().get(0).startsWith("EFLAGS"), o::describe);
        o = IsaReplay.replay(mul, new Playback(mul, p -> p.regs[2]++));
        assertTrue(o.failures().get(0).startsWith("EDX"), o::describe);
        o = IsaReplay.replay(mul, new Playback(mul, p -> p.ram[IsaVector.STACK + 3] ^= 1));
        assertTrue(o.failures().get(0).startsWith("memory 00009003..00009003"), o::describe);
        o = IsaReplay.replay(mul, new Playback(mul, p -> p.eip++));
        assertTrue(o.failures().get(0).startsWith("result"), o::describe);
        // an exception where the oracle ran through, and a CPU that throws
        IsaVector div = IsaVectorFile.load("muldiv").cases().stream().filter(IsaVector::faults).findFirst().orElseThrow();
        o = IsaReplay.replay(div, new Playback(div, p -> p.eip = IsaVector.CODE + div.code().length + 1));
        assertTrue(o.failures().get(0).startsWith("result: want exception 0"), o::describe);
        o = IsaReplay.replay(div, new Playback(div, p -> { throw new IllegalStateException("boom"); }));
        assertTrue(o.failures().get(0).contains("boom"), o::describe);
    }
}
