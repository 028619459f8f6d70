#!/usr/bin/env python3
"""The same guest workloads under full virtualization (IDE disk, PIT/TSC timekeeping) and under
para-virtualization (--pv: virtio-blk, kvm-clock), on jvisor, phase by phase, with VM exits.

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
is only "close to 0"). The md5 phase is identical guest work in both modes: its pv/full ratio
shows the host noise of the run. With --runs N the modes
are run interleaved (full, pv, full, pv, ...) and medians are printed.

Usage: bench/pv_vs_full.py [--mib 64] [--timer 2000] [--runs 1] [--buffered] [--json FILE]
  --buffered: plain dd through the guest page cache (caches dropped before the read)
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


def run(kernel, initrd, image, pv, stats):
    cmd = [os.path.join(ROOT, "jvisor"), "run", "--kernel", kernel, "--initrd", initrd, "--icount", "--mem", "256M",
           "--append", "console=ttyS0 pci=conf1 noapic nolapic acpi=off i8042.noaux tsc=reliable panic=-1 quiet"
           " cryptomgr.notests noisapnp",
           "--drive", "file=%s,if=%s" % (image, "virtio" if pv else "ide"), "--stats-json", stats]
    if pv:
        cmd.append("--pv")
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
        sys.exit("run (pv=%s) did not finish:\n%s" % (pv, "\n".join(lines[-30:])))
    if info.get("check") != "ok":
        sys.exit("run (pv=%s): data read back differs from data written: %s" % (pv, info.get("check")))
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
    ap.add_argument("--runs", type=int, default=1, help="runs per mode, interleaved; medians are printed")
    ap.add_argument("--buffered", action="store_true", help="dd through the guest page cache instead of O_DIRECT")
    ap.add_argument("--json", help="also write every run's numbers here")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="jvisor-pvbench.")
    init = os.path.join(tmp, "init")
    with open(init, "w") as f:
        f.write(INIT % {"bytes": a.mib << 20, "blocks": (a.mib << 20) // 65536, "timer": a.timer,
                        "oflag": "" if a.buffered else "oflag=direct", "iflag": "" if a.buffered else "iflag=direct"})
    initrd = os.path.join(tmp, "initrd.cpio.gz")
    kernel = subprocess.check_output([os.path.join(ROOT, "jvisor"), "guest", "--initramfs", initrd, "--init", init],
                                     text=True).strip().splitlines()[-1]
    runs = {False: [], True: []}
    for i in range(a.runs):
        for pv in (False, True):
            image = os.path.join(tmp, "disk-%s.img" % ("pv" if pv else "full"))
            with open(image, "wb") as f:
                f.truncate((a.mib + 8) << 20)
            r = run(kernel, initrd, image, pv, os.path.join(tmp, "stats-%s.json" % pv))
            os.unlink(image)
            runs[pv].append(r)
            print("run %d %-4s %s" % (i + 1, "pv" if pv else "full", "  ".join(
                "%s %.2f/%.2f" % (ph, r[0][ph]["wall"], r[0][ph]["cpu"]) for ph in ("boot",) + PHASES)),
                file=sys.stderr, flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"full": runs[False], "pv": runs[True]}, f, indent=1)

    def med(pv, ph, k):
        vals = [r[0][ph][k] for r in runs[pv] if r[0][ph][k] is not None]
        return statistics.median(vals) if vals else None

    n = a.runs
    print("%s, %d MiB, %d timer iterations, %s of %d run%s per mode (interleaved)" % (
        "buffered I/O" if a.buffered else "O_DIRECT I/O", a.mib, a.timer, "median" if n > 1 else "one",
        n, "s" if n > 1 else ""))
    for pv in (False, True):
        info = runs[pv][0][2]
        print("  %-4s: clocksource %s, disk %s" % ("pv" if pv else "full", info.get("clocksource"), info.get("disk")))
    print("\n%-6s %-6s %10s %10s %10s %9s" % ("phase", "mode", "host wall", "host CPU", "guest busy", "pv/full"))
    for ph in ("boot",) + PHASES:
        for pv in (False, True):
            w, c, g = med(pv, ph, "wall"), med(pv, ph, "cpu"), med(pv, ph, "guest")
            ratio = ""
            if pv:
                fw, fc = med(False, ph, "wall"), med(False, ph, "cpu")
                ratio = "%.2f/%.2f" % (w / fw if fw else float("nan"), c / fc if fc else float("nan"))
            print("%-6s %-6s %9.2fs %9.2fs %10s %9s" % (ph if not pv else "", "pv" if pv else "full", w, c,
                                                       "-" if g is None else "%.2fs" % g, ratio))
    print("(pv/full: host wall / host CPU ratio; guest busy = guest instructions / 1e9, to the 10 ms of /proc/uptime:"
          " near 0 for the mostly idle timer phase)")

    print("\nVM exits, whole run (boot + all phases)%s" % (", median" if n > 1 else ""))
    groups = [[exit_groups(r[1]) for r in runs[pv]] for pv in (False, True)]
    keys = sorted(set().union(*[set(g) for gs in groups for g in gs]) - {"total"},
                  key=lambda k: (k.startswith(" "), k))
    keys = [k for k in keys if not k.startswith(" ")] + [k for k in keys if k.startswith(" ")] + ["total"]
    print("%-28s %12s %12s" % ("reason", "full", "pv"))
    for k in keys:
        f = statistics.median([g.get(k, 0) for g in groups[0]])
        p = statistics.median([g.get(k, 0) for g in groups[1]])
        print("%-28s %12d %12d" % (k, f, p))


if __name__ == "__main__":
    main()
