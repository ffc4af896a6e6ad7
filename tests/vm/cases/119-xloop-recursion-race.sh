#!/bin/bash
# Two binds racing must not close a cycle.  Two read-only devices each carry
# a mounted file system holding a file the size of the other's image (sparse:
# LOOP_CHANGE_FD wants the same size); each round, LOOP_CHANGE_FD of the first
# onto the file in the second's file system and of the second onto the file in
# the first's run at once.  One of them may succeed, never both (that would be
# xloop0 -> fs on xloop1 -> xloop1 -> fs on xloop0 -> xloop0: I/O that waits
# on itself).  The winner is switched back after each round.  The path lookups
# of the check run with no lock held; what keeps the race out is the walk
# under the global lock.  XLOOP_RACE_ROUNDS (default 40) in
# $BUILD/xloop-knobs.env, see kmod-lib.sh.
# xt-timeout: 300
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
cleanup() {
	local m
	exec 3<&- 4<&-
	wait
	for m in m0 m1; do
		if mountpoint -q $m; then umount $m; fi
	done
	xl_restore
	return 0
}
trap cleanup EXIT
xl_fresh

mkdir m0 m1
# Minix: no journal to abort, no shutdown when 6.12 marks a switched
# device's file system dead (LOOP_CHANGE_FD is a media change there).
modprobe minix || fail "no minix.ko"
for i in 0 1; do
	truncate -s 16M img$i
	mkfs.minix -3 img$i >/dev/null || fail "mkfs.minix img$i"
done
# The files each file system holds: the other image's size, sparse.
for i in 0 1; do
	dev=$("$XL_PROBE" attach /dev/xloop-control xloop img$i)
	mount -t minix "$dev" m$i || fail "mount $dev"
	truncate -s 16M m$i/other
	umount m$i
	"$XL_PROBE" detach "$dev"
done
sleep 0.3
d0=$("$XL_PROBE" attach /dev/xloop-control xloop img0 ro)
d1=$("$XL_PROBE" attach /dev/xloop-control xloop img1 ro)
mount -t minix -o ro "$d0" m0 || fail "mount $d0"
mount -t minix -o ro "$d1" m1 || fail "mount $d1"

# Opened once, before any switch: a lookup in a file system while its device
# is switched to the other file (zeroes) would read garbage metadata.  The
# probes take the descriptors as they are.
exec 3<m1/other 4<m0/other
rounds=${XLOOP_RACE_ROUNDS:-40}
wins=0
for r in $(seq "$rounds"); do
	"$XL_PROBE" changefd "$d0" fd:3 >r0 &
	p0=$!
	"$XL_PROBE" changefd "$d1" fd:4 >r1 &
	p1=$!
	wait "$p0" "$p1"
	a=$(cat r0) b=$(cat r1)
	if [ "$a" = "change_fd: 0" ] && [ "$b" = "change_fd: 0" ]; then
		fail "round $r: both LOOP_CHANGE_FDs succeeded: $d0 and $d1 now back each other"
	fi
	for res in "$a" "$b"; do
		case $res in
		"change_fd: 0" | "change_fd: EBADF") ;;
		*) fail "round $r: unexpected result: $res" ;;
		esac
	done
	# Switch the winner back to its image (before anything reads through it).
	if [ "$a" = "change_fd: 0" ]; then
		wins=$((wins + 1))
		expect_eq "round $r: $d0 back" "change_fd: 0" "$("$XL_PROBE" changefd "$d0" img0)"
	fi
	if [ "$b" = "change_fd: 0" ]; then
		wins=$((wins + 1))
		expect_eq "round $r: $d1 back" "change_fd: 0" "$("$XL_PROBE" changefd "$d1" img1)"
	fi
done
echo "$rounds rounds, $wins won by one side, none by both"
[ "$wins" -gt 0 ] || fail "no LOOP_CHANGE_FD ever succeeded: the race was never run"
exec 3<&- 4<&-
umount m0 m1
"$XL_PROBE" detach "$d0"
"$XL_PROBE" detach "$d1"
sleep 0.3
no_device_bound xloop
