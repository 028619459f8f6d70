#!/usr/bin/env python3
"""The same guest workloads under full virtualization (IDE disk, PIT/TSC timekeeping) and under
para-virtualization (--pv: virtio-blk, kvm-clock), on jvisor: host seconds per workload and VM
exits per reason, side by side.

Workloads (inside Debian's kernel + busybox, with --icount so guest idle time costs nothing):
  disk:  write 64 MiB to the disk (dd, sync), read it back and md5sum it
  timer: 1000 x usleep 1000 (timer programming, interrupts, clock reads)

Usage: bench/pv_vs_full.py [--mib 64] [--sleeps 1000]
"""
import argparse, json, os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

INIT = """#!/bin/busybox sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
while read -r m; do [ -f "$m" ] && insmod "$m" >/dev/null 2>&1; done </lib/modules/jvisor.load
DEV=/dev/sda; [ -e /dev/vda ] && DEV=/dev/vda
echo "bench: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) disk $DEV"
echo "bench: disk start $(cut -d" " -f1 /proc/uptime)"
yes jvisor-bench | head -c %(bytes)d | dd of=$DEV bs=65536 2>/dev/null; sync
dd if=$DEV bs=65536 count=%(blocks)d 2>/dev/null | md5sum
echo "bench: disk end $(cut -d" " -f1 /proc/uptime)"
echo "bench: timer start $(cut -d" " -f1 /proc/uptime)"
i=0; while [ $i -lt %(sleeps)d ]; do usleep 1000; i=$((i+1)); done
echo "bench: timer end $(cut -d" " -f1 /proc/uptime)"
poweroff -f
"""

def run(kernel, initrd, image, pv, stats):
    cmd = [os.path.join(ROOT, "jvisor"), "run", "--kernel", kernel, "--initrd", initrd, "--icount", "--mem", "256M",
           "--append", "console=ttyS0 pci=conf1 noapic nolapic acpi=off i8042.noaux tsc=reliable panic=-1 quiet"
           " cryptomgr.notests noisapnp",
           "--drive", "file=%s,if=%s" % (image, "virtio" if pv else "ide"), "--stats-json", stats]
    if pv:
        cmd.append("--pv")
    marks, t0 = {}, time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                         errors="replace")
    lines = []
    for line in p.stdout:
        lines.append(line.rstrip())
        if line.startswith("bench: "):
            words = line.strip()[7:].split()
            if len(words) == 3 and words[1] in ("start", "end"):
                key = words[0] + " " + words[1]
                marks[key] = time.monotonic() - t0
                marks["guest " + key] = float(words[2])
            else:
                marks[line.strip()[7:]] = time.monotonic() - t0
    p.wait()
    if "timer end" not in marks:
        sys.exit("run (pv=%s) did not finish:\n%s" % (pv, "\n".join(lines[-30:])))
    info = [l for l in lines if l.startswith("bench: clocksource")][0][7:]
    with open(stats) as f:
        st = json.load(f)
    return marks, st, info

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--sleeps", type=int, default=1000)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="jvisor-pvbench.")
    init = os.path.join(tmp, "init")
    with open(init, "w") as f:
        f.write(INIT % {"bytes": a.mib << 20, "blocks": (a.mib << 20) // 65536, "sleeps": a.sleeps})
    initrd = os.path.join(tmp, "initrd.cpio.gz")
    kernel = subprocess.check_output([os.path.join(ROOT, "jvisor"), "guest", "--initramfs", initrd, "--init", init],
                                     text=True).strip().splitlines()[-1]
    results = {}
    for pv in (False, True):
        image = os.path.join(tmp, "disk-%s.img" % ("pv" if pv else "full"))
        with open(image, "wb") as f:
            f.truncate((a.mib + 8) << 20)
        results[pv] = run(kernel, initrd, image, pv, os.path.join(tmp, "stats-%s.json" % pv))
    print("host seconds (wall) and guest seconds (virtual: 1 instruction = 1 ns, idle skipped) per workload")
    print("%-6s %-34s %9s %9s %9s %9s %12s" % ("mode", "setup", "disk s", "guest s", "timer s", "guest s", "exits total"))
    for pv in (False, True):
        marks, st, info = results[pv]
        total = sum(v["count"] for v in st["exits"].values())
        print("%-6s %-34s %9.2f %9.2f %9.2f %9.2f %12d" % (
            "pv" if pv else "full", info, marks["disk end"] - marks["disk start"],
            marks["guest disk end"] - marks["guest disk start"], marks["timer end"] - marks["timer start"],
            marks["guest timer end"] - marks["guest timer start"], total))
    print("\nexits by reason (whole run: boot + both workloads)")
    reasons = sorted(set(results[False][1]["exits"]) | set(results[True][1]["exits"]))
    print("%-20s %12s %12s" % ("reason", "full", "pv"))
    for r in reasons:
        f = results[False][1]["exits"].get(r, {}).get("count", 0)
        p = results[True][1]["exits"].get(r, {}).get("count", 0)
        print("%-20s %12d %12d" % (r, f, p))
    io_full = results[False][1]["exits"].get("IO_INSTRUCTION", {}).get("count", 0)
    io_pv = results[True][1]["exits"].get("IO_INSTRUCTION", {}).get("count", 0) + \
        results[True][1]["exits"].get("EPT_VIOLATION", {}).get("count", 0)
    print("\ndevice exits (I/O + MMIO) per MiB moved: full %.0f, pv %.0f" % (io_full / (2.0 * a.mib), io_pv / (2.0 * a.mib)))

if __name__ == "__main__":
    main()
