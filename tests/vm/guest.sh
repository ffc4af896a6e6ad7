#!/bin/bash
# Stage 2 of the test VM: PID 1 inside the host's root (read-only 9p under a
# tmpfs overlay).  Loads the modules under test, runs each planned case, scans
# the kernel log after every step, unloads the modules, checks the taint, and
# reports through /xt-out (results.tap, per-case logs) and the isa-debug-exit
# port (the number of failures, so the host can tell "finished" from "crashed").
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 HOME=/root TERM=dumb

out=/xt-out
# shellcheck source=/dev/null
. "$out/plan.env"
# shellcheck source=case-header.sh
. "$XT_TOP/tests/vm/case-header.sh"

# Fresh /tmp and /run, unless the checkout itself lives there (CI may clone
# into /tmp): the overlay already makes them writable without touching the host.
under() { case "$XT_TOP/" in "$1"/*) return 0 ;; esac; case "$XT_BUILD/" in "$1"/*) return 0 ;; esac; return 1; }
under /tmp || mount -t tmpfs -o mode=1777 tmpfs /tmp
under /run || mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/pts /dev/shm /run/lock
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# A task stuck for a minute in uninterruptible sleep is a bug, even under TCG
# (on a debug kernel, XT_TIMEOUT_SCALE minutes).
echo $((60 * ${XT_TIMEOUT_SCALE:-1})) >/proc/sys/kernel/hung_task_timeout_secs
echo 1 >/proc/sys/kernel/panic_on_oops

mkdir -p "$out/cases"
tap=$out/results.tap
# After a power cut (XT_RESUME, see run.sh) the run goes on: keep its results.
[ -n "${XT_RESUME:-}" ] || : >"$tap"
failed=0

console() { echo "$*" >/dev/console; }

# result NAME STATUS [REASON] [LOG]: record one TAP line (+ log tail on failure).
result() {
	local name=$1 status=$2 reason=${3:-} log=${4:-}
	if [ "$status" -eq 0 ]; then
		echo "ok - $name" >>"$tap"
	else
		failed=$((failed + 1))
		echo "not ok - $name # $reason" >>"$tap"
		[ -n "$log" ] && [ -s "$log" ] && tail -n 25 "$log" | sed 's/^/#   /' >>"$tap"
	fi
	console "xt: $(tail -n 1 "$tap" | grep -v '^#' || echo "not ok - $name # $reason")"
}

# kernel_clean STEP: read and clear the kernel log; fail STEP on a warning class.
kernel_clean() {
	local log=$out/cases/$1.dmesg
	dmesg -c >"$log" 2>&1
	if grep -Ev '^#|^$' "$XT_TOP/tests/vm/warning-classes.txt" | grep -Eq -f - "$log"; then
		grep -Ev '^#|^$' "$XT_TOP/tests/vm/warning-classes.txt" | grep -E -f - "$log" | head -n 5 >"$log.hits"
		[ -n "${XT_RECORD:-}" ] && return 0 # a record run logs them
		return 1
	fi
	return 0
}

# step NAME COMMAND...: run a harness step, then check the kernel log.
step() {
	local name=$1
	shift
	local log=$out/cases/$name.log rc
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	if [ $rc -ne 0 ]; then
		kernel_clean "$name"
		result "$name" 1 "exit=$rc" "$log"
	elif ! kernel_clean "$name"; then
		result "$name" 1 "kernel warning" "$out/cases/$name.dmesg.hits"
	else
		result "$name" 0
	fi
	return $rc
}

# run_case PATH: one case, in its own scratch directory, under a timeout.
run_case() {
	local path=$1 name timeout rc log reason start=$SECONDS
	name=$(basename "$path" .sh)
	log=$out/cases/$name.log
	timeout=$(case_header "$path" timeout)
	timeout=${timeout:-$XT_CASE_TIMEOUT}
	timeout=$((timeout * ${XT_TIMEOUT_SCALE:-1}))
	export XT_TMP=/tmp/xt/$name XT_CASE=$name XT_BOOT=1
	# The boot after this case cut the power (xt_power_cut).
	[ "$name" = "${XT_RESUME:-}" ] && XT_BOOT=${XT_RESUME_BOOT:-2}
	mkdir -p "$XT_TMP"
	console "xt: running $name (timeout ${timeout}s, boot $XT_BOOT)"
	# The run after a power cut goes on in the same log.
	[ "$XT_BOOT" != 1 ] || : >"$log"
	(cd "$XT_TMP" && exec timeout -k 10 "$timeout" bash "$path") >>"$log" 2>&1 </dev/null
	rc=$?
	# Its run time, for run.sh's list of the slowest (of a case that cut the
	# power: its last boot's part).
	echo $((SECONDS - start)) >"$out/cases/$name.seconds"
	# A case that returns did not cut the power, whatever it meant to do.
	rm -f "$out/power-cut"
	# Nothing a case started may outlive it (we are PID 1: this spares us).
	kill -KILL -1 2>/dev/null
	sleep 0.2
	rm -rf "$XT_TMP"
	reason=
	case $rc in
	0) ;;
	124 | 137) reason="timeout after ${timeout}s" ;;
	*) reason="exit=$rc" ;;
	esac
	if ! kernel_clean "$name"; then
		reason="${reason:+$reason, }kernel warning"
		cat "$out/cases/$name.dmesg.hits" >>"$log"
	fi
	if [ -n "$reason" ]; then
		result "$name" 1 "$reason" "$log"
	else
		result "$name" 0
	fi
}

load_modules() {
	local ko
	for ko in $XT_MODULES; do
		insmod "$ko" || return 1
	done
}

unload_modules() {
	local mods=() ko name rc=0
	for ko in $XT_MODULES; do
		mods=("$(basename "$ko" .ko)" "${mods[@]}")
	done
	for name in "${mods[@]}"; do
		name=${name//-/_}
		[ -d "/sys/module/$name" ] || continue
		if ! rmmod "$name"; then
			echo "rmmod $name failed"
			rc=1
			continue
		fi
		for _ in 1 2 3 4 5; do
			[ -d "/sys/module/$name" ] || break
			sleep 0.2
		done
		[ -d "/sys/module/$name" ] && { echo "$name still present after rmmod"; rc=1; }
	done
	return $rc
}

# Only out-of-tree (O, 4096) and unsigned (E, 8192) taints are acceptable.
taint_clean() {
	local taint
	taint=$(cat /proc/sys/kernel/tainted)
	echo "tainted=$taint"
	[ -z "${XT_RECORD:-}" ] || return 0
	[ $((taint & ~(4096 | 8192))) -eq 0 ]
}

# XT_TIMEOUT_SCALE too: a case's own limits for a hang scale as its timeout does.
export XT_TOP XT_BUILD XT_KVER XT_TIMEOUT_SCALE XT_MODDIR="$XT_BUILD/modules/$XT_KVER"
export XT_XLOOP="$XT_BUILD/xloop" XT_LIB="$XT_TOP/tests/vm/lib.sh" XT_OUT=$out
# The scratch disk a case asked for with "# xt-disk: MIB".
if [ "${XT_DISK_MIB:-0}" -gt 0 ]; then
	modprobe virtio_blk
	udevadm settle 2>/dev/null || sleep 0.5
	export XT_DISK=/dev/vda
fi

console "xt: stage 2 on $(uname -r)"
# Step names of the boots after a power cut say so (and which one, after the
# second).
again=${XT_RESUME:+-after-power-cut}
[ "${XT_RESUME_BOOT:-2}" -le 2 ] || again+=-$((XT_RESUME_BOOT - 1))
step "boot$again" true
if step "load-modules$again" load_modules; then
	# shellcheck disable=SC2153 # XT_CASES comes from plan.env
	for c in $XT_CASES; do
		run_case "$c"
	done
else
	console "xt: modules did not load; cases not run"
	for c in $XT_CASES; do
		result "$(basename "$c" .sh)" 1 "not run: modules did not load"
	done
fi
step unload-modules unload_modules
step taint taint_clean

echo "done failed=$failed" >"$out/status"
sync
code=$((failed > 127 ? 127 : failed))
# isa-debug-exit: QEMU exits with status (code << 1) | 1.
printf '%b' "\\0$(printf %o "$code")" | dd of=/dev/port bs=1 seek=244 count=1 status=none
echo o >/proc/sysrq-trigger
sleep 30
