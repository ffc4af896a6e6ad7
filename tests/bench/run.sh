#!/usr/bin/env bash
# make bench: run every benchmark part (tests/bench/bench-*.sh) in turn.
# Benchmarks measure, they do not pass or fail on speed; a part that cannot
# run at all still makes this exit non-zero.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
status=0
found=0
for part in "$here"/bench-*.sh; do
	[ -e "$part" ] || continue
	found=1
	echo "== $(basename "$part" .sh)"
	"$part" || status=1
done
[ "$found" -eq 1 ] || echo "bench: no benchmarks yet"
exit $status
