#!/usr/bin/env python3
"""Boot the same Debian kernel + initramfs on jvisor (each --accel engine) and on qemu-system-i386
(TCG) in one run and print, side by side and as ratios to QEMU: seconds to the userspace marker,
WL1 (dd if=/dev/zero bs=1M count=MIB | md5sum) and WL2 (gzip -9 of 4 MiB of text) inside the guest,
and the peak RSS of each process. Medians of --runs runs. Then each jvisor engine's speed-up over the
interpreter, and the CPU bench's MIPS per engine (`jvisor bench`, skipped with --no-mips).

The systems take turns within each round (interp, bt, QEMU, then the next round), so that a slow phase of
the host (this development host has minutes-long ones, 20-40% slower) falls on all of them alike instead of
on one system's runs; the ratio lines also give the median of the per-round ratios.

jvisor unpacks the bzImage's kernel on the host by default; --guest-decompress adds rows ("-gd")
where the guest runs the kernel's own XZ decompressor, as it does under QEMU.

Usage: bench/boot_vs_qemu.py [--runs N] [--mem 256] [--mib 64] [--accel interp,bt] [--no-qemu] [--guest-decompress] [--no-mips]
Needs: the built ./jvisor (it builds itself), qemu-system-x86 for the QEMU column.
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time, threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MARK_UP = "jvisor: userspace up"
MARK_T0 = "bench: md5 start"
MARK_T1 = "bench: md5 end"
MARK_G0 = "bench: gzip start"
MARK_G1 = "bench: gzip end"

# every bench guest's /init starts so: PATH, /proc, /dev, then the userspace marker (the first %s)
INIT_HEAD = """#!/bin/busybox sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "%s" > /dev/console
"""
INIT = INIT_HEAD + """echo "%s" > /dev/console
dd if=/dev/zero bs=1048576 count=%d 2>/dev/null | md5sum > /dev/console
echo "%s" > /dev/console
seq 1 560000 | head -c 4194304 > /tmp/text
echo "%s" > /dev/console
gzip -9 < /tmp/text | md5sum > /dev/console
echo "%s" > /dev/console
poweroff -f
"""

# the default guest's command line (as ./jvisor run uses it), quiet: the same for jvisor and QEMU
APPEND = ("console=ttyS0,115200 pci=conf1,nomsi noapic nolapic acpi=off i8042.noaux tsc=reliable panic=-1"
          " cryptomgr.notests noisapnp quiet")


def build_guest(tmp, init_text):
    """The default guest's kernel and an initramfs in tmp with init_text as /init: (kernel, initrd)."""
    init = os.path.join(tmp, "init")
    with open(init, "w") as f:
        f.write(init_text)
    initrd = os.path.join(tmp, "initrd.cpio.gz")
    kernel = subprocess.check_output([os.path.join(ROOT, "jvisor"), "guest", "--initramfs", initrd, "--init", init],
                                     text=True).strip().splitlines()[-1]
    return kernel, initrd


def jvisor_cmd(kernel, initrd, mem, engine, tree=ROOT):
    return [os.path.join(tree, "jvisor"), "run", "--kernel", kernel, "--initrd", initrd, "--append", APPEND,
            "--mem", "%dM" % mem, "--accel", engine]


def qemu_cmd(kernel, initrd, mem):
    """qemu-system-i386 (TCG) on the same kernel, initramfs and command line, serial on stdout."""
    return ["qemu-system-i386", "-accel", "tcg", "-m", str(mem), "-kernel", kernel, "-initrd", initrd,
            "-append", APPEND, "-nographic", "-no-reboot", "-monitor", "none", "-serial", "stdio",
            "-display", "none", "-nodefaults"]


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
            for m in (MARK_UP, MARK_T0, MARK_T1, MARK_G0, MARK_G1):
                if m in line and m not in marks:
                    marks[m] = time.monotonic() - t_start
            if MARK_G1 in marks:
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
    ap.add_argument("--mib", type=int, default=64, help="MiB hashed by the md5sum workload (WL1)")
    ap.add_argument("--accel", default="interp,bt", help="jvisor engines to compare, comma-separated")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--guest-decompress", action="store_true",
                    help="also run each engine with --guest-decompress (the bzImage's own decompressor, as QEMU runs it)")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--no-mips", action="store_true", help="skip the CPU bench's MIPS line (jvisor bench per engine)")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="jvisor-bench.")
    kernel, initrd = build_guest(tmp, INIT % (MARK_UP, MARK_T0, a.mib, MARK_T1, MARK_G0, MARK_G1))
    systems = {}
    for engine in a.accel.split(","):
        systems["jvisor-" + engine] = jvisor_cmd(kernel, initrd, a.mem, engine)
        if a.guest_decompress:
            systems["jvisor-" + engine + "-gd"] = systems["jvisor-" + engine] + ["--guest-decompress"]
    if not a.no_qemu and shutil.which("qemu-system-i386"):
        systems["qemu-tcg"] = qemu_cmd(kernel, initrd, a.mem)
    samples = {name: [] for name in systems}  # per system, per round: (boot, WL1, WL2, RSS MiB)
    for i in range(a.runs):
        for name, cmd in systems.items():
            marks, rss, tail = run_timed(cmd, a.timeout)
            if MARK_UP not in marks or MARK_G1 not in marks:
                print("%s run %d did not reach the markers; last output:\n%s" % (name, i + 1, tail), file=sys.stderr)
                sys.exit(1)
            samples[name].append((marks[MARK_UP], marks[MARK_T1] - marks[MARK_T0], marks[MARK_G1] - marks[MARK_G0],
                                  rss / 1024.0))
    results = {}
    for name, rows in samples.items():
        results[name] = tuple(statistics.median(r[k] for r in rows) for k in range(3)) + (max(r[3] for r in rows),)
    print("%-17s %14s %16s %16s %13s" % ("system", "boot to shell s", "WL1 md5 %d MiB s" % a.mib, "WL2 gzip -9 4M s",
                                         "peak RSS MiB"))
    for name, (b, m, g, r) in results.items():
        print("%-17s %14.2f %16.2f %16.2f %13.1f" % (name, b, m, g, r))
    if "qemu-tcg" in results:
        qb, qm, qg, qr = results["qemu-tcg"]
        print("ratios to qemu-tcg (lower is better for jvisor):")
        for name, (b, m, g, r) in results.items():
            if name != "qemu-tcg":
                print("%-17s %14.2f %16.2f %16.2f %13.2f" % (name, b / qb, m / qm, g / qg, r / qr))
        if a.runs > 1:
            print("median of the per-round ratios to qemu-tcg (each round's runs back to back):")
            for name, rows in samples.items():
                if name != "qemu-tcg":
                    paired = [statistics.median(rows[i][k] / samples["qemu-tcg"][i][k] for i in range(a.runs))
                              for k in range(3)]
                    print("%-17s %14.2f %16.2f %16.2f" % (name, *paired))
    if "jvisor-interp" in results:
        ib, im, ig, _ = results["jvisor-interp"]
        print("speed-up over jvisor-interp (higher is better; the target for bt on WL1 is >= 5x):")
        for name, (b, m, g, r) in results.items():
            if name.startswith("jvisor-") and name != "jvisor-interp":
                print("%-17s %14.2f %16.2f %16.2f" % (name, ib / b, im / m, ig / g))
    if not a.no_mips:
        # the CPU bench: a fixed integer loop with paging on, guest instructions per second (no QEMU figure:
        # QEMU counts no instructions without its icount mode, which changes its speed)
        mips = {}
        for engine in a.accel.split(","):
            out = subprocess.run([os.path.join(ROOT, "jvisor"), "bench", "--accel", engine, "--runs", "3"],
                                 capture_output=True, text=True, timeout=a.timeout).stdout
            line = [l for l in out.splitlines() if l.startswith("MIPS (median")]
            if line:
                mips[engine] = float(line[-1].split(":")[1].split()[0])
        if mips:
            print("CPU bench (jvisor bench --runs 3, median MIPS): " + ", ".join(
                "%s %.1f" % (e, m) for e, m in mips.items())
                  + ("; bt / interp %.2fx" % (mips["bt"] / mips["interp"]) if "bt" in mips and "interp" in mips else ""))
    print("guest RAM %d MiB; RSS goal for jvisor: <= guest RAM + 128 MiB = %d MiB" % (a.mem, a.mem + 128))
    shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
