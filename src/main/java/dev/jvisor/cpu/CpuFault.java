package dev.jvisor.cpu;

/**
 * A guest-visible processor exception raised while executing an instruction (SDM Vol. 3A, 6.15).
 * Thrown from deep inside instruction execution (memory access, privilege checks) and caught at the
 * instruction boundary, where the CPU rolls EIP back to the faulting instruction (faults) and
 * delivers the exception through the IDT. Never escapes {@link Vcpu#run()}.
 * No stack trace: faults are part of normal guest operation (page faults) and must be cheap.
 */
public final class CpuFault extends RuntimeException {
    public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
            TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;

    public final int vector;
    public final int errorCode;
    public final boolean hasErrorCode;

    private CpuFault(int vector, int errorCode, boolean hasErrorCode) {
        super(null, null, false, false);
        this.vector = vector;
        this.errorCode = errorCode;
        this.hasErrorCode = hasErrorCode;
    }

    public static CpuFault of(int vector) {
        return new CpuFault(vector, 0, false);
    }

    public static CpuFault withError(int vector, int errorCode) {
        return new CpuFault(vector, errorCode, true);
    }

    public static CpuFault gp(int errorCode) { return withError(GP, errorCode); }
    public static CpuFault ud() { return of(UD); }

    @Override
    public String getMessage() {
        return "exception " + vector + (hasErrorCode ? " error 0x" + Integer.toHexString(errorCode) : "");
    }
}
