#!/usr/bin/env python3
"""Boot the same Debian kernel + initramfs on jvisor and on qemu-system-i386 (TCG) in one run and
print, side by side and as ratios: seconds to the userspace marker, seconds for an md5sum workload
inside the guest, and peak RSS of the process. Medians of --runs runs.

Usage: bench/boot_vs_qemu.py [--runs N] [--mem 256] [--mib 16] [--accel interp] [--no-qemu]
Needs: the built ./jvisor (it builds itself), qemu-system-x86 for the QEMU column.
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time, threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MARK_UP = "jvisor: userspace up"
MARK_T0 = "bench: md5 start"
MARK_T1 = "bench: md5 end"

INIT = """#!/bin/busybox sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "%s" > /dev/console
echo "%s" > /dev/console
dd if=/dev/zero bs=1048576 count=%d 2>/dev/null | md5sum > /dev/console
echo "%s" > /dev/console
poweroff -f
"""

def run_timed(cmd, timeout):
    """Runs cmd, timestamps the marker lines on its stdout, returns (times, peak_rss_kib, output)."""
    t_start = time.monotonic()
    marks = {}
    out_lines = []
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    killer = threading.Timer(timeout, p.kill)
    killer.start()
    try:
        for raw in p.stdout:
            line = raw.decode("latin-1").rstrip("\r\n")
            out_lines.append(line)
            for m in (MARK_UP, MARK_T0, MARK_T1):
                if m in line and m not in marks:
                    marks[m] = time.monotonic() - t_start
            if MARK_T1 in marks:
                break  # `poweroff -f` only halts (no ACPI): QEMU would stay up, so end it here
        hwm = peak_rss_kib(p.pid)
        p.kill()
        p.wait()
    finally:
        killer.cancel()
    return marks, hwm, "\n".join(out_lines[-20:])

def peak_rss_kib(pid):
    """The process's peak resident set (VmHWM), read while it is still alive."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--mib", type=int, default=16, help="MiB hashed by the md5sum workload")
    ap.add_argument("--accel", default="interp")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--timeout", type=int, default=1800)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="jvisor-bench.")
    init = os.path.join(tmp, "init")
    with open(init, "w") as f:
        f.write(INIT % (MARK_UP, MARK_T0, a.mib, MARK_T1))
    initrd = os.path.join(tmp, "initrd.cpio.gz")
    kernel = subprocess.check_output([os.path.join(ROOT, "jvisor"), "guest", "--initramfs", initrd, "--init", init],
                                     text=True).strip().splitlines()[-1]
    # the default guest's command line (as ./jvisor run uses it), quiet: the same for both systems
    append = ("console=ttyS0,115200 pci=conf1,nomsi noapic nolapic acpi=off i8042.noaux tsc=reliable panic=-1"
              " cryptomgr.notests isapnp=0 quiet")
    systems = {
        "jvisor": [os.path.join(ROOT, "jvisor"), "run", "--kernel", kernel, "--initrd", initrd, "--append", append,
                   "--mem", "%dM" % a.mem, "--accel", a.accel],
    }
    if not a.no_qemu and shutil.which("qemu-system-i386"):
        systems["qemu-tcg"] = ["qemu-system-i386", "-accel", "tcg", "-m", str(a.mem), "-kernel", kernel, "-initrd", initrd,
                               "-append", append, "-nographic", "-no-reboot", "-monitor", "none", "-serial", "stdio",
                               "-display", "none", "-nodefaults"]
    results = {}
    for name, cmd in systems.items():
        boots, md5s, rsss = [], [], []
        for i in range(a.runs):
            marks, rss, tail = run_timed(cmd, a.timeout)
            if MARK_UP not in marks or MARK_T1 not in marks:
                print("%s run %d did not reach the markers; last output:\n%s" % (name, i + 1, tail), file=sys.stderr)
                sys.exit(1)
            boots.append(marks[MARK_UP])
            md5s.append(marks[MARK_T1] - marks[MARK_T0])
            rsss.append(rss / 1024.0)
        results[name] = (statistics.median(boots), statistics.median(md5s), max(rsss))
    print("%-10s %14s %18s %14s" % ("system", "boot to shell s", "md5 %d MiB s" % a.mib, "peak RSS MiB"))
    for name, (b, m, r) in results.items():
        print("%-10s %14.2f %18.2f %14.1f" % (name, b, m, r))
    if "qemu-tcg" in results:
        jb, jm, jr = results["jvisor"]
        qb, qm, qr = results["qemu-tcg"]
        print("%-10s %14.2f %18.2f %14.2f" % ("ratio", jb / qb, jm / qm, jr / qr))
    print("guest RAM %d MiB; RSS goal for jvisor: <= guest RAM + 128 MiB = %d MiB" % (a.mem, a.mem + 128))
    shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
