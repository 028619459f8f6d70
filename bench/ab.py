#!/usr/bin/env python3
"""Interleaved A/B of jvisor builds on the boot_vs_qemu workload (boot to the userspace marker, WL1
md5 of MIB MiB, WL2 gzip -9 of 4 MiB): each round runs every variant once, in turn, so a phase of
the host (this one has minutes-long phases where everything runs ~40% slower) hits all variants
alike; prints each run and the medians, with the vCPU thread's CPU seconds in WL1 and WL2.

A variant is a jvisor tree (a checkout with its own ./jvisor, e.g. a `git worktree add --detach
/tmp/base HEAD~1`), optionally followed by ':' and JVM options for it (JVISOR_JAVA_OPTS), e.g.
  bench/ab.py --runs 3 /tmp/base . .:-Djvisor.bt.threshold=4096
Words of the form NAME=VALUE with an upper-case NAME set environment variables instead (e.g.
  bench/ab.py . .:JVISOR_NO_MALLOC_THP=1).
Each variant runs once before the rounds (its first run after a build trains the AOT cache).

With --boot-only the guest powers off at the userspace marker: each run is only a boot (seconds to the
marker and the vCPU thread's CPU seconds by then), so more rounds fit in the same time.

With --mips each run also takes the CPU bench (`jvisor bench --accel ACCEL --runs 3`, its median MIPS):
a steady-state loop with less noise than the workloads (session 14: it showed a 13% loss of translated
code that the workloads' noise hid).

Usage: bench/ab.py [--runs N] [--mib 64] [--accel bt] [--mem 256] [--boot-only] [--mips] VARIANT...
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import boot_vs_qemu as bvq  # the workload's init script, markers and command line


BOOT_ONLY = """#!/bin/busybox sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
echo "%s" > /dev/console
poweroff -f
"""


def busiest_thread_cpu(pid):
    """CPU seconds of the process's busiest thread named java (the vCPU thread; not a JIT compiler thread)."""
    best = 0.0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                    if f.read().strip() != "java":
                        continue
                with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                best = max(best, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
            except OSError:
                pass
    except OSError:
        pass
    return best


def variant_env(jopts):
    """The environment for a variant's options: NAME=VALUE words with an upper-case NAME are environment
    variables (e.g. JVISOR_NO_MALLOC_THP=1), the rest JVM options."""
    env, jvm = dict(os.environ), []
    for w in jopts.split():
        name, eq, value = w.partition("=")
        if eq and name.isupper() and not name.startswith("-"):
            env[name] = value
        else:
            jvm.append(w)
    env["JVISOR_JAVA_OPTS"] = " ".join(jvm)
    return env


def run_once(tree, jopts, kernel, initrd, a):
    cmd = bvq.jvisor_cmd(kernel, initrd, a.mem, a.accel, tree)
    env = variant_env(jopts)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", env=env)
    marks = {}
    wanted = (bvq.MARK_UP,) if a.boot_only else (bvq.MARK_UP, bvq.MARK_T0, bvq.MARK_T1, bvq.MARK_G0, bvq.MARK_G1)
    for line in p.stdout:
        for m in wanted:
            if m in line and m not in marks:
                marks[m] = (time.monotonic() - t0, busiest_thread_cpu(p.pid))  # ./jvisor execs java
    p.wait()
    if a.boot_only and marks:
        return marks[bvq.MARK_UP]
    if len(marks) < len(wanted):
        sys.exit("jvisor-ab: %s did not reach every marker (exit status %d)" % (tree, p.returncode))
    return (marks[bvq.MARK_UP][0],
            marks[bvq.MARK_T1][0] - marks[bvq.MARK_T0][0],
            marks[bvq.MARK_G1][0] - marks[bvq.MARK_G0][0],
            marks[bvq.MARK_T1][1] - marks[bvq.MARK_T0][1],
            marks[bvq.MARK_G1][1] - marks[bvq.MARK_G0][1])


def bench_mips(tree, jopts, a):
    """The CPU bench's median MIPS on the variant's engine."""
    env = variant_env(jopts)
    out = subprocess.run([os.path.join(tree, "jvisor"), "bench", "--accel", a.accel, "--runs", "3"],
                         capture_output=True, text=True, env=env).stdout
    for line in out.splitlines():
        if line.startswith("MIPS (median"):
            return float(line.split(":")[1].split()[0])
    sys.exit("jvisor-ab: %s: the CPU bench printed no MIPS" % tree)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--accel", default="bt")
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--boot-only", action="store_true")
    ap.add_argument("--mips", action="store_true")
    ap.add_argument("variants", nargs="+")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="jvisor-ab.")
    kernel, initrd = bvq.build_guest(tmp, BOOT_ONLY % bvq.MARK_UP if a.boot_only else
                                     bvq.INIT % (bvq.MARK_UP, bvq.MARK_T0, a.mib, bvq.MARK_T1, bvq.MARK_G0, bvq.MARK_G1))
    variants = [(v.partition(":")[0], v.partition(":")[2]) for v in a.variants]
    for tree, jopts in variants:
        run_once(tree, jopts, kernel, initrd, a)  # build, AOT training, page cache
    results = {v: [] for v in a.variants}
    fmt = ("boot %5.2f  | vCPU CPU %5.2f" if a.boot_only
           else "boot %5.2f  WL1 %5.2f  WL2 %5.2f  | vCPU CPU WL1 %5.2f  WL2 %5.2f")
    if a.mips:
        fmt += "  | MIPS %6.1f"
    for r in range(a.runs):
        for v, (tree, jopts) in zip(a.variants, variants):
            row = run_once(tree, jopts, kernel, initrd, a)
            if a.mips:
                row = tuple(row if isinstance(row, tuple) else (row,)) + (bench_mips(tree, jopts, a),)
            results[v].append(row)
            print("run %d  %-40s " % (r + 1, v) + fmt % row, flush=True)
    for v in a.variants:
        print("median %-40s " % v + fmt % tuple(statistics.median(c) for c in zip(*results[v])))


if __name__ == "__main__":
    main()
