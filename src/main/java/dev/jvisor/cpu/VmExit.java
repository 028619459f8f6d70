package dev.jvisor.cpu;

/**
 * The exit information of the last VM exit, as the VMCS exit fields hold it (SDM Vol. 3C, 27.2).
 * One instance per vCPU, reused: no allocation on the exit path.
 *
 * <p>For IO_INSTRUCTION, {@link #qualification} has the SDM layout (Table 27-5): bits 2:0 size-1,
 * bit 3 direction (1 = IN), bit 4 string, bit 5 REP, bit 6 immediate operand, bits 31:16 port.
 * The handler reads {@link #data} for OUT and stores the value for IN into {@link #data}.
 * For EPT_VIOLATION (our MMIO), {@link #guestPhysical} is the address, bit 0/1/2 of the
 * qualification read/write/fetch (Table 27-7), {@link #size} the access size, {@link #data} the
 * value written or to be returned. For CR_ACCESS the qualification is Table 27-3.
 */
public final class VmExit {
    public ExitReason reason;
    public long qualification;
    public long guestPhysical;
    public int guestLinear;
    public long data;
    public int size;
    /** Length of the instruction that caused the exit (VM-exit instruction length). */
    public int instructionLength;
    /** For EXCEPTION_NMI: vector and error code (VM-exit interruption information). */
    public int vector;
    public int errorCode;

    public boolean ioIn() { return (qualification & 8) != 0; }
    public int ioPort() { return (int) (qualification >>> 16) & 0xffff; }
    public int ioSize() { return (int) (qualification & 7) + 1; }
    public boolean ioString() { return (qualification & 16) != 0; }
    public boolean mmioWrite() { return (qualification & 2) != 0; }

    /** CR_ACCESS: the control register number. */
    public int crNumber() { return (int) (qualification & 15); }
    /** CR_ACCESS: 0 = MOV to CR, 1 = MOV from CR, 2 = CLTS, 3 = LMSW. */
    public int crAccessType() { return (int) (qualification >>> 4) & 3; }
    /** CR_ACCESS: the general-purpose register operand (0 = EAX ... 7 = EDI). */
    public int crGpr() { return (int) (qualification >>> 8) & 15; }
}
