#!/usr/bin/env bash
# make bench part: fio against xloop.ko, the stock loop.ko and the raw
# backing file, in one boot per target kernel, and a table of throughputs and
# ratios (medians of repeated runs).  A benchmark: it measures, it does not
# pass or fail on speed.  Under QEMU TCG absolute numbers mean little; the
# ratios, measured side by side in one boot, are the result.
#
# Environment: BUILD (default build), KVER (one kernel; default: every target),
# XB_RUNTIME (seconds per fio run, default 3), XB_REPEAT (runs per cell, default 3),
# XB_SIZE_MIB (backing file size, default 512), XB_BACKING (backing file
# systems, default "ext4 tmpfs"), XB_ROWS (a regular expression: only the rows
# whose "fs mode rw bs qd", e.g. "ext4 direct randread 4k 16", match),
# XB_AB (a git revision, e.g. HEAD~1: xloop.ko built from it joins as another
# target, "xloop@B", to compare two versions of the driver in one boot),
# XB_CONTROL (default 1: loop.ko runs twice per repeat, and the column "lo/lo"
# shows how far two runs of one driver differ on each row; 0 leaves it out).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
kernels=()
if [ -n "${KVER:-}" ]; then
	for k in $("$top/scripts/kernels.sh"); do kernels+=(-k "$k"); done
fi
export XB_RUNTIME=${XB_RUNTIME:-3} XB_REPEAT=${XB_REPEAT:-3} XB_SIZE_MIB=${XB_SIZE_MIB:-512}
case ${XB_CONTROL:-1} in
0 | 1) ;;
*) echo "bench: XB_CONTROL must be 0 or 1" >&2; exit 2 ;;
esac
# The guest case reads its parameters from the build directory.
mkdir -p "$build/bench"
# Tables of an earlier run (other kernels too) would be printed as this one's.
rm -rf "${build:?}"/bench/*/
# XB_AB: the other version's modules, built by its own build script.
ab_rev=
if [ -n "${XB_AB:-}" ]; then
	ab_rev=$(git -C "$top" rev-parse --short "$XB_AB^{commit}")
	ab=$build/bench-ab
	rm -rf "$ab"
	mkdir -p "$ab/src"
	git -C "$top" archive "$ab_rev" | tar -x -C "$ab/src"
	ab_kernels=()
	if [ -n "${KVER:-}" ]; then mapfile -t ab_kernels < <("$top/scripts/kernels.sh"); fi
	if ! BUILD=$ab/build "$ab/src/scripts/build-modules.sh" "${ab_kernels[@]}" >"$ab/build.log" 2>&1; then
		tail -n 20 "$ab/build.log"
		echo "bench: cannot build xloop.ko at $XB_AB ($ab/build.log)" >&2
		exit 1
	fi
fi
printf 'XB_RUNTIME=%s\nXB_REPEAT=%s\nXB_SIZE_MIB=%s\nXB_ROWS=%q\nXB_BACKING=%q\nXB_AB=%q\nXB_CONTROL=%q\n' \
	"$XB_RUNTIME" "$XB_REPEAT" "$XB_SIZE_MIB" "${XB_ROWS:-.}" "${XB_BACKING:-ext4 tmpfs}" "$ab_rev" \
	"${XB_CONTROL:-1}" >"$build/bench-params.env"
rc=0
# One kernel at a time: a second guest would take CPU from the one measured.
BUILD=$build XT_JOBS=1 XT_CASE_TIMEOUT=1800 "$top/tests/vm/run.sh" "${kernels[@]}" \
	-d "$here/loop" -c fio-matrix -o "$build/bench" >"$build/bench/run.log" 2>&1 || rc=$?
for log in "$build"/bench/*/cases/fio-matrix.log; do
	[ -e "$log" ] || continue
	echo "== $(basename "$(dirname "$(dirname "$log")")")"
	sed -n '/^TABLE/,$p' "$log" | sed 1d
done
[ "$rc" -eq 0 ] || { tail -n 30 "$build/bench/run.log"; exit 1; }
