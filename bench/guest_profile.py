#!/usr/bin/env python3
"""Fold a `jvisor run --profile FILE [--profile-stacks]` sample profile into guest functions using a
symbol map: a System.map, or the text of the guest's /proc/kallsyms (boot with `nokaslr`, as root,
kptr_restrict=0). Prints the top functions by share of samples; with --callers NAME, the call chains
(folded, outermost first) that lead to NAME.

Usage: bench/guest_profile.py PROFILE SYMBOLS [--top N] [--callers NAME]
"""
import bisect, sys

def load_symbols(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in ("t", "T", "w", "W") and len(parts[0]) == 8:
                syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return syms

def main():
    args = sys.argv[1:]
    top, callers = 40, None
    if "--top" in args:
        i = args.index("--top"); top = int(args[i + 1]); del args[i:i + 2]
    if "--callers" in args:
        i = args.index("--callers"); callers = args[i + 1]; del args[i:i + 2]
    prof, smap = args
    syms = load_symbols(smap)
    addrs = [a for a, _ in syms]

    def name_of(a, ring="0"):
        if ring == "3":
            return "[user]"
        if a < 0xc0000000:
            return "[low 0x%05xxxx]" % (a >> 12)
        i = bisect.bisect_right(addrs, a) - 1
        return syms[i][1] if i >= 0 and a - addrs[i] < 0x10000 else "[kernel 0x%08x]" % a

    by, chains, total = {}, {}, 0
    with open(prof) as f:
        for line in f:
            if line.startswith("#"):
                continue
            n, what, rest = line.split()
            n = int(n)
            if what == "stack":
                frames = [name_of(int(x, 16)) for x in rest.split(";")]
                if callers and frames[-1] == callers:
                    key = ";".join(frames)
                    chains[key] = chains.get(key, 0) + n
                continue
            total += n
            name = "[idle: HLT]" if what == "idle" else name_of(int(what, 16), rest)
            by[name] = by.get(name, 0) + n
    print("%d samples" % total)
    if callers:
        for key, n in sorted(chains.items(), key=lambda kv: -kv[1])[:top]:
            print("%6.2f%% %8d  %s" % (100.0 * n / total, n, key))
        return
    for name, n in sorted(by.items(), key=lambda kv: -kv[1])[:top]:
        print("%6.2f%% %8d  %s" % (100.0 * n / total, n, name))

if __name__ == "__main__":
    main()
