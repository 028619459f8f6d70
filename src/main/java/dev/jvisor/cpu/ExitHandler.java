package dev.jvisor.cpu;

/**
 * The hypervisor side of the seam (DESIGN.md section 2). Called on the vCPU thread at each VM exit
 * with the exit record filled in. Returning is VM entry: the CPU completes the exiting instruction
 * with what the handler left (IN data, MMIO read data, registers for CPUID/RDMSR) and resumes the
 * guest, first delivering any event the handler injected. A handler may throw {@link CpuFault} to
 * make the instruction fault in the guest (e.g. #GP for a refused WRMSR), and may call
 * {@link Vcpu#requestStop()} to end {@link Vcpu#run()} after the instruction.
 */
@FunctionalInterface
public interface ExitHandler {
    void onExit(Vcpu vcpu, VmExit exit);
}
