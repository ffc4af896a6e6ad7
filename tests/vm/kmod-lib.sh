# shellcheck shell=bash
# Helpers for the xloop.ko VM cases (tests/vm/cases/1xx-*.sh), sourced after
# $XT_LIB.  The harness loads xloop.ko with default parameters before the
# cases; a case that needs other parameters reloads it with xl_reload and
# calls xl_restore (via xl_restore_on_exit) so the next case finds the
# default load again.

XL_KO=$XT_MODDIR/xloop.ko
# The drop-in build: the same driver as a module named loop.
XL_DROPIN_KO=$XT_MODDIR/dropin/loop.ko
export XL_PROBE=$XT_BUILD/xloop_probe XL_PROBE32=$XT_BUILD/xloop_probe32

# Knobs for longer runs (XLOOP_FUZZ_SECONDS=600, XLOOP_LEAK_ROUNDS=200, ...):
# the guest does not see the host's environment, so they are read from
# $BUILD/xloop-knobs.env when that file exists.
if [ -f "$XT_BUILD/xloop-knobs.env" ]; then
	# shellcheck source=/dev/null
	. "$XT_BUILD/xloop-knobs.env"
fi

# xl_unload: remove xloop.ko (must succeed: no device may be left in use).
xl_unload() {
	if [ -d /sys/module/xloop ]; then
		rmmod xloop || fail "rmmod xloop failed"
	fi
}

# xl_reload [PARAM=VALUE]...: load xloop.ko afresh with these parameters.
xl_reload() {
	xl_unload
	insmod "$XL_KO" "$@" || fail "insmod xloop $*"
}

# xl_dropin_load [PARAM=VALUE]...: the drop-in loop.ko in xloop.ko's place
# (and the stock loop.ko's, which goes first).
xl_dropin_load() {
	xl_unload
	if grep -q '^loop ' /proc/modules; then rmmod loop; fi
	insmod "$XL_DROPIN_KO" "$@" || fail "insmod the drop-in loop.ko $*"
}

# xl_fresh: xloop.ko reloaded with default parameters (fresh devices).
xl_fresh() {
	xl_unload
	insmod "$XL_KO" || fail "insmod xloop"
}

# xl_restore: back to the harness's default load; no loop module (stock or
# drop-in) left loaded.
# After a failure it first detaches whatever the case left bound.
xl_restore() {
	local d
	mount | awk '$1 ~ /^\/dev\/(x?loop|ram)/ { print $3 }' | xargs -r umount 2>/dev/null
	for d in /sys/block/xloop* /sys/block/loop*; do
		[ -e "$d/loop/backing_file" ] && "$XL_PROBE" detach "/dev/${d##*/}" 2>/dev/null
	done
	sleep 0.2
	if grep -q '^loop ' /proc/modules; then rmmod loop; fi
	xl_unload
	insmod "$XL_KO"
}

xl_restore_on_exit() {
	trap 'xl_restore' EXIT
}

# The guest has no /dev/fd: no process substitution in cases.

# poll_until TENTHS COMMAND...: run COMMAND every 0.1 s until it succeeds,
# for up to TENTHS tenths of a second (a limit for a hang: scaled by
# hang_limit), a last time at the end; fails if it never does.
poll_until() {
	local tries _
	tries=$(hang_limit "$1")
	shift
	for _ in $(seq "$tries"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# dev_bound DEV: the (x)loop device DEV has a backing file; dev_unbound: not.
dev_bound() {
	[ -e "/sys/block/${1#/dev/}/loop/backing_file" ]
}
dev_unbound() { ! dev_bound "$1"; }

# stall_fuse_start IMAGE: stall_fuse.py serving IMAGE as ./fuse/img,
# controlled through ./ctl (both made here), its pid in $server; waits up to
# 30 s for its first answer (a Python start under emulation can take 5).
stall_fuse_start() {
	modprobe fuse || fail "no fuse.ko"
	wait_for /dev/fuse || fail "no /dev/fuse"
	mkdir -p fuse ctl
	python3 "$XT_TOP/tests/vm/stall_fuse.py" fuse "$1" ctl &
	# shellcheck disable=SC2034 # for the case's cleanup
	server=$!
	poll_until 300 test -e ctl/ready || fail "the FUSE server did not start"
}

# wait_for PATH: devtmpfs nodes appear asynchronously; wait up to 5 s.
wait_for() {
	poll_until 50 test -e "$1"
}

# sysrq_remount_ro MOUNTPOINT: an emergency remount read-only of every block
# device file system (sysrq-u), then wait up to 10 s for MOUNTPOINT to say
# ro; fails if it does not.
sysrq_remount_ro() {
	echo u >/proc/sysrq-trigger
	poll_until 100 mounted_ro "$1"
}

# mounted_ro MOUNTPOINT: the file system there is mounted read-only.
mounted_ro() {
	findmnt -n -o OPTIONS --mountpoint "$1" | grep -q '^ro'
}

# stock_loop_load: the oracle, loop.ko of this kernel.
stock_loop_load() {
	if grep -q '^loop ' /proc/modules; then rmmod loop; fi
	modprobe loop || fail "modprobe loop"
}

stock_loop_unload() {
	rmmod loop || fail "rmmod loop failed (a stock device left in use?)"
}

# oracle_diff STOCK_OUT XLOOP_OUT: the two runs must print the same lines.
# Lines tagged [6.12] hold behaviour that 6.12 changed; on 6.1 the stock
# driver has the old behaviour, so there they are checked against 6.12's
# values (expected in the file given as $3, if any) instead.
oracle_diff() {
	local stock=$1 ours=$2 expected=${3:-}
	case $XT_KVER in
	6.1.*)
		grep -v '^\[6\.12\]' "$stock" >"$stock.cmp" || true
		grep -v '^\[6\.12\]' "$ours" >"$ours.cmp" || true
		if [ -n "$expected" ]; then
			grep '^\[6\.12\]' "$ours" >"$ours.612" || true
			diff -u "$expected" "$ours.612" ||
				fail "xloop lacks the 6.12 behaviour on $XT_KVER"
		fi
		;;
	*)
		cp "$stock" "$stock.cmp"
		cp "$ours" "$ours.cmp"
		;;
	esac
	diff -u "$stock.cmp" "$ours.cmp" || fail "xloop.ko and loop.ko differ (- loop.ko, + xloop.ko)"
	[ -s "$ours.cmp" ] || fail "no output to compare"
}

# no_device_bound PREFIX: no disk with this prefix has a backing file.
no_device_bound() {
	local d
	for d in /sys/block/"$1"[0-9]*; do
		[ -e "$d/loop/backing_file" ] && fail "$(basename "$d") still bound"
	done
	return 0
}

# drop_caches: everything written reaches the disks, nothing stays cached.
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# expect_dio DEV MODE FILE: a device attached with direct I/O asked for (MODE
# dio*) does direct I/O wherever FILE takes O_DIRECT (not tmpfs before 6.6),
# and one attached without does not: a silent fall-back to the page cache
# would run a buffered case twice and pass.
expect_dio() {
	local want=0
	case $2 in
	dio*) dd if="$3" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null && want=1 ;;
	esac
	expect_eq "$1 ($2) loop/dio" "$want" "$(cat "/sys/block/${1#/dev/}/loop/dio")"
}
