#!/usr/bin/env bash
# make bench part: xloop mkfs and xloop fsck -f against util-linux mkfs.minix
# and fsck.minix on a 1 GiB image holding 100,000 files.  V1 and V2 cap
# inodes at 65535, so the image is V3 with 1 KiB blocks (131072 inodes by
# mkfs.minix's default), the one V3 geometry fsck.minix can check.  The same
# image file serves both tools.  Each timing is the median of RUNS (default
# 11) runs, alternating the two tools in one run; ratios below 1 mean xloop
# is faster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
runs=${RUNS:-11}
# Set by pair(); declared for shellcheck.
mkfs_util='' mkfs_ours='' fsck_util='' fsck_ours=''
xloop=$build/xloop
work=$(mktemp -d "${TMPDIR:-/var/tmp}/bench-minix.XXXXXX")
trap 'rm -rf "$work"' EXIT
img=$work/img

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# seconds CMD...: wall time of one run (output discarded, exit status ignored
# only for fsck's non-zero "changed" codes, which would be a bug here).
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || { echo "bench-minix: $* failed" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# pair NAME -- UTIL_CMD... -- XLOOP_CMD...: RUNS alternating runs of both
# (so drift in the machine's load hits both alike); sets NAME_util, NAME_ours
# to the medians.
pair() {
	local name=$1 i util=() ours=() a=() b=()
	shift 2
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	for ((i = 0; i < runs; i++)); do
		util+=("$(seconds "${a[@]}")")
		ours+=("$(seconds "${b[@]}")")
	done
	printf -v "${name}_util" '%s' "$(printf '%s\n' "${util[@]}" | median)"
	printf -v "${name}_ours" '%s' "$(printf '%s\n' "${ours[@]}" | median)"
}

echo "bench-minix: building the populate helper"
g++ -std=c++20 -O2 -I"$top/userspace" -I"$top/include" "$top/tests/bench/minix_populate.cpp" \
	"$build/userspace/minix/libxloop_minix.a" -lfmt -o "$work/minix_populate"

truncate -s 1G "$img"
pair mkfs -- /usr/sbin/mkfs.minix -3 "$img" -- "$xloop" mkfs --force -3 "$img"

echo "bench-minix: filling the image with 100 x 1000 files"
"$xloop" mkfs --force -3 "$img" >/dev/null
"$work/minix_populate" "$img" 100 1000
files=$("$xloop" inspect --json "$img" | sed -n 's/.*"inodes_used": \([0-9]*\).*/\1/p')
/usr/sbin/fsck.minix -f "$img" >/dev/null || { echo "bench-minix: fsck.minix rejects the image" >&2; exit 1; }
sync
pair fsck -- /usr/sbin/fsck.minix -f "$img" -- "$xloop" fsck -f "$img"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '\n1 GiB V3 image, %s inodes in use; median of %s runs (seconds)\n' "$files" "$runs"
printf '%-10s %12s %12s %8s\n' operation util-linux xloop ratio
printf '%-10s %12.3f %12.3f %8s\n' mkfs "$mkfs_util" "$mkfs_ours" "$(ratio "$mkfs_ours" "$mkfs_util")"
printf '%-10s %12.3f %12.3f %8s\n' "fsck -f" "$fsck_util" "$fsck_ours" "$(ratio "$fsck_ours" "$fsck_util")"
