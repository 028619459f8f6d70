#!/usr/bin/env bash
# Regenerates src/test/resources/fpu/x87-qemu.txt from gen.c under qemu-i386 (the oracle).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../src/test/resources/fpu/x87-qemu.txt"
gcc -m32 -static -O1 -Wall -o /tmp/fpu-oracle-gen "$here/gen.c"
{
  echo "# generator: tools/fpu-oracle/gen.sh (gcc -m32 -static -O1 gen.c && qemu-i386 ./gen; $(qemu-i386 --version | head -1))"
  qemu-i386 /tmp/fpu-oracle-gen
} > "$out"
wc -l "$out"
