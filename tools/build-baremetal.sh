#!/usr/bin/env bash
# Assemble and link every bare-metal test in src/test/baremetal into OUTDIR/<name>.elf
# (multiboot v1 ELF kernels loaded at 1 MiB). Needs only GNU binutils (as --32, ld -m elf_i386).
# Usage: tools/build-baremetal.sh OUTDIR [test...]
# A name is a t_NAME.s test; a name starting with h_ is built from h_NAME.s (the hostile-guest
# kernels that need devices: never part of the default set).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
src="$here/src/test/baremetal"
out="${1:?usage: $0 OUTDIR [test...]}"
shift
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [ $# -gt 0 ]; then tests=("$@"); else
  tests=()
  for f in "$src"/t_*.s; do n="$(basename "$f" .s)"; tests+=("${n#t_}"); done
fi
ldflags=()
if ld --help 2>/dev/null | grep no-warn-rwx-segments >/dev/null; then ldflags+=(--no-warn-rwx-segments); fi
as --32 -I "$src" -o "$out/lib.o" "$src/lib.s"
for t in "${tests[@]}"; do
  case "$t" in h_*) file="$src/$t.s" ;; *) file="$src/t_$t.s" ;; esac
  as --32 -I "$src" -o "$out/$t.o" "$file"
  ld -m elf_i386 "${ldflags[@]}" -T "$src/link.ld" -o "$out/$t.elf" "$out/lib.o" "$out/$t.o"
  rm -f "$out/$t.o"
done
rm -f "$out/lib.o"
