#!/usr/bin/env bash
# Regenerates the ISA oracle vectors: src/test/resources/isa/<group>.txt from qemu-i386.
# Usage: tools/isa-oracle/generate.sh [GROUP...]   (default: all groups)
# Needs: python3, GNU as/ld with i386 support (binutils), qemu-i386 (qemu-user).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exec python3 "$here/gen.py" "$root/src/test/resources/isa" "$@"
