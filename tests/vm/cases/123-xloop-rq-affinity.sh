#!/bin/bash
# Requests end where the queue's rq_affinity says, as loop.ko's do: with
# rq_affinity=2 every request ends on the CPU that submitted it (the block
# layer's completion, not the worker that did the backing I/O, nor the CPU
# that took the backing disk's interrupt), while the device's workers are
# kept to the other CPU (the workqueues' unbound cpumask).  The reader and
# writer are pinned to CPU 0; the CPU each request ended on is taken from
# the block_rq_complete tracepoint.  The image is a file on ext4 on the
# virtio disk, attached buffered and with direct I/O (asynchronous, ended
# from the disk's completion), through xloop.ko and then loop.ko (the
# oracle); both must end every request on CPU 0.
# xt-disk: 64
# xt-timeout: 240
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
[ "$(nproc)" -ge 2 ] || fail "needs two CPUs"
tracing=/sys/kernel/tracing
event=$tracing/events/block/block_rq_complete/enable
mountpoint -q "$tracing" || mount -t tracefs nodev "$tracing" || fail "mount tracefs"
wq_mask=/sys/devices/virtual/workqueue/cpumask
old_mask=$(cat "$wq_mask")
mkdir -p lower
cleanup() {
	echo 0 >"$event" || true
	echo "$old_mask" >"$wq_mask" || true
	xl_restore
	umount lower 2>/dev/null || true
}
trap cleanup EXIT
xl_fresh
mkfs.ext4 -q -F "$XT_DISK" || fail "mkfs.ext4"
mount "$XT_DISK" lower || fail "mount ext4"
truncate -s 16M lower/img
# Unbound workers (xloop's and loop.ko's) on CPU 1 only.
echo 2 >"$wq_mask" || fail "cannot set the workqueues' cpumask"

# check DRIVER DEV MODE: DEV attached MODE (buffered or dio, expect_dio);
# direct reads and writes of DEV from CPU 0, 400 requests, must all end on
# CPU 0.
check() {
	local what=$1 dev=$2 name majmin got
	name=${dev#/dev/}
	expect_dio "$dev" "$3" lower/img
	majmin=$(tr : , <"/sys/block/$name/dev")
	echo 2 >"/sys/block/$name/queue/rq_affinity" || fail "$dev: rq_affinity"
	: >"$tracing/trace"
	taskset -c 0 dd if=/dev/zero of="$dev" bs=4k count=200 oflag=direct status=none ||
		fail "$dev: write"
	taskset -c 0 dd if="$dev" of=/dev/null bs=4k count=200 iflag=direct status=none ||
		fail "$dev: read"
	# "dd-123 [000] ..... 1.2: block_rq_complete: 7,0 R () 8 + 8 [0]": the
	# CPU is the first bracketed number (a task name may hold spaces).
	awk -v d="$majmin" 'index($0, "block_rq_complete: " d " ") {
		match($0, /\[[0-9]+\]/); n[substr($0, RSTART + 1, RLENGTH - 2) + 0]++ }
		END { for (c in n) printf "%s:%d ", c, n[c] }' "$tracing/trace" >ends.out
	got=$(cat ends.out)
	echo "$what $dev: requests ended on CPU:count $got"
	[ "$got" = "0:400 " ] || fail "$what $dev: requests ended on $got, not all on CPU 0"
}

# The event stays on for all four checks: switching a tracepoint patches
# kernel text, which a vCPU running it under TCG can trip over (an int3
# Oops, DEVELOPERS.md); twice is the least.
echo 1 >"$event" || fail "cannot enable block_rq_complete"
dev=$("$XL_PROBE" attach /dev/xloop-control xloop lower/img)
check xloop.ko "$dev" buffered
"$XL_PROBE" detach "$dev"
dev=$("$XL_PROBE" attach /dev/xloop-control xloop lower/img dio)
check "xloop.ko, direct I/O" "$dev" dio
"$XL_PROBE" detach "$dev"

xl_unload
stock_loop_load
dev=$(losetup -f --show lower/img)
check loop.ko "$dev" buffered
losetup -d "$dev"
dev=$(losetup -f --show --direct-io=on lower/img)
check "loop.ko, direct I/O" "$dev" dio
losetup -d "$dev"
stock_loop_unload
