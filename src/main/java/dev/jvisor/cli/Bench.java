package dev.jvisor.cli;

import dev.jvisor.cpu.ExitReason;
import dev.jvisor.cpu.Segment;
import dev.jvisor.cpu.Vcpu;
import dev.jvisor.cpu.VmExit;
import dev.jvisor.vmm.AnonymousMemory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench}: the interpreter's speed in MIPS on a fixed integer workload (a small
 * Dhrystone-like loop) in 32-bit protected mode with paging on, at CPL 3: ALU operations, IMUL,
 * loads and stores through the TLB (an array and the stack), CALL/RET with a stack frame, PUSH/POP,
 * a taken/not-taken conditional branch and a REP MOVSD copy. Any exception stops the benchmark
 * (they are all intercepted), and the workload's result is checked against {@link #model}.
 *
 * <p>It runs on the bare {@link Vcpu} with the preemption timer as the only exit, so the figure is
 * the interpreter's own (no devices). After warm-up runs (JIT), it measures several runs of N
 * instructions and prints each and the median. A REP MOVSD of 16 elements retires as one
 * instruction, as on hardware.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the CPU interpreter in MIPS on a fixed paging-on integer workload.")
public final class Bench implements Callable<Integer> {
    @Option(names = "--instructions", paramLabel = "N", defaultValue = "200000000", description = "instructions per measured run (default 200M)")
    long instructions;
    @Option(names = "--runs", paramLabel = "N", defaultValue = "7", description = "measured runs (default 7)")
    int runs;
    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "warm-up runs of the same length (default 3)")
    int warmup;
    @Option(names = "--accel", paramLabel = "ENGINE", defaultValue = "interp", split = ",",
            description = "execution engine: interp (default) or bt; a list (interp,bt) measures each in turn")
    List<String> accels;
    @Option(names = "--stats", description = "print the binary translator's statistics at the end")
    boolean stats;

    static final int RAM = 8 << 20;
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int CODE = 0x100000, ARR = 0x200000, SRC = 0x201000, DST = 0x202000, RESULT = 0x203000,
            COUNTER = 0x203004, STACK = 0x300000, PD = 0x1000, PT = 0x2000;
    static final int N = 64, COPY = 16;

    @Override
    public Integer call() {
        for (String accel : accels) {
            if (!accel.equals("interp") && !accel.equals("bt")) {
                System.err.println("jvisor: --accel " + accel + ": unknown engine (available: interp, bt)");
                return 1;
            }
        }
        for (String accel : accels) {
            int status = measure(accel);
            if (status != 0) {
                return status;
            }
        }
        return 0;
    }

    private int measure(String accel) {
        PrintStream out = System.out;
        Workload w = new Workload(accel);
        out.printf(Locale.ROOT, "jvisor bench: %s, paging on, CPL 3; %d warm-up + %d runs of %,d instructions%n",
                accel.equals("bt") ? "binary translator" : "interpreter", warmup, runs, instructions);
        for (int i = 0; i < warmup; i++) {
            double mips = w.run(instructions);
            out.printf(Locale.ROOT, "  warm-up %d: %.1f MIPS%n", i + 1, mips);
        }
        double[] m = new double[runs];
        for (int i = 0; i < runs; i++) {
            m[i] = w.run(instructions);
            out.printf(Locale.ROOT, "  run %d: %.1f MIPS%n", i + 1, m[i]);
        }
        String check = w.check();
        if (check != null) {
            System.err.println("jvisor bench: wrong result: " + check);
            return 2;
        }
        double[] sorted = m.clone();
        Arrays.sort(sorted);
        out.printf(Locale.ROOT, "instructions retired: %,d (%,d loop iterations, result verified)%n", w.vcpu.icount, w.iterations());
        out.printf(Locale.ROOT, "MIPS (median of %d): %.1f  [min %.1f, max %.1f]%n", runs, sorted[runs / 2], sorted[0], sorted[runs - 1]);
        if (stats) {
            out.print(w.vcpu.btStats());
        }
        return 0;
    }

    /** The guest: memory, page tables, code, and a vCPU at its entry point. */
    static final class Workload {
        /** Host memory of the same kind as a VM's guest RAM, so the MIPS measure the same access path. */
        final MemorySegment ram = AnonymousMemory.allocate(RAM);
        final Vcpu vcpu;
        private String fault;

        Workload() {
            this("interp");
        }

        Workload(String accel) {
            vcpu = new Vcpu(ram, RAM, RAM, this::onExit);
            vcpu.setAccel(accel);
            vcpu.controls.exceptionBitmap = -1; // any exception is a bug in the workload or the CPU
            // identity map of the first 8 MiB with 4 KiB user pages (two page tables)
            for (int t = 0; t < 2; t++) {
                le32(PD + t * 4, (PT + t * 0x1000) | 7);
                for (int i = 0; i < 1024; i++) {
                    le32(PT + t * 0x1000 + i * 4, ((t << 22) | (i << 12)) | 7);
                }
            }
            for (int i = 0; i < N; i++) {
                le32(ARR + 4 * i, i * 0x9e3779b9);
            }
            for (int i = 0; i < COPY; i++) {
                le32(SRC + 4 * i, i * 0x01010101);
            }
            byte[] code = code();
            MemorySegment.copy(code, 0, ram, ValueLayout.JAVA_BYTE, CODE, code.length);
            vcpu.writeCr(0, Vcpu.CR0_PE | Vcpu.CR0_ET | Vcpu.CR0_NE);
            vcpu.writeCr(4, 0);
            vcpu.writeCr(3, PD);
            vcpu.writeCr(0, Vcpu.CR0_PE | Vcpu.CR0_ET | Vcpu.CR0_NE | Vcpu.CR0_WP | Vcpu.CR0_PG);
            vcpu.setSegment(Segment.CS, 0x1b, 0, -1, 0xc0fb);
            for (int s : new int[] {Segment.ES, Segment.SS, Segment.DS, Segment.FS, Segment.GS}) {
                vcpu.setSegment(s, 0x23, 0, -1, 0xc0f3);
            }
            vcpu.setEflags(2);
            vcpu.eip = CODE;
            vcpu.reg[Vcpu.ESP] = STACK;
        }

        private void onExit(Vcpu v, VmExit x) {
            if (x.reason != ExitReason.PREEMPTION_TIMER) {
                fault = x.reason == ExitReason.EXCEPTION_NMI ? "exception " + x.vector + " at " + Integer.toHexString(v.eip)
                        : "exit " + x.reason;
            }
            v.requestStop();
        }

        /** Runs n more instructions; returns MIPS. */
        double run(long n) {
            long start = vcpu.icount;
            vcpu.setPreemptionDeadline(start + n);
            long t0 = System.nanoTime();
            vcpu.run();
            long t1 = System.nanoTime();
            if (fault != null) {
                throw new IllegalStateException("benchmark workload stopped: " + fault);
            }
            return (vcpu.icount - start) * 1e3 / (t1 - t0);
        }

        int iterations() {
            return le32(COUNTER);
        }

        /**
         * Steps to the head of the outer loop, then compares the guest's memory with the Java model
         * after the same number of iterations. Null when they match, else what differs.
         */
        String check() {
            while (vcpu.eip != CODE) {
                run(1);
            }
            int done = iterations();
            int[] arr = new int[N];
            int[] src = new int[COPY];
            int[] dst = new int[COPY];
            for (int i = 0; i < N; i++) {
                arr[i] = i * 0x9e3779b9;
            }
            for (int i = 0; i < COPY; i++) {
                src[i] = i * 0x01010101;
            }
            int result = 0;
            for (int k = 0; k < done; k++) {
                result = model(arr, src, dst);
            }
            if (le32(RESULT) != result) {
                return "result " + Integer.toHexString(le32(RESULT)) + ", expected " + Integer.toHexString(result) + " after " + done;
            }
            for (int i = 0; i < N; i++) {
                if (le32(ARR + 4 * i) != arr[i]) {
                    return "arr[" + i + "] after " + done;
                }
            }
            for (int i = 0; i < COPY; i++) {
                if (le32(DST + 4 * i) != dst[i] || le32(SRC + 4 * i) != src[i]) {
                    return "src/dst[" + i + "] after " + done;
                }
            }
            return null;
        }

        private int le32(int a) {
            return ram.get(LE32, a);
        }

        private void le32(int a, int v) {
            ram.set(LE32, a, v);
        }
    }

    /** One iteration of the workload's outer loop, in Java: what the guest code computes. */
    static int model(int[] arr, int[] src, int[] dst) {
        System.arraycopy(src, 0, dst, 0, COPY);
        int eax = 0;
        for (int ecx = N; ecx != 0; ecx--) {
            int edx = arr[ecx - 1];
            eax += edx;
            edx = edx * 3;
            edx ^= ecx;
            arr[ecx - 1] = edx;
            if ((edx & 1) != 0) {
                eax += 7;
            }
            eax ^= eax << 3; // func
        }
        src[0] ^= eax;
        return eax;
    }

    /** The guest code (hand-assembled; labels resolved below). */
    static byte[] code() {
        Asm a = new Asm();
        a.label("outer");
        a.b(0xbe).d(SRC);                  // mov esi, SRC
        a.b(0xbf).d(DST);                  // mov edi, DST
        a.b(0xb9).d(COPY);                 // mov ecx, 16
        a.b(0xfc);                         // cld
        a.b(0xf3, 0xa5);                   // rep movsd
        a.b(0x31, 0xc0);                   // xor eax, eax
        a.b(0xbb).d(ARR);                  // mov ebx, ARR
        a.b(0xb9).d(N);                    // mov ecx, 64
        a.label("inner");
        a.b(0x8b, 0x54, 0x8b, 0xfc);       // mov edx, [ebx+ecx*4-4]
        a.b(0x01, 0xd0);                   // add eax, edx
        a.b(0x6b, 0xd2, 0x03);             // imul edx, edx, 3
        a.b(0x31, 0xca);                   // xor edx, ecx
        a.b(0x89, 0x54, 0x8b, 0xfc);       // mov [ebx+ecx*4-4], edx
        a.b(0xf6, 0xc2, 0x01);             // test dl, 1
        a.b(0x74).rel8("skip");            // jz skip
        a.b(0x83, 0xc0, 0x07);             // add eax, 7
        a.label("skip");
        a.b(0xe8).rel32("func");           // call func
        a.b(0x49);                         // dec ecx
        a.b(0x75).rel8("inner");           // jnz inner
        a.b(0xa3).d(RESULT);               // mov [RESULT], eax
        a.b(0x31, 0x05).d(SRC);            // xor [SRC], eax
        a.b(0xff, 0x05).d(COUNTER);        // inc dword [COUNTER]
        a.b(0xe9).rel32("outer");          // jmp outer
        a.label("func");
        a.b(0x55);                         // push ebp
        a.b(0x89, 0xe5);                   // mov ebp, esp
        a.b(0x53);                         // push ebx
        a.b(0x89, 0xc3);                   // mov ebx, eax
        a.b(0xc1, 0xe3, 0x03);             // shl ebx, 3
        a.b(0x31, 0xd8);                   // xor eax, ebx
        a.b(0x5b);                         // pop ebx
        a.b(0x5d);                         // pop ebp
        a.b(0xc3);                         // ret
        return a.bytes();
    }

    /** A tiny two-pass helper: bytes, dwords and rel8/rel32 to labels. */
    static final class Asm {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Map<String, Integer> labels = new HashMap<>();
        private final Map<Integer, String> fix8 = new HashMap<>(), fix32 = new HashMap<>();

        Asm b(int... bs) {
            for (int x : bs) {
                out.write(x);
            }
            return this;
        }

        Asm d(int v) {
            return b(v, v >>> 8, v >>> 16, v >>> 24);
        }

        void label(String name) {
            labels.put(name, out.size());
        }

        Asm rel8(String target) {
            fix8.put(out.size(), target);
            return b(0);
        }

        Asm rel32(String target) {
            fix32.put(out.size(), target);
            return d(0);
        }

        byte[] bytes() {
            byte[] b = out.toByteArray();
            fix8.forEach((at, l) -> {
                int rel = labels.get(l) - (at + 1);
                if (rel != (byte) rel) {
                    throw new IllegalStateException("rel8 out of range: " + l);
                }
                b[at] = (byte) rel;
            });
            fix32.forEach((at, l) -> {
                int rel = labels.get(l) - (at + 4);
                for (int i = 0; i < 4; i++) {
                    b[at + i] = (byte) (rel >>> (8 * i));
                }
            });
            return b;
        }
    }
}
