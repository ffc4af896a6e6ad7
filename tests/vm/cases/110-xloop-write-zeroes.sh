#!/bin/bash
# WRITE_ZEROES where the backing file system cannot zero a range (tmpfs and
# ext2 have no FALLOC_FL_ZERO_RANGE): xloop writes zero pages instead.
#  1. The zeroes land at the request's offset even when the backing file was
#     opened O_APPEND (as every other write does), and the file keeps its
#     size.
#  2. The fallocate attempt and the fallback keep the file system's freeze
#     protection (the fallback once per write, not nested), so freezing the
#     backing file system while zeroes are being written neither changes
#     the frozen file system (ext4 warns if it does) nor deadlocks
#     (XLOOP_FREEZE_ROUNDS, default 40, freeze and thaw rounds; in
#     $BUILD/xloop-knobs.env, see kmod-lib.sh).
# xt-timeout: 240
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit
xl_fresh

# 1. O_APPEND backing file on tmpfs.
mkdir t
mount -t tmpfs -o size=64M tmpfs t
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
sleep 0.3
umount t

# 2. Freeze the backing file system (ext2: no ZERO_RANGE, but freezable)
#    while the fallback runs.
modprobe brd rd_nr=1 rd_size=65536 || fail "no brd"
mkfs.ext2 -q -F /dev/ram0 || fail "mkfs.ext2"
mkdir e2
mount -t ext2 /dev/ram0 e2 || fail "mount ext2"
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
	timeout 30 fsfreeze -f e2 || fail "fsfreeze -f hung or failed"
	sleep 0.02
	timeout 30 fsfreeze -u e2 || fail "fsfreeze -u hung or failed"
done
wait "$zeroer" || fail "BLKZEROOUT failed"
cmp -n 33554432 "$dev" /dev/zero || fail "$dev does not read back as zeroes"
"$XL_PROBE" detach "$dev"
sleep 0.3
umount e2
rmmod brd
no_device_bound xloop
