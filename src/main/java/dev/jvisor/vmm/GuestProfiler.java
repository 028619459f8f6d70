package dev.jvisor.vmm;

import dev.jvisor.cpu.Vcpu;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Statistical profile of where the guest spends host time: a daemon thread samples the vCPU's EIP
 * (and whether it sits in HLT) at a fixed host interval. The vCPU fields are read without
 * synchronisation, which is fine for sampling: a torn or stale EIP lands in a neighbouring bucket.
 * The report lists "samples eip ring" lines, most frequent first; bench/guest_profile.py folds them
 * into functions with a System.map.
 */
public final class GuestProfiler implements AutoCloseable {
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long IDLE = -1;
    private final Vcpu vcpu;
    private final Map<Long, long[]> counts = new HashMap<>();
    /** Folded call stacks (EBP chain, innermost last) when stacks are on: "eip;ret1;ret2" -> samples. */
    private final Map<String, long[]> stacks = new HashMap<>();
    private final boolean withStacks;
    private final Thread thread;
    private volatile boolean running = true;
    private long samples;

    public GuestProfiler(Vcpu vcpu, long intervalMicros, boolean withStacks) {
        this.vcpu = vcpu;
        this.withStacks = withStacks;
        this.thread = new Thread(() -> loop(intervalMicros * 1000), "jvisor-profiler");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(long intervalNanos) {
        while (running) {
            java.util.concurrent.locks.LockSupport.parkNanos(intervalNanos);
            long key = vcpu.isHalted() ? IDLE : ((long) vcpu.cpl << 32) | (vcpu.eip & 0xFFFFFFFFL);
            String stack = withStacks && key != IDLE && vcpu.cpl == 0 ? stack(vcpu.eip, vcpu.reg[Vcpu.EBP]) : null;
            synchronized (counts) {
                counts.computeIfAbsent(key, k -> new long[1])[0]++;
                if (stack != null) {
                    stacks.computeIfAbsent(stack, k -> new long[1])[0]++;
                }
                samples++;
            }
        }
    }

    /** Return addresses along the frame-pointer chain (a kernel built with frame pointers), outermost first. */
    private String stack(int eip, int ebp) {
        StringBuilder sb = new StringBuilder(String.format("%08x", eip));
        for (int depth = 0; depth < 12 && ebp != 0; depth++) {
            long ret = readLinear32(ebp + 4);
            long next = readLinear32(ebp);
            if (ret < 0 || next < 0) {
                break;
            }
            sb.insert(0, String.format("%08x;", ret));
            if (Integer.compareUnsigned((int) next, ebp) <= 0) {
                break;
            }
            ebp = (int) next;
        }
        return sb.toString();
    }

    /** A dword at a linear address through the guest's page tables without touching A/D bits; -1 if unmapped. */
    private long readLinear32(int lin) {
        MemorySegment ram = vcpu.ram();
        long pa = lin & 0xFFFFFFFFL;
        if ((vcpu.cr0 & Vcpu.CR0_PG) != 0) {
            long pde = ramDword(ram, (vcpu.cr3 & 0xFFFFF000L) + ((pa >>> 22) << 2));
            if (pde < 0 || (pde & 1) == 0) {
                return -1;
            }
            if ((pde & 0x80) != 0 && (vcpu.cr4 & Vcpu.CR4_PSE) != 0) {
                pa = (pde & 0xFFC00000L) | (pa & 0x3FFFFF);
            } else {
                long pte = ramDword(ram, (pde & 0xFFFFF000L) + (((pa >>> 12) & 0x3FF) << 2));
                if (pte < 0 || (pte & 1) == 0) {
                    return -1;
                }
                pa = (pte & 0xFFFFF000L) | (pa & 0xFFF);
            }
        }
        return ramDword(ram, pa);
    }

    private long ramDword(MemorySegment ram, long pa) {
        if (pa < 0 || pa + 4 > vcpu.ramSize()) {
            return -1;
        }
        return ram.get(LE32, pa) & 0xFFFFFFFFL;
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes "samples eip ring" lines, most frequent first; HLT idle is the line "samples idle -". */
    public void write(Path file) throws IOException {
        close();
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            w.println("# jvisor guest profile: " + samples + " samples");
            counts.entrySet().stream()
                    .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> {
                        long k = e.getKey();
                        if (k == IDLE) {
                            w.println(e.getValue()[0] + " idle -");
                        } else {
                            w.printf("%d 0x%08x %d%n", e.getValue()[0], k & 0xFFFFFFFFL, k >>> 32);
                        }
                    });
            if (withStacks) {
                w.println("# stacks (outermost first)");
                stacks.entrySet().stream()
                        .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                        .forEach(e -> w.println(e.getValue()[0] + " stack " + e.getKey()));
            }
        }
    }
}
