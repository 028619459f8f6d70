#!/usr/bin/env python3
"""Warm-up curve: the guest runs ROUNDS rounds of a workload and prints a line after each; the host
timestamps the lines, so each round's seconds show how long a system takes to reach its steady state.
Side by side for each jvisor engine and QEMU TCG, medians of --runs runs (interleaved: each run goes
through every system once, so a slow phase of the host hits them alike).

Session 13 used this to find that WL1 (64 MiB in one go) is nearly all warm-up for --accel bt: its
rounds of 8 MiB took 0.5-0.7 s for the first eight and ~0.3 s from the twelfth, QEMU's 0.22 s from
the first.

Workloads (--workload): md5, `dd if=/dev/zero bs=1M count=MIB | md5sum` (WL1 in rounds); gzip, `gzip -9`
of the benchmark's 4 MiB text (WL2, the text made before the first round); seq, `seq 1 300000 >
/dev/null` (busybox's seq: short functions, calls and returns, and x87 arithmetic). Session 23 used 5
rounds of seq and gzip to compare translated code's steady state, where the rounds after the second
vary by 2-3% against 10-20% for the benchmark's first runs: QEMU 1.02 s a seq round and 0.86 s a gzip
round, bt 2.07 s and 1.07 s.

To compare jvisor builds instead of engines, --trees takes variants as bench/ab.py does (a tree, optionally
followed by ':' and JVM options or upper-case NAME=VALUE environment words), each run with the first engine of
--accel. With --together the systems of a run run at the same time rather than in turn, so that the host's phases
(it has minutes-long ones where everything is 20-40% slower) hit them alike. On a 2-core host they also share the
cores with each other's JIT threads, so the first rounds (the warm-up) do not compare, and even warm rounds do not
always: in session 25 two copies of the same build differed by up to 40% within a run, the second one faster in
each of three runs (`--trees . .`). Take several runs and swap the order. QEMU is left out with either option.

Usage: bench/warmup.py [--runs 3] [--rounds 16] [--workload md5] [--mib 8] [--accel bt] [--no-qemu] [--mem 256]
                       [--trees VARIANT... [--together]]
Needs: the built ./jvisor (it builds itself), qemu-system-x86 for the QEMU column.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import boot_vs_qemu as bvq  # the guest, the command line and the two systems' commands
from ab import variant_env  # a variant's JVM options and environment

MARK_UP = bvq.MARK_UP
ROUND = "warmup: round "
DONE = "warmup: done"

READY = "warmup: ready"

WORKLOADS = {
    "md5": ("", "dd if=/dev/zero bs=1048576 count=%(mib)d 2>/dev/null | md5sum >/dev/null"),
    "gzip": ("seq 1 560000 | head -c 4194304 > /tmp/text\n", "gzip -9 < /tmp/text >/dev/null"),
    "seq": ("", "seq 1 300000 >/dev/null"),
}

INIT = bvq.INIT_HEAD + """%s
echo "%s" > /dev/console
i=1
while [ $i -le %d ]; do
  %s
  echo "%s$i" > /dev/console
  i=$((i+1))
done
echo "%s" > /dev/console
poweroff -f
"""


def run_rounds(cmd, rounds, timeout, env=None):
    """Runs cmd; returns (seconds to the userspace marker, [seconds of each round]) or None."""
    t0 = time.monotonic()
    up, start, marks = None, None, []
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    killer = threading.Timer(timeout, p.kill)
    killer.start()
    try:
        for raw in p.stdout:
            line = raw.decode("latin-1")
            now = time.monotonic() - t0
            if up is None and MARK_UP in line:
                up = now
                start = now
            elif READY in line:
                start = now  # the workload's input is made: the first round starts here
            elif ROUND in line:
                marks.append(now)
            elif DONE in line:
                break  # `poweroff -f` only halts (no ACPI): QEMU would stay up
    finally:
        killer.cancel()
        p.kill()
        p.wait()
    if up is None or len(marks) != rounds:
        return None
    return up, [b - a for a, b in zip([start] + marks, marks)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--workload", default="md5", choices=sorted(WORKLOADS))
    ap.add_argument("--mib", type=int, default=8, help="MiB hashed per round (md5)")
    ap.add_argument("--accel", default="bt", help="jvisor engines, comma-separated")
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--trees", nargs="+", metavar="VARIANT", help="jvisor builds to compare (see above)")
    ap.add_argument("--together", action="store_true", help="the systems of a run at the same time")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="jvisor-warmup.")
    prep, work = WORKLOADS[a.workload]
    kernel, initrd = bvq.build_guest(tmp, INIT % (MARK_UP, prep.rstrip("\n"), READY, a.rounds,
                                                  work % {"mib": a.mib}, ROUND, DONE))
    systems = {}  # name -> (command, environment)
    if a.trees:
        engine = a.accel.split(",")[0]
        for k, v in enumerate(a.trees):
            tree, _, jopts = v.partition(":")
            name = "%d:%s" % (k + 1, os.path.basename(os.path.abspath(tree)))
            systems[name] = (bvq.jvisor_cmd(kernel, initrd, a.mem, engine, tree=os.path.abspath(tree)), variant_env(jopts))
            print("%s = %s" % (name, v), file=sys.stderr)
    else:
        for e in a.accel.split(","):
            systems["jvisor-" + e] = (bvq.jvisor_cmd(kernel, initrd, a.mem, e), None)
    if not a.no_qemu and not a.together and not a.trees and shutil.which("qemu-system-i386"):
        systems["qemu-tcg"] = (bvq.qemu_cmd(kernel, initrd, a.mem), None)
    results = {name: [] for name in systems}
    for i in range(a.runs):
        got = {}
        def one(name):
            cmd, env = systems[name]
            got[name] = run_rounds(cmd, a.rounds, a.timeout, env)
        if a.together:
            threads = [threading.Thread(target=one, args=(name,)) for name in systems]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for name in systems:
                one(name)
        for name in systems:
            r = got[name]
            if r is None:
                print("%s run %d did not finish its rounds" % (name, i + 1), file=sys.stderr)
                sys.exit(1)
            results[name].append(r)
            print("run %d %-12s up %.2f s, rounds %s" % (i + 1, name, r[0], " ".join("%.2f" % x for x in r[1])),
                  file=sys.stderr, flush=True)
    names = list(systems)
    what = "%d MiB of md5" % a.mib if a.workload == "md5" else a.workload
    print("seconds per round of %s (medians of %d runs)" % (what, a.runs))
    print("%-6s" % "round" + "".join("%14s" % n for n in names))
    med = {n: [statistics.median(run[1][k] for run in results[n]) for k in range(a.rounds)] for n in names}
    print("%-6s" % "boot" + "".join("%14.2f" % statistics.median(run[0] for run in results[n]) for n in names))
    for k in range(a.rounds):
        print("%-6d" % (k + 1) + "".join("%14.2f" % med[n][k] for n in names))
    half = a.rounds // 2
    for label, lo, hi in (("first half", 0, half), ("second half", half, a.rounds)):
        print("%-6s" % "sum" + "".join("%14.2f" % sum(med[n][lo:hi]) for n in names) + "   (%s)" % label)
    if a.rounds >= 3:
        # the steady state: each run's median round from the third on, then the median of those
        warm = {n: statistics.median(statistics.median(run[1][2:]) for run in results[n]) for n in names}
        print("%-6s" % "warm" + "".join("%14.3f" % warm[n] for n in names) + "   (median round from the third)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
