#!/bin/bash
# The backing file's I/O is charged to the cgroup that issued the device's
# requests, as loop.ko charges it: a cgroup v2 io.max read limit on the
# backing disk, set for the process that attaches and reads the device,
# throttles the device's reads (buffered and direct-I/O devices), for
# xloop.ko as for loop.ko, measured side by side; the same reads outside the
# cgroup run several times faster.  And the page cache of a buffered
# device's backing file (on ext4 and XFS) is charged to the memory cgroup of
# the process that writes to the device, as loop.ko charges it, not to
# another writer's, and that cgroup's memory.max holds it: the limit is
# reached and xloop.ko's writer finishes.  Both drivers' writers are at
# times OOM-killed there (6.12, about one write in a hundred, under load):
# the worker's GFP_NOIO charge does not reclaim the backing file's clean
# pages in time.  loop.ko's kill is reported; xloop.ko's writer gets a
# second try after one, and a second kill, or any other failure, fails.
# xt-disk: 512
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
	# Each step on its own: one that fails does not keep the next.
	xl_restore || true
	if mountpoint -q back; then umount back || true; fi
	if [ -d $limited ]; then rmdir $limited || true; fi
	if [ -d $writers ]; then rmdir $writers || true; fi
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

# in_cgroup GROUP COMMAND...: COMMAND in a shell moved into GROUP.
in_cgroup() {
	local group=$1
	shift
	(
		echo "$BASHPID" >"$group/cgroup.procs" || exit 1
		"$@"
	)
}

# attach_and_read DRIVER MODE: KiB/s of 3 s of direct 64 KiB reads of a
# device this shell attaches (DRIVER, buffered or dio) and reads.
attach_and_read() {
	local driver=$1 mode=$2 opts=() dev
	[ "$mode" = dio ] && opts=(dio)
	dev=$("$XL_PROBE" attach "/dev/$driver-control" "$driver" back/img "${opts[@]}")
	expect_dio "$dev" "$mode" back/img
	drop_caches
	fio --name=r --filename="$dev" --readonly --rw=read --bs=64k --direct=1 \
		--ioengine=psync --runtime=3 --time_based --minimal 2>/dev/null |
		awk -F';' '{ print $7 }'
	"$XL_PROBE" detach "$dev"
}

# rate DRIVER MODE CGROUP: attach_and_read from a shell in CGROUP.
rate() {
	in_cgroup "$3" attach_and_read "$1" "$2"
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

# file_kib GROUP: KiB of page cache charged to GROUP.
file_kib() {
	awk '$1 == "file" { print int($2 / 1024) }' "$1/memory.stat"
}

# event GROUP NAME: the count of memory.events NAME of GROUP.
event() {
	awk -v n="$2" '$1 == n { print $2 }' "$1/memory.events"
}

# charging DRIVER: for a buffered device over back/img, attached from the
# root cgroup: the KiB of page cache charged to $writers while a shell in
# it writes the image's first 32 MiB, then while the root cgroup writes the
# next 32 MiB, both to the same device; then the same writer under a
# memory.max of 16 MiB writing all 64 MiB, xloop.ko's twice if killed:
# "IN OUT MAX OOM" (MAX: times the limit was hit, OOM: kills, both tries).
# The writes are O_DIRECT, so the only page cache they fill is the backing
# file's, through the driver.
charging() {
	local driver=$1 dev in out max oom before try kills
	dev=$("$XL_PROBE" attach "/dev/$driver-control" "$driver" back/img) ||
		fail "attach back/img through $driver"
	expect_dio "$dev" buffered back/img
	drop_caches
	before=$(file_kib $writers)
	in_cgroup $writers dd if=/dev/zero of="$dev" bs=1M count=32 oflag=direct status=none ||
		fail "$driver: write 32 MiB to $dev from $writers"
	in=$(($(file_kib $writers) - before))
	before=$(file_kib $writers)
	in_cgroup $cg dd if=/dev/zero of="$dev" bs=1M seek=32 count=32 oflag=direct status=none ||
		fail "$driver: write 32 MiB to $dev from the root cgroup"
	out=$(($(file_kib $writers) - before))
	drop_caches
	max=$(event $writers max) oom=$(event $writers oom_kill)
	echo 16M >$writers/memory.max || fail "set memory.max"
	# A kill (see the header): loop.ko's is counted and reported below,
	# xloop.ko's writer tries once more.
	for try in 1 2; do
		kills=$(event $writers oom_kill)
		# exec: dd alone in the cgroup, the only task a kill can take.
		if in_cgroup $writers exec dd if=/dev/zero of="$dev" bs=1M count=64 oflag=direct conv=fsync status=none; then
			break
		fi
		[ "$driver" = loop ] && break
		if [ "$try" = 2 ] || [ "$(event $writers oom_kill)" = "$kills" ]; then
			fail "$driver: write 64 MiB to $dev under memory.max"
		fi
	done
	max=$(($(event $writers max) - max)) oom=$(($(event $writers oom_kill) - oom))
	echo max >$writers/memory.max
	"$XL_PROBE" detach "$dev" || fail "detach $dev"
	sleep 0.3
	echo "$in $out $max $oom"
}

grep -qw memory $cg/cgroup.controllers || fail "no memory controller"
echo +memory >$cg/cgroup.subtree_control || fail "enable the memory controller"
mkdir $writers
# On ext4 (buffered writes that block) and XFS (NOWAIT buffered writes).
for fs in ext4 xfs; do
	umount back || fail "umount back"
	case $fs in
	ext4) mkfs.ext4 -q -F "$XT_DISK" ;;
	xfs) mkfs.xfs -q -f "$XT_DISK" ;;
	esac || fail "mkfs.$fs"
	mount "$XT_DISK" back || fail "mount $fs"
	dd if=/dev/zero of=back/img bs=1M count=64 conv=fsync status=none || fail "write back/img"
	stock_loop_load
	figures=$(charging loop) || exit 1
	read -r s_in s_out s_max s_oom <<<"$figures"
	stock_loop_unload
	figures=$(charging xloop) || exit 1
	read -r x_in x_out x_max x_oom <<<"$figures"
	echo "$fs: page cache charged to the writer's cgroup (KiB): loop.ko $s_in, xloop.ko $x_in;" \
		"while another cgroup writes: loop.ko $s_out, xloop.ko $x_out;" \
		"under memory.max 16M, limit hit: loop.ko $s_max, xloop.ko $x_max times, OOM kills $s_oom, $x_oom"
	# Most of the 32 MiB, next to nothing when another cgroup writes, and
	# the limit reached (by the backing file's pages).
	if [ "$s_in" -lt $((24 * 1024)) ] || [ "$s_out" -gt 4096 ] || [ "$s_max" -lt 1 ]; then
		fail "$fs: loop.ko does not charge the writer's cgroup here: the oracle does not hold"
	fi
	[ "$x_in" -ge $((24 * 1024)) ] ||
		fail "$fs: xloop.ko charged $x_in KiB of the 32 MiB to the writer's memory cgroup"
	[ "$x_out" -le 4096 ] ||
		fail "$fs: xloop.ko charged $x_out KiB to a cgroup that did not write"
	[ "$x_max" -ge 1 ] ||
		fail "$fs: writing 64 MiB through xloop.ko never reached the writer's memory.max of 16 MiB"
	[ "$x_oom" -le 1 ] ||
		fail "$fs: $x_oom OOM kills in the writer's cgroup through xloop.ko (loop.ko $s_oom)"
	[ "$s_oom" = 0 ] || echo "$fs: loop.ko's writer was OOM-killed under memory.max (recorded)"
	[ "$x_oom" = 0 ] || echo "$fs: xloop.ko's writer was OOM-killed under memory.max, and finished on its second try (recorded)"
done
no_device_bound xloop
