#!/usr/bin/env bash
# make bench part: the file systems side by side, xminix.ko against the
# stock minix.ko and ext2, on one virtio disk in one boot per target kernel
# (tests/bench/fs/fs_matrix.py): create, cold stat, cold readdir and unlink
# of 1,000 and 10,000 entries in one directory, 4 KiB files with fsync,
# sequential write and cold read of 128 MiB, random 4 KiB reads and writes.
# A benchmark: it measures, it does not pass or fail on speed.
#
# Environment: BUILD (default build), KVER (one kernel; default: every
# target), XB_FS_REPEAT (runs per file system, default 3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
kernels=()
if [ -n "${KVER:-}" ]; then
	for k in $("$top/scripts/kernels.sh"); do kernels+=(-k "$k"); done
fi
mkdir -p "$build/bench-fs"
rm -rf "${build:?}"/bench-fs/*/
echo "XB_FS_REPEAT=${XB_FS_REPEAT:-3}" >"$build/bench-fs-params.env"
rc=0
# One kernel at a time: a second guest would take CPU from the one measured.
BUILD=$build XT_JOBS=1 XT_CASE_TIMEOUT=3000 "$top/tests/vm/run.sh" "${kernels[@]}" \
	-d "$here/fs" -c fs-matrix -o "$build/bench-fs" >"$build/bench-fs/run.log" 2>&1 || rc=$?
for log in "$build"/bench-fs/*/cases/fs-matrix.log; do
	[ -e "$log" ] || continue
	echo "== $(basename "$(dirname "$(dirname "$log")")")"
	sed -n '/^TABLE/,$p' "$log" | sed 1d
done
[ "$rc" -eq 0 ] || { tail -n 30 "$build/bench-fs/run.log"; exit 1; }
