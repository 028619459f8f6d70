#!/usr/bin/env python3
"""Cross-checks the harness plumbing (register/flag loading and saving) on the recorded vectors:
32-bit ADD/SUB reg,reg cases of alu.txt must agree with a plain Python model of those two instructions.
Usage: selfcheck.py [src/test/resources/isa/alu.txt]"""
import re
import sys

R = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]


def main(path):
    n = bad = 0
    for line in open(path):
        m = re.search(r"asm=(?:\{load\} )?(add|sub)l %(\w+), %(\w+)$", line)
        if line.startswith("#") or not m:
            continue
        f = dict(t.split("=", 1) for t in line.split(" asm=")[0].split())
        regs = [int(x, 16) for x in f["regs"].split(",")]
        out = [int(x, 16) for x in f["oregs"].split(",")]
        a, b = regs[R.index(m[3])], regs[R.index(m[2])]
        if m[1] == "add":
            r = (a + b) & 0xFFFFFFFF
            cf, of = (a + b) >> 32, ((~(a ^ b)) & (a ^ r)) >> 31 & 1
        else:
            r = (a - b) & 0xFFFFFFFF
            cf, of = int(a < b), ((a ^ b) & (a ^ r)) >> 31 & 1
        fl = (cf | (bin(r & 0xFF).count("1") % 2 == 0) << 2 | (((a ^ b ^ r) >> 4) & 1) << 4
              | (r == 0) << 6 | (r >> 31) << 7 | of << 11 | (int(f["fl"], 16) & 0x400))
        exp = list(regs)
        exp[R.index(m[3])] = r
        n += 1
        if exp != out or fl != int(f["ofl"], 16):
            bad += 1
            print("MISMATCH", line.strip()[:240])
    print(f"{n} cases checked, {bad} mismatches")
    return 1 if bad or not n else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/isa/alu.txt"))
