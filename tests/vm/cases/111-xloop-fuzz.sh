#!/bin/bash
# Races and hostile arguments (tests/tools/xloop_fuzz.c):
#  1. six processes race every ioctl with randomised arguments and backing
#     descriptors of every kind, opens and closes, I/O, discards, partition
#     table changes and rescans, LOOP_CTL_ADD/REMOVE, backing files resized,
#     sysfs reads, while rmmod is tried over and over (and the module loaded
#     again whenever it went);
#  2. short-lived binds and opens while the module is unloaded and loaded
#     again in a loop;
#  3. binds with LO_FLAGS_AUTOCLEAR shared by four processes: each one's data
#     must read back while it holds the device, across detaches at last
#     close racing with opens.
# Afterwards every device can be detached, nothing holds the module and it
# unloads; the harness fails the run on any warning, oops or hung task.
# XLOOP_FUZZ_SECONDS (default 16, up to 350) and XLOOP_FUZZ_SEED set the run
# (in $BUILD/xloop-knobs.env, see kmod-lib.sh).
# xt-timeout: 900
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit
xl_fresh

fuzz=$XT_BUILD/xloop_fuzz
secs=${XLOOP_FUZZ_SECONDS:-16}
seed=${XLOOP_FUZZ_SEED:-$(date +%s)}

# unloader SECONDS: try rmmod every 50 ms; load the module again if it went.
unloader() {
	local end=$((SECONDS + $1)) reloads=0
	while [ $SECONDS -lt "$end" ]; do
		if rmmod xloop 2>/dev/null; then
			reloads=$((reloads + 1))
			insmod "$XL_KO" || { echo "insmod failed"; return 1; }
		fi
		sleep 0.05
	done
	[ -d /sys/module/xloop ] || insmod "$XL_KO"
	echo "unloader: module unloaded and loaded again $reloads times"
}

# detach_all: detach every bound device; chains need several rounds.
detach_all() {
	local d bound
	for _ in $(seq "$(hang_limit 20)"); do
		bound=0
		for d in /sys/block/xloop*; do
			[ -e "$d/loop/backing_file" ] || continue
			bound=1
			"$XL_PROBE" detach "/dev/${d##*/}" 2>/dev/null || true
		done
		[ $bound -eq 0 ] && return 0
		sleep 0.2
	done
	fail "devices still bound after 20 detach rounds: $(ls -d /sys/block/xloop*/loop 2>/dev/null)"
}

# settle: nothing bound, nothing holding the module, and it unloads cleanly.
settle() {
	detach_all
	sleep 0.3
	no_device_bound xloop
	expect_eq "module references after $1" 0 "$(cat /sys/module/xloop/refcnt)"
	rmmod xloop || fail "rmmod after $1"
	insmod "$XL_KO" || fail "insmod after $1"
}

# phase MODE SECONDS PROCS WHAT [reload]: one fuzz run (with the unloader
# beside it when "reload" is given), then settle.
phase() {
	local mode=$1 secs=$2 procs=$3 what=$4 u=
	mkdir "$mode"
	if [ "${5:-}" = reload ]; then
		unloader "$secs" >"unloader-$mode.log" &
		u=$!
	fi
	timeout -k 10 "$(hang_limit $((secs + 120)))" "$fuzz" "$mode" /dev/xloop-control xloop "$PWD/$mode" "$secs" "$procs" "$seed" ||
		fail "$what failed or hung (seed $seed)"
	if [ -n "$u" ]; then
		wait "$u" || fail "unloader"
		cat "unloader-$mode.log"
	fi
	settle "$what"
}

half=$(((secs + 1) / 2))
phase ioctl "$secs" 6 "the ioctl fuzz" reload
phase churn "$half" 4 "churn with module reloads" reload
phase autoclear "$half" 4 "the autoclear race"
