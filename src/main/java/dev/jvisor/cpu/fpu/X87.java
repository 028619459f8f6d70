package dev.jvisor.cpu.fpu;

import dev.jvisor.cpu.CpuFault;

/** Placeholder until the x87 unit lands: every x87 instruction raises #UD. */
public final class X87 {
    public void reset() { }
    public void execute(int opcode, int modrm, int seg, int offset, boolean operand32, int insnEip, int insnCs, FpuHost host) {
        throw CpuFault.ud();
    }
    public boolean hasPendingException() { return false; }
    public void fxsave(int seg, int offset, FpuHost host) { throw CpuFault.ud(); }
    public void fxrstor(int seg, int offset, FpuHost host) { throw CpuFault.ud(); }
}
