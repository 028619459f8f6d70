#!/usr/bin/env python3
"""The same guest workloads under full virtualization (IDE disk, PIT/TSC timekeeping) and under
para-virtualization (--pv: virtio-blk, kvm-clock, the local APIC's TSC-deadline timer with PV EOI),
on jvisor, phase by phase, with VM exits.

Phases (Debian's kernel + busybox, --icount; the same init script in both modes):
  boot   jvisor start until /init has loaded the modules (host time only: the guest clocks start
         at different points — kvm-clock early, the TSC after the PIT calibration it needs)
  write  64 MiB from a RAM file to the disk, O_DIRECT (dd oflag=direct), then sync
  read   the 64 MiB back from the disk into a RAM file, O_DIRECT
  md5    md5sum of what was read, checked against the data written (pure guest CPU: a control,
         it should cost the same in both modes)
  timer  2000 x `read -t 0.001` on an empty fifo: poll() with a 1 ms timeout, a shell builtin,
         so no fork — timer programming, timer interrupts, clock reads and idle
The test data is generated before the timed phases. O_DIRECT keeps the guest page cache out of
the disk phases, so they measure the disk path (driver, device, exits), not memcpy.

Per phase it prints host wall seconds (what a user waits), host CPU seconds of the jvisor process
(all its threads; less disturbed by other load on the machine than wall time) and guest busy
seconds (uptime minus idle; with --icount one guest instruction is one nanosecond, so this is
the guest's instruction count / 1e9 and does not depend on host load; /proc/uptime gives it to
10 ms, and idle and uptime come from different guest clocks, so for the mostly idle timer phase it
is only "close to 0"). The md5 phase is identical guest work in both modes: its pv/full ratio,
printed run by run, shows the host noise of the run. With --runs N the modes are run interleaved
(full, pv, full, pv, ...); medians are printed with the min-max of the runs beside them. On a
2-core machine shared with other builds, differences below the md5 control's spread are noise.

What the timer phase costs (counts: deterministic with --icount; subtract a --timer 0 run from a
--timer 2000 run, --json; docs/ARCHITECTURE.md has the full analysis). Full virtualization programs
the PIT in one-shot mode through the 8259 (the legacy PC has no local APIC): per iteration ~36,300
guest instructions (the busybox shell's loop is a large part), 1.24 timer interrupts and HLTs, and
12.9 port exits (four PIC accesses per IRQ0, two PIT count writes and four port 0x80 delays per
reprogramming). Under --pv the guest ticks with the local APIC's TSC-deadline timer: one WRMSR
arms it, the interrupt is injected from the timer, PV EOI acknowledges it without an exit, so an
iteration is 1.24 HLTs and 1.97 WRMSRs (3.2 exits). kvm-clock still costs pv ~650 more guest
instructions per iteration than full, because a 32-bit guest cannot read kvm-clock in the vDSO
(clock_gettime becomes a system call); --invtsc adds a third mode with the invariant TSC
advertised, where Linux takes the TSC as clocksource (readable in the vDSO) and keeps kvm-clock
for sched_clock and the TSC frequency.

Usage: bench/pv_vs_full.py [--mib 64] [--timer 2000] [--runs 3] [--invtsc] [--buffered] [--json FILE]
  --runs:     runs per mode (default 3: about 5-6 minutes on an idle 2-core host, a run is ~50 s;
              much longer when other builds share the machine)
  --buffered: plain dd through the guest page cache (caches dropped before the read)
  --invtsc:   a third mode, --pv --invtsc
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PHASES = ("write", "read", "md5", "timer")

INIT = """#!/bin/busybox sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
while read -r m; do [ -f "$m" ] && insmod "$m" >/dev/null 2>&1; done </lib/modules/jvisor.load
DEV=/dev/sda; [ -e /dev/vda ] && DEV=/dev/vda
mark() { echo "bench: $1 $(cat /proc/uptime)"; }
mark boot
echo "bench: setup clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) disk=$DEV"
yes jvisor-bench | head -c %(bytes)d > /tmp/data
want=$(md5sum < /tmp/data)
mark write0
dd if=/tmp/data of=$DEV bs=65536 %(oflag)s 2>/dev/null; sync
mark write1
rm /tmp/data
echo 3 > /proc/sys/vm/drop_caches
mark read0
dd if=$DEV of=/tmp/back bs=65536 count=%(blocks)d %(iflag)s 2>/dev/null
mark read1
mark md50
got=$(md5sum < /tmp/back)
mark md51
[ "$got" = "$want" ] && echo "bench: check ok" || echo "bench: check MISMATCH $got $want"
rm /tmp/back
mkfifo /tmp/fifo; exec 3<>/tmp/fifo
mark timer0
i=0; while [ $i -lt %(timer)d ]; do read -t 0.001 -u 3 x; i=$((i+1)); done
mark timer1
poweroff -f
"""


def cpu_seconds(pid):
    """utime + stime of a process (all threads), from /proc/PID/stat."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


MODES = {"full": [], "pv": ["--pv"], "pv+invtsc": ["--pv", "--invtsc"]}


def run(kernel, initrd, image, mode, stats):
    pv = mode != "full"
    cmd = [os.path.join(ROOT, "jvisor"), "run", "--kernel", kernel, "--initrd", initrd, "--icount", "--mem", "256M",
           "--append", "console=ttyS0 pci=conf1 noapic acpi=off i8042.noaux tsc=reliable panic=-1 quiet"
           " cryptomgr.notests noisapnp",
           "--drive", "file=%s,if=%s" % (image, "virtio" if pv else "ide"), "--stats-json", stats]
    cmd += MODES[mode]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                         errors="replace")
    marks, lines, info = {}, [], {}
    for line in p.stdout:
        lines.append(line.rstrip())
        if not line.startswith("bench: "):
            continue
        words = line.split()[1:]
        if words[0] == "setup":
            info.update(w.split("=", 1) for w in words[1:])
        elif words[0] == "check":
            info["check"] = " ".join(words[1:])
        elif len(words) == 3:  # name uptime idle
            marks[words[0]] = {"wall": time.monotonic() - t0, "cpu": cpu_seconds(p.pid),
                               "guest": float(words[1]) - float(words[2])}
    p.wait()
    if "timer1" not in marks:
        sys.exit("run (%s) did not finish:\n%s" % (mode, "\n".join(lines[-30:])))
    if info.get("check") != "ok":
        sys.exit("run (%s): data read back differs from data written: %s" % (mode, info.get("check")))
    with open(stats) as f:
        st = json.load(f)
    res = {"boot": {"wall": marks["boot"]["wall"], "cpu": marks["boot"]["cpu"], "guest": None}}
    for ph in PHASES:
        a, b = marks[ph + "0"], marks[ph + "1"]
        res[ph] = {k: b[k] - a[k] for k in ("wall", "cpu", "guest")}
    return res, st, info


def exit_groups(st):
    """Exit counts of the whole run, by reason and for the ports that matter here."""
    ports = st.get("ports", {})

    def port_sum(lo, hi):
        return sum(v["count"] for k, v in ports.items() if lo <= int(k, 16) <= hi)

    g = {r: v["count"] for r, v in st["exits"].items()}
    g["  IDE task file + BM ports"] = port_sum(0x1f0, 0x1f7) + port_sum(0x170, 0x177) + port_sum(0x3f6, 0x3f6) \
        + port_sum(0x376, 0x376) + port_sum(0xc000, 0xc00f)
    g["  PIC ports"] = port_sum(0x20, 0x21) + port_sum(0xa0, 0xa1)
    g["  PIT ports 0x40-0x43"] = port_sum(0x40, 0x43)
    g["  port 0x61 (PIT gate/out)"] = port_sum(0x61, 0x61)
    g["  port 0x80 (I/O delay)"] = port_sum(0x80, 0x80)
    g["total"] = sum(v["count"] for v in st["exits"].values())
    return g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--timer", type=int, default=2000, help="iterations of the 1 ms timer loop")
    ap.add_argument("--runs", type=int, default=3, help="runs per mode, interleaved; medians are printed (default 3)")
    ap.add_argument("--buffered", action="store_true", help="dd through the guest page cache instead of O_DIRECT")
    ap.add_argument("--invtsc", action="store_true", help="a third mode: --pv --invtsc (the guest's clocksource becomes the TSC)")
    ap.add_argument("--json", help="also write every run's numbers here")
    a = ap.parse_args()
    modes = ["full", "pv"] + (["pv+invtsc"] if a.invtsc else [])
    tmp = tempfile.mkdtemp(prefix="jvisor-pvbench.")
    init = os.path.join(tmp, "init")
    with open(init, "w") as f:
        f.write(INIT % {"bytes": a.mib << 20, "blocks": (a.mib << 20) // 65536, "timer": a.timer,
                        "oflag": "" if a.buffered else "oflag=direct", "iflag": "" if a.buffered else "iflag=direct"})
    initrd = os.path.join(tmp, "initrd.cpio.gz")
    kernel = subprocess.check_output([os.path.join(ROOT, "jvisor"), "guest", "--initramfs", initrd, "--init", init],
                                     text=True).strip().splitlines()[-1]
    runs = {m: [] for m in modes}
    t_start = time.monotonic()
    for i in range(a.runs):
        for mode in modes:
            image = os.path.join(tmp, "disk-%s.img" % mode)
            with open(image, "wb") as f:
                f.truncate((a.mib + 8) << 20)
            r = run(kernel, initrd, image, mode, os.path.join(tmp, "stats-%s.json" % mode))
            os.unlink(image)
            runs[mode].append(r)
            print("run %d %-9s %s" % (i + 1, mode, "  ".join(
                "%s %.2f/%.2f" % (ph, r[0][ph]["wall"], r[0][ph]["cpu"]) for ph in ("boot",) + PHASES)),
                file=sys.stderr, flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(runs, f, indent=1)

    def vals(mode, ph, k):
        return [r[0][ph][k] for r in runs[mode] if r[0][ph][k] is not None]

    def med(mode, ph, k):
        v = vals(mode, ph, k)
        return statistics.median(v) if v else None

    def spread(mode, ph, k):
        v = vals(mode, ph, k)
        return "" if len(v) < 2 else "%.2f-%.2f" % (min(v), max(v))

    n = a.runs
    print("%s, %d MiB, %d timer iterations, %s of %d run%s per mode (interleaved), %.0f s in all" % (
        "buffered I/O" if a.buffered else "O_DIRECT I/O", a.mib, a.timer, "median" if n > 1 else "one",
        n, "s" if n > 1 else "", time.monotonic() - t_start))
    for mode in modes:
        info = runs[mode][0][2]
        print("  %-9s: clocksource %s, disk %s" % (mode, info.get("clocksource"), info.get("disk")))
    print("\n%-6s %-9s %10s %11s %10s %11s %10s %10s" % ("phase", "mode", "host wall", "(min-max)", "host CPU",
                                                        "(min-max)", "guest busy", "x/full"))
    for ph in ("boot",) + PHASES:
        for mode in modes:
            w, c, g = med(mode, ph, "wall"), med(mode, ph, "cpu"), med(mode, ph, "guest")
            ratio = ""
            if mode != "full":
                fw, fc = med("full", ph, "wall"), med("full", ph, "cpu")
                ratio = "%.2f/%.2f" % (w / fw if fw else float("nan"), c / fc if fc else float("nan"))
            print("%-6s %-9s %9.2fs %11s %9.2fs %11s %10s %10s" % (ph if mode == "full" else "", mode, w,
                  spread(mode, ph, "wall"), c, spread(mode, ph, "cpu"), "-" if g is None else "%.2fs" % g, ratio))
    print("(x/full: host wall / host CPU ratio of the medians; guest busy = guest instructions / 1e9, to the 10 ms of"
          " /proc/uptime: near 0 for the mostly idle timer phase)")
    print("\nnoise: the md5 phase is the same guest work in every mode; its ratio to full, run by run (wall/CPU):")
    for mode in modes[1:]:
        print("  %-9s %s" % (mode, "  ".join("%.2f/%.2f" % (p[0]["md5"]["wall"] / f[0]["md5"]["wall"],
                                                           p[0]["md5"]["cpu"] / f[0]["md5"]["cpu"])
                                             for f, p in zip(runs["full"], runs[mode]))))
    if a.timer > 0:  # --timer 0 is the baseline run for per-iteration exit counts (subtracted from a real run)
        print("timer phase per iteration (median): " + ", ".join(
            "%s %.0f us wall / %.0f us CPU" % (m, med(m, "timer", "wall") / a.timer * 1e6, med(m, "timer", "cpu") / a.timer * 1e6)
            for m in modes))

    print("\nVM exits, whole run (boot + all phases)%s" % (", median" if n > 1 else ""))
    groups = [[exit_groups(r[1]) for r in runs[m]] for m in modes]
    keys = sorted(set().union(*[set(g) for gs in groups for g in gs]) - {"total"},
                  key=lambda k: (k.startswith(" "), k))
    keys = [k for k in keys if not k.startswith(" ")] + [k for k in keys if k.startswith(" ")] + ["total"]
    print("%-28s" % "reason" + "".join("%12s" % m for m in modes))
    for k in keys:
        print("%-28s" % k + "".join("%12d" % statistics.median([g.get(k, 0) for g in gs]) for gs in groups))
    instr = [statistics.median([r[1].get("instructions", 0) for r in runs[m]]) for m in modes]
    print("%-28s" % "guest instructions" + "".join("%12d" % v for v in instr))


if __name__ == "__main__":
    main()
