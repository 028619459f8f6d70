#!/usr/bin/env bash
# Build the bare-metal tests and run each under QEMU (the reference).
# A test ends by writing its status to isa-debug-exit (port 0xF4): 0 = pass -> QEMU exit status 1,
# failure n -> (n<<1)|1. Prints one line per test and a final "N passed, N failed" line.
# Usage: tools/run-baremetal-qemu.sh [-v] [test...]     (-v: show each test's serial output)
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$here/tools/build-baremetal.sh" "$tmp" "$@" || { echo "build failed"; exit 2; }
# Documented QEMU (TCG) divergences from the SDM; the tests skip exactly these checks when the
# token is on the multiboot command line. See src/test/baremetal/README.md.
quirks="$(cat "$here/src/test/baremetal/qemu-quirks.txt" 2>/dev/null | sed 's/#.*//' | tr -s ' \n' ' ')"
pass=0; fail=0
for elf in "$tmp"/*.elf; do
  name="$(basename "$elf" .elf)"
  log="$tmp/$name.log"
  timeout 20 qemu-system-i386 -accel tcg -kernel "$elf" -append "$quirks" -display none \
    -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot -m 64 \
    -monitor none -nodefaults </dev/null >"$log" 2>&1
  rc=$?
  checks="$(grep -c '^ok ' "$log")"
  fails="$(grep -c '^FAIL' "$log")"
  skips="$(grep -c '^skip ' "$log")"
  if [ $rc -eq 1 ] && [ "$fails" -eq 0 ]; then
    printf 'PASS %-12s %4d ok, %d skipped\n' "$name" "$checks" "$skips"
    pass=$((pass+1))
  else
    why="exit status $rc"
    [ $rc -eq 124 ] && why="timeout"
    [ $rc -eq 0 ] && why="no isa-debug-exit write (triple fault/reset?)"
    [ $rc -gt 1 ] && [ $rc -ne 124 ] && why="failure code $(( rc >> 1 ))"
    printf 'FAIL %-12s %4d ok, %d FAIL, %s\n' "$name" "$checks" "$fails" "$why"
    grep '^FAIL' "$log" | sed 's/^/     /' | head -20
    fail=$((fail+1))
  fi
  [ $verbose -eq 1 ] && sed 's/^/  | /' "$log"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
