#!/bin/bash
# Crash consistency: a write workload on xminix.ko (two writers going round
# tests/vm/minix_ops.py sequences: files written into the indirect ranges,
# extended and truncated, directories made and removed, renames, links and
# unlinks, no syncs) is cut by a power-off of the VM at a seeded moment, on
# two formats per kernel in turn (1 KiB blocks, V1 and V2 with 14-char
# names on kernels before 6.6, V2 with 30 and V3 on later ones; all four on
# each kernel with XT_CUT_ALL_FORMATS=1, as tests/vm/crash/407 sets it), one
# cut each.  After every cut `xloop fsck -a` brings the file system back
# (exit 0, or 3 where it changed something, as fsck.minix says it), then
# fsck.minix -f and xloop fsck -f both pass, and xminix.ko mounts it, lists
# and reads everything, and writes again.  XT_CUT_SEED (in
# $BUILD/xloop-knobs.env) moves the cut points.
# xt-disk: 64
# xt-power-cuts: 2
# xt-timeout: 600
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
ops=$XT_TOP/tests/vm/minix_ops.py
# 1 KiB blocks: the formats fsck.minix checks too.
configs=("-1 -n 14" "-2 -n 14")
if [ "$(printf '%s\n' 6.6 "$(uname -r)" | sort -V | head -n 1)" = 6.6 ]; then
	configs=("-2 -n 30" "-3")
fi
if [ -n "${XT_CUT_ALL_FORMATS:-}" ]; then
	configs=("-1 -n 14" "-2 -n 30" "-3" "-2 -n 14")
fi
cut_seed=${XT_CUT_SEED:-407}
mkdir -p m

if [ "$XT_BOOT" -gt 1 ]; then
	config=${configs[$((XT_BOOT - 2))]}
	echo "== boot $XT_BOOT: after the cut in $config"
	rc=0
	"$XT_XLOOP" fsck -a "$XT_DISK" >fsck-a.log 2>&1 || rc=$?
	sed -n '1,30s/^/   fsck -a: /p' fsck-a.log
	echo "   ($(wc -l <fsck-a.log) lines from fsck -a; by kind:)"
	sed "s/[0-9][0-9]*/N/g; s/\`[^']*'/PATH/g" fsck-a.log | sort | uniq -c | sort -rn | awk 'NR <= 20'
	# fsck.minix's codes: 3 "changed", 4 "errors left uncorrected".
	[ $((rc & ~3)) -eq 0 ] || fail "$config: xloop fsck -a exited $rc"
	fsck.minix -f "$XT_DISK" >fsck.log 2>&1 || { cat fsck.log; fail "$config: fsck.minix -f after the repair"; }
	"$XT_XLOOP" fsck -f "$XT_DISK" >fsck.log 2>&1 || { cat fsck.log; fail "$config: xloop fsck -f after the repair"; }
	mount -t xminix "$XT_DISK" m || fail "$config: mount after the repair"
	find m >/dev/null || fail "$config: walk after the repair"
	find m -type f -exec cat {} + >/dev/null || fail "$config: read after the repair"
	echo again >m/after-the-cut || fail "$config: write after the repair"
	umount m || fail "$config: umount after the repair"
	fsck.minix -f "$XT_DISK" >fsck.log 2>&1 || { cat fsck.log; fail "$config: fsck.minix -f after the remount"; }
	echo "ok $config: repaired (fsck -a exit $rc), both fsck tools pass, mounts and reads"
fi
[ "$XT_BOOT" -le ${#configs[@]} ] || exit 0

config=${configs[$((XT_BOOT - 1))]}
grep -qw xminix /proc/filesystems || fail "xminix is not registered"
# Writeback all the time, so that the cut finds the disk part-way through
# the workload's changes, not still as mkfs left it.
echo 50 >/proc/sys/vm/dirty_expire_centisecs
echo 20 >/proc/sys/vm/dirty_writeback_centisecs
# shellcheck disable=SC2086 # $config holds several options
mkfs.minix $config "$XT_DISK" >/dev/null || fail "mkfs.minix $config"
mount -t xminix "$XT_DISK" m || fail "mount $config"
namelen=$(stat -f -c %l m)
ptr=4 linkmax=65530
case $config in -1*) ptr=2 linkmax=250 ;; esac
# Each writer goes round its sequences until the power goes (under KVM a
# sequence takes a second or two, under TCG tens of seconds).
writers=()
for w in 1 2; do
	mkdir "m/w$w"
	for k in 1 2 3; do
		python3 "$ops" gen $((cut_seed * 100 + XT_BOOT * 10 + w * 3 + k)) 5000 "$namelen" 1024 \
			"$ptr" 67108864 "$linkmax" >"ops$w-$k.txt" || fail "generate"
	done
	(
		while :; do
			for k in 1 2 3; do
				python3 "$ops" run "m/w$w" "ops$w-$k.txt" nosync >/dev/null 2>>"writer$w.err" || exit 1
			done
		done
	) &
	writers+=($!)
done
# The moment of the cut: 8 to 20 seconds after the writers start, from the
# seed (a writer takes a few seconds to start under emulation).
delay=$(((cut_seed * 7919 + XT_BOOT * 104729) % 13 + 8))
sleep "$delay"
for w in 1 2; do
	if ! kill -0 "${writers[$((w - 1))]}" 2>/dev/null || [ -s "writer$w.err" ]; then
		cat "writer$w.err"
		fail "$config: writer $w ended before the cut"
	fi
done
echo "cutting the power $delay s into the workload on $config"
xt_power_cut
