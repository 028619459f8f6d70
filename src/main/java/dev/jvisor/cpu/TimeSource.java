package dev.jvisor.cpu;

/**
 * Where the CPU's time stamp counter comes from: the machine's virtual clock (DESIGN.md section 5).
 * The CPU adds IA32_TSC offset writes itself; the source just counts up.
 */
@FunctionalInterface
public interface TimeSource {
    long tsc(Vcpu vcpu);
}
