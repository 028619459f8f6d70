package dev.jvisor.vmm;

import dev.jvisor.cpu.ExitReason;
import java.util.Locale;

/**
 * Exits counted and timed per reason, and I/O exits per port (the cost of trap and emulate).
 * Plain arrays written only by the vCPU thread: no locks, no allocation on the exit path.
 */
public final class ExitStats {
    final long[] count = new long[64];
    final long[] nanos = new long[64];
    final long[] portCount = new long[0x10000];
    final long[] portNanos = new long[0x10000];

    void record(ExitReason r, long ns) {
        count[r.number]++;
        nanos[r.number] += ns;
    }

    void recordPort(int port, long ns) {
        portCount[port]++;
        portNanos[port] += ns;
    }

    public long count(ExitReason r) {
        return count[r.number];
    }

    public long totalNanos(ExitReason r) {
        return nanos[r.number];
    }

    public long portCount(int port) {
        return portCount[port & 0xffff];
    }

    public long total() {
        long t = 0;
        for (long c : count) {
            t += c;
        }
        return t;
    }

    /** The human-readable table printed by --stats. */
    public String table(long instructions, double seconds) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-20s %12s %12s %10s%n", "exit reason", "count", "total ms", "mean ns"));
        for (ExitReason r : ExitReason.all()) {
            long n = count[r.number];
            if (n == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%-20s %12d %12.1f %10d%n", r.name(), n, nanos[r.number] / 1e6, nanos[r.number] / n));
        }
        sb.append(String.format(Locale.ROOT, "%-20s %12d%n", "total", total()));
        sb.append(String.format(Locale.ROOT, "%nI/O exits by port:%n%-8s %12s %12s %10s%n", "port", "count", "total ms", "mean ns"));
        for (int p = 0; p < 0x10000; p++) {
            if (portCount[p] != 0) {
                sb.append(String.format(Locale.ROOT, "0x%04x   %12d %12.1f %10d%n", p, portCount[p], portNanos[p] / 1e6, portNanos[p] / portCount[p]));
            }
        }
        sb.append(String.format(Locale.ROOT, "%nguest instructions: %d in %.2f s (%.1f MIPS)%n", instructions, seconds,
                seconds > 0 ? instructions / seconds / 1e6 : 0.0));
        return sb.toString();
    }

    /** Machine-readable form for --stats-json. */
    public String json(long instructions, double seconds) {
        StringBuilder sb = new StringBuilder("{\"instructions\":").append(instructions)
                .append(",\"seconds\":").append(String.format(Locale.ROOT, "%.3f", seconds)).append(",\"exits\":{");
        boolean first = true;
        for (ExitReason r : ExitReason.all()) {
            long n = count[r.number];
            if (n == 0) {
                continue;
            }
            sb.append(first ? "" : ",").append('"').append(r.name()).append("\":{\"count\":").append(n)
                    .append(",\"nanos\":").append(nanos[r.number]).append('}');
            first = false;
        }
        sb.append("},\"ports\":{");
        first = true;
        for (int p = 0; p < 0x10000; p++) {
            if (portCount[p] != 0) {
                sb.append(first ? "" : ",").append(String.format("\"0x%04x\"", p)).append(":{\"count\":").append(portCount[p])
                        .append(",\"nanos\":").append(portNanos[p]).append('}');
                first = false;
            }
        }
        return sb.append("}}").toString();
    }
}
