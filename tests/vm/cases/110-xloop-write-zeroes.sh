#!/bin/bash
# DISCARD and WRITE_ZEROES as loop.ko does them, with loop.ko as the oracle.
#  1. On backing file systems that can punch and zero a range (ext4), that
#     can punch but not zero (tmpfs, and ext2, whose files have no extents),
#     and that have no fallocate at all (minix), both drivers advertise the
#     same limits, and the same zeroing
#     calls succeed or fail: BLKZEROOUT (the block layer falls back to
#     writing zeroes itself when the device cannot), and fallocate on the
#     device (punching or zeroing without that fallback: EOPNOTSUPP where the
#     backing file cannot) -- and what succeeded reads back as zeroes.  On a
#     block device (the virtio disk), the limits mirror its write-zeroes
#     limit, with its physical block size for a granularity it lacks.
#  2. The zeroes land at the request's offset even when the backing file was
#     opened O_APPEND (as every other write does), and the file keeps its
#     size.
#  3. Writes keep the backing file system's freeze protection, so freezing
#     it while zeroes are written neither changes the frozen file system
#     (ext2 warns if it does) nor deadlocks (XLOOP_FREEZE_ROUNDS, default
#     40, freeze and thaw rounds; in $BUILD/xloop-knobs.env, see kmod-lib.sh).
# xt-disk: 64
# xt-timeout: 300
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
cleanup() {
	xl_restore
	local m
	for m in t e2 e4 mx; do
		if mountpoint -q "$m"; then umount "$m"; fi
	done
	if grep -q '^brd ' /proc/modules; then rmmod brd; fi
	return 0
}
trap cleanup EXIT
xl_fresh

modprobe brd rd_nr=3 rd_size=65536 || fail "no brd"
modprobe minix || fail "no minix.ko"
mkdir t e2 e4 mx
mount -t tmpfs -o size=64M tmpfs t
mkfs.ext2 -q -F /dev/ram0 || fail "mkfs.ext2"
mount -t ext2 /dev/ram0 e2 || fail "mount ext2"
mkfs.ext4 -q -F /dev/ram1 || fail "mkfs.ext4"
mount -t ext4 /dev/ram1 e4 || fail "mount ext4"
mkfs.minix -3 /dev/ram2 >/dev/null || fail "mkfs.minix"
mount -t minix /dev/ram2 mx || fail "mount minix"

# zeroing DRIVER DIR: limits and zeroing outcomes on a device of DRIVER
# backed by a file in DIR, one line each.
zeroing() {
	local driver=$1 dir=$2 dev q
	head -c 4M /dev/urandom >"$dir/img"
	dev=$("$XL_PROBE" attach "/dev/$driver-control" "$driver" "$dir/img")
	q=/sys/block/${dev#/dev/}/queue
	echo "$dir discard_max_bytes $(cat "$q/discard_max_bytes")"
	echo "$dir discard_granularity $(cat "$q/discard_granularity")"
	echo "$dir write_zeroes_max_bytes $(cat "$q/write_zeroes_max_bytes")"
	# What each call does is compared; its message is not (it names the device).
	outcome "$dir punch (no fallback)" fallocate -p -o 0 -l 65536 "$dev"
	outcome "$dir zero range" fallocate -z -o 65536 -l 65536 "$dev"
	outcome "$dir blkzeroout" blkdiscard -z -o 131072 -l 65536 "$dev"
	outcome "$dir blkdiscard" blkdiscard -o 196608 -l 65536 "$dev"
	"$XL_PROBE" detach "$dev"
	sleep 0.2
}

# outcome WHAT COMMAND...: "WHAT: ok" with the range read back, or the error.
outcome() {
	local what=$1 err
	shift
	if err=$("$@" 2>&1); then
		echo "$what: ok"
	else
		echo "$what: failed: ${err##*: }"
	fi
}

# bdev_limits DRIVER: the limits of a device of DRIVER on the virtio disk.
bdev_limits() {
	local dev q
	dev=$("$XL_PROBE" attach "/dev/$1-control" "$1" "$XT_DISK")
	q=/sys/block/${dev#/dev/}/queue
	echo "disk discard_max_bytes $(cat "$q/discard_max_bytes")"
	echo "disk discard_granularity $(cat "$q/discard_granularity")"
	echo "disk write_zeroes_max_bytes $(cat "$q/write_zeroes_max_bytes")"
	"$XL_PROBE" detach "$dev"
	sleep 0.2
}

for driver in loop xloop; do
	if [ $driver = loop ]; then stock_loop_load; fi
	{
		for d in e4 t e2 mx; do
			zeroing $driver $d
		done
		bdev_limits $driver
	} >"$driver.out"
	if [ $driver = loop ]; then stock_loop_unload; fi
done
cat xloop.out
oracle_diff loop.out xloop.out
grep -q 'mx write_zeroes_max_bytes 0' xloop.out ||
	fail "zeroing advertised without fallocate"
# (fallocate says "keep size mode is unsupported" for EOPNOTSUPP with -p.)
grep -q 'mx punch (no fallback): failed: .*unsupported' xloop.out ||
	fail "a zeroing that may not fall back succeeded without fallocate"

# The zeroing calls that succeeded left zeroes, and only there.
check_zeroes() {
	local dir=$1 dev
	head -c 1M /dev/urandom >"$dir/img"
	cp "$dir/img" orig
	dev=$("$XL_PROBE" attach /dev/xloop-control xloop "$dir/img")
	blkdiscard -z -o 65536 -l 131072 "$dev" || fail "$dir: BLKZEROOUT on $dev"
	"$XL_PROBE" detach "$dev"
	sleep 0.2
	cmp -n 131072 -i 65536:0 "$dir/img" /dev/zero || fail "$dir: the zeroed range is not zero"
	cmp -n 65536 "$dir/img" orig || fail "$dir: data before the zeroed range changed"
	cmp -i 196608 "$dir/img" orig || fail "$dir: data after the zeroed range changed"
}
for d in e4 t e2 mx; do
	check_zeroes $d
done

# 2. O_APPEND backing file on tmpfs (no ZERO_RANGE: zeroes are written).
head -c 1M /dev/urandom >t/img
cp t/img orig
dev=$("$XL_PROBE" attach /dev/xloop-control xloop t/img append)
blkdiscard -z -o 65536 -l 131072 "$dev" || fail "BLKZEROOUT on $dev"
head -c 4096 /dev/urandom >block
dd if=block of="$dev" bs=4k seek=100 oflag=direct status=none || fail "write to $dev"
"$XL_PROBE" detach "$dev"
expect_eq "backing file size" 1048576 "$(stat -c %s t/img)"
cmp -n 131072 -i 65536:0 t/img /dev/zero || fail "the zeroed range is not zero in the file"
cmp -n 65536 t/img orig || fail "data before the zeroed range changed"
cmp -n 4096 -i 409600:0 t/img block || fail "the write did not land at its offset"
cmp -n 65536 -i 196608 t/img orig || fail "data after the zeroed range changed"

# 3. Freeze the backing file system (ext2) while zeroes are written.
truncate -s 32M e2/img
dev=$("$XL_PROBE" attach /dev/xloop-control xloop e2/img)
(
	for _ in $(seq 12); do
		blkdiscard -z "$dev" || exit 1
	done
) &
zeroer=$!
rounds=${XLOOP_FREEZE_ROUNDS:-40}
for _ in $(seq "$rounds"); do
	kill -0 "$zeroer" 2>/dev/null || break
	timeout "$(hang_limit 30)" fsfreeze -f e2 || fail "fsfreeze -f hung or failed"
	sleep 0.02
	timeout "$(hang_limit 30)" fsfreeze -u e2 || fail "fsfreeze -u hung or failed"
done
wait "$zeroer" || fail "BLKZEROOUT failed"
cmp -n 33554432 "$dev" /dev/zero || fail "$dev does not read back as zeroes"
"$XL_PROBE" detach "$dev"
sleep 0.3
no_device_bound xloop
