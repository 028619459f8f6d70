package dev.jvisor.cpu.isa;

import dev.jvisor.cpu.TestCpu;

/** What the replay needs from a CPU: the {@link TestCpu} API, behind an interface so the replay logic
 *  itself can be checked without a CPU (see IsaReplayTest). */
public interface IsaMachine {
    void write(int addr, byte[] bytes);

    byte[] read(int addr, int len);

    void setReg(int index, int value);

    int reg(int index);

    void setEflags(int value);

    int eflags();

    int eip();

    int run(int eip, long maxInstructions);

    /** jvisor's CPU through the CPU branch's test-support class. */
    static IsaMachine jvisor(int ramSize) {
        return of(new TestCpu(ramSize));
    }

    /** jvisor's CPU with the binary translator forced on: every block start translates after btThreshold runs. */
    static IsaMachine jvisorBt(int ramSize, int btThreshold) {
        return of(new TestCpu(ramSize, "bt", btThreshold));
    }

    static IsaMachine of(TestCpu cpu) {
        return new IsaMachine() {
            @Override public void write(int addr, byte[] bytes) { cpu.write(addr, bytes); }
            @Override public byte[] read(int addr, int len) { return cpu.read(addr, len); }
            @Override public void setReg(int index, int value) { cpu.setReg(index, value); }
            @Override public int reg(int index) { return cpu.reg(index); }
            @Override public void setEflags(int value) { cpu.setEflags(value); }
            @Override public int eflags() { return cpu.eflags(); }
            @Override public int eip() { return cpu.eip(); }
            @Override public int run(int eip, long maxInstructions) { return cpu.run(eip, maxInstructions); }
        };
    }
}
