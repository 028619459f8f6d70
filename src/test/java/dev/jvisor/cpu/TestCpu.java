package dev.jvisor.cpu;

/**
 * Placeholder of the CPU test-support class. The real one comes from the CPU branch and replaces
 * this file on merge; until then every method throws, so the ISA replay test fails on this branch.
 */
public final class TestCpu {
    private static final String MSG = "provided by the CPU branch";

    /** A CPU in 32-bit flat protected mode (CS/DS/ES/SS/FS/GS base 0 limit 4 GiB), CPL 0, paging off,
     *  no IDT (an exception stops the run), with ramSize bytes of RAM at physical 0. */
    public TestCpu(int ramSize) {
        throw new UnsupportedOperationException(MSG);
    }

    public void write(int addr, byte[] bytes) {
        throw new UnsupportedOperationException(MSG);
    }

    public byte[] read(int addr, int len) {
        throw new UnsupportedOperationException(MSG);
    }

    /** 0..7 = EAX ECX EDX EBX ESP EBP ESI EDI (x86 encoding order). */
    public void setReg(int index, int value) {
        throw new UnsupportedOperationException(MSG);
    }

    public int reg(int index) {
        throw new UnsupportedOperationException(MSG);
    }

    public void setEflags(int value) {
        throw new UnsupportedOperationException(MSG);
    }

    public int eflags() {
        throw new UnsupportedOperationException(MSG);
    }

    public int eip() {
        throw new UnsupportedOperationException(MSG);
    }

    /** Runs from eip until a HLT instruction executes (returns -1; eip is then after the HLT), or an exception
     *  is raised (returns its vector, eip = the faulting instruction), or maxInstructions retire (returns -2). */
    public int run(int eip, long maxInstructions) {
        throw new UnsupportedOperationException(MSG);
    }
}
