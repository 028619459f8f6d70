package dev.jvisor.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A bare CPU for instruction tests: 32-bit flat protected mode (all segments base 0, limit 4 GiB),
 * CPL 0, paging off, no IDT. Every exception is intercepted through the exception bitmap (a VM
 * exit), which stops the run and reports the vector; HLT exits and stops the run too.
 */
public final class TestCpu {
    private final Vcpu cpu;
    private int stopVector;
    /** Handles the exits other than exceptions, HLT and the preemption timer (null: they are test failures). */
    public java.util.function.BiConsumer<Vcpu, VmExit> otherExits;

    public TestCpu(int ramSize) {
        this(ramSize, "interp", 0);
    }

    /** A test CPU on the given engine ("interp" or "bt"); for bt, blocks translate after btThreshold executions. */
    public TestCpu(int ramSize, String accel, int btThreshold) {
        // native RAM, as the VMM gives it (the accessors and the translator use their raw paths for it)
        cpu = new Vcpu(Arena.ofAuto().allocate(ramSize, 4096), ramSize, ramSize, this::onExit);
        cpu.setAccel(accel);
        cpu.setBtThreshold(btThreshold);
        cpu.controls.exceptionBitmap = -1;
        cpu.writeCr(0, Vcpu.CR0_PE | Vcpu.CR0_ET);
        cpu.setSegment(Segment.CS, 0x08, 0, -1, 0xc09b);
        for (int s : new int[] {Segment.ES, Segment.SS, Segment.DS, Segment.FS, Segment.GS}) {
            cpu.setSegment(s, 0x10, 0, -1, 0xc093);
        }
        cpu.updateCpl();
    }

    private void onExit(Vcpu v, VmExit x) {
        switch (x.reason) {
            case EXCEPTION_NMI -> {
                stopVector = x.vector;
                v.requestStop();
            }
            case HLT -> {
                stopVector = -1;
                v.halted = false;
                v.requestStop();
            }
            case PREEMPTION_TIMER -> {
                stopVector = -2;
                v.requestStop();
            }
            default -> {
                if (otherExits == null) {
                    throw new IllegalStateException("unexpected exit " + x.reason);
                }
                otherExits.accept(v, x);
            }
        }
    }

    /** Instructions executed in translated code so far (bt engine). */
    public long translatedInstructions() {
        return cpu.bt == null ? 0 : cpu.bt.btInsns;
    }

    public long translationFailures() {
        return cpu.btTranslationFailures();
    }

    public Vcpu vcpu() {
        return cpu;
    }

    public void write(int addr, byte[] bytes) {
        MemorySegment.copy(bytes, 0, cpu.ram, ValueLayout.JAVA_BYTE, addr, bytes.length);
        cpu.invalidateCode(addr, bytes.length);
    }

    /** Where {@link #identityPaging} puts the page directory and its one page table. */
    public static final int PAGE_DIRECTORY = 0x1000, PAGE_TABLE = 0x2000;

    /**
     * Turns paging on: a page directory and one page table (at PAGE_DIRECTORY, PAGE_TABLE) that map the first
     * 4 MiB to themselves, user and writable, the given pages supervisor-only; the guest's INVLPG and CR3 loads
     * run natively (no exit); ESP 0x9000. RAM must hold at least 4 MiB. Returns this CPU.
     */
    public TestCpu identityPaging(int... supervisorPages) {
        write(PAGE_DIRECTORY, le(PAGE_TABLE | 7));
        for (int p = 0; p < 1024; p++) {
            write(PAGE_TABLE + 4 * p, le((p << 12) | 7));
        }
        for (int p : supervisorPages) {
            write(PAGE_TABLE + 4 * p, le((p << 12) | 3));
        }
        cpu.controls.invlpgExiting = false;
        cpu.controls.cr3LoadExiting = false;
        cpu.writeCr(3, PAGE_DIRECTORY);
        cpu.writeCr(0, Vcpu.CR0_PE | Vcpu.CR0_ET | Vcpu.CR0_PG);
        setReg(Vcpu.ESP, 0x9000);
        return this;
    }

    /** v as four little-endian bytes. */
    public static byte[] le(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }

    public byte[] read(int addr, int len) {
        byte[] b = new byte[len];
        MemorySegment.copy(cpu.ram, ValueLayout.JAVA_BYTE, addr, b, 0, len);
        return b;
    }

    public void setReg(int index, int value) {
        cpu.reg[index] = value;
    }

    public int reg(int index) {
        return cpu.reg[index];
    }

    public void setEflags(int value) {
        cpu.setEflags(value);
    }

    public int eflags() {
        return cpu.getEflags();
    }

    public int eip() {
        return cpu.eip;
    }

    /** Runs from eip until HLT (-1, eip after the HLT), an exception (its vector, eip at the instruction) or maxInstructions (-2). */
    public int run(int eip, long maxInstructions) {
        cpu.eip = eip;
        stopVector = -2;
        cpu.setPreemptionDeadline(cpu.icount + maxInstructions);
        cpu.run();
        return stopVector;
    }
}
