#!/bin/bash
# The backing file's I/O is charged to the cgroup that issued the device's
# requests, as loop.ko charges it: a cgroup v2 io.max read limit on the
# backing disk, set for the process that attaches and reads the device,
# throttles the device's reads (buffered and direct-I/O devices), for
# xloop.ko as for loop.ko, measured side by side; the same reads outside the
# cgroup run several times faster.  And the page cache of a buffered
# device's backing file is charged to the memory cgroup of the process that
# writes to the device, as loop.ko charges it, so memory limits apply.
# xt-disk: 256
# xt-timeout: 300
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
cg=/sys/fs/cgroup
limited=$cg/xt-limited
limit=$((1024 * 1024))	# bytes per second
writers=$cg/xt-writers
cleanup() {
	xl_restore
	if mountpoint -q back; then umount back; fi
	if [ -d $limited ]; then rmdir $limited; fi
	if [ -d $writers ]; then rmdir $writers; fi
	return 0
}
trap cleanup EXIT
xl_fresh

mountpoint -q $cg || mount -t cgroup2 none $cg || fail "mount cgroup2"
grep -qw io $cg/cgroup.controllers || fail "no io controller"
echo +io >$cg/cgroup.subtree_control || fail "enable the io controller"
mkdir $limited
disk=$(cat "/sys/class/block/${XT_DISK#/dev/}/dev")
echo "$disk rbps=$limit" >$limited/io.max || fail "set io.max"

mkfs.ext4 -q -F "$XT_DISK" || fail "mkfs.ext4"
mkdir back
mount "$XT_DISK" back || fail "mount"
dd if=/dev/urandom of=back/img bs=1M count=64 conv=fsync status=none

# rate DRIVER MODE CGROUP: KiB/s of 3 s of direct 64 KiB reads of a device
# that a shell in CGROUP attached (DRIVER, buffered or dio) and reads.
rate() {
	local driver=$1 mode=$2 group=$3
	(
		echo "$BASHPID" >"$group/cgroup.procs"
		opts=()
		[ "$mode" = dio ] && opts=(dio)
		dev=$("$XL_PROBE" attach "/dev/$driver-control" "$driver" back/img "${opts[@]}")
		expect_dio "$dev" "$mode" back/img
		sync
		echo 3 >/proc/sys/vm/drop_caches
		fio --name=r --filename="$dev" --readonly --rw=read --bs=64k --direct=1 \
			--ioengine=psync --runtime=3 --time_based --minimal 2>/dev/null |
			awk -F';' '{ print $7 }'
		"$XL_PROBE" detach "$dev"
	)
	sleep 0.3
}

for mode in buffered dio; do
	stock_loop_load
	stock=$(rate loop $mode $limited)
	stock_loop_unload
	throttled=$(rate xloop $mode $limited)
	free=$(rate xloop $mode $cg)
	echo "$mode: limit $((limit / 1024)) KiB/s: loop.ko $stock, xloop.ko $throttled; outside the cgroup: xloop.ko $free"
	for r in "$stock" "$throttled" "$free"; do
		if [ -z "$r" ] || [ "$r" -le 0 ]; then fail "$mode: no throughput measured"; fi
	done
	# Throttled: at most 1.5 times the limit (blk-throttle's slices overshoot).
	[ "$stock" -le $((limit * 3 / 2 / 1024)) ] || fail "$mode: loop.ko is not throttled ($stock KiB/s): the oracle does not hold here"
	[ "$throttled" -le $((limit * 3 / 2 / 1024)) ] ||
		fail "$mode: io.max of the reader's cgroup does not throttle xloop ($throttled KiB/s)"
	[ "$free" -ge $((limit * 4 / 1024)) ] ||
		fail "$mode: outside the cgroup, xloop reads only $free KiB/s (the check cannot tell)"
done

# charged DRIVER GROUP: KiB of file pages charged to $writers while a shell
# in GROUP writes 32 MiB to a buffered device (attached from the root
# cgroup) with O_DIRECT, so that the only page cache the writes fill is the
# backing file's, through the driver.
charged() {
	local driver=$1 group=$2 dev before after
	dev=$("$XL_PROBE" attach "/dev/$driver-control" "$driver" back/img) ||
		fail "attach back/img through $driver"
	expect_dio "$dev" buffered back/img
	sync
	echo 3 >/proc/sys/vm/drop_caches
	before=$(awk '$1 == "file" { print $2 }' $writers/memory.stat)
	(
		echo "$BASHPID" >"$group/cgroup.procs"
		dd if=/dev/zero of="$dev" bs=1M count=32 oflag=direct status=none
	) || fail "$driver: write 32 MiB to $dev"
	after=$(awk '$1 == "file" { print $2 }' $writers/memory.stat)
	"$XL_PROBE" detach "$dev" || fail "detach $dev"
	sleep 0.3
	echo $(((after - before) / 1024))
}

grep -qw memory $cg/cgroup.controllers || fail "no memory controller"
echo +memory >$cg/cgroup.subtree_control || fail "enable the memory controller"
mkdir $writers
stock_loop_load
stock_in=$(charged loop $writers) || exit 1
stock_out=$(charged loop $cg) || exit 1
stock_loop_unload
ours_in=$(charged xloop $writers) || exit 1
ours_out=$(charged xloop $cg) || exit 1
echo "page cache charged to the writer's cgroup (KiB): loop.ko $stock_in, xloop.ko $ours_in;" \
	"written from outside it: loop.ko $stock_out, xloop.ko $ours_out"
# Most of the 32 MiB, and next to nothing when another cgroup writes.
if [ "$stock_in" -lt $((24 * 1024)) ] || [ "$stock_out" -gt 4096 ]; then
	fail "loop.ko does not charge the writer's cgroup here: the oracle does not hold"
fi
[ "$ours_in" -ge $((24 * 1024)) ] ||
	fail "xloop.ko charged $ours_in KiB of the 32 MiB to the writer's memory cgroup"
[ "$ours_out" -le 4096 ] ||
	fail "xloop.ko charged $ours_out KiB to a cgroup that did not write"
no_device_bound xloop
