#!/bin/bash
# The I/O path: data integrity through buffered and direct I/O, regular files
# and block devices as backing stores, a file system on top, write errors
# reported as I/O errors, reads past a shrunken file, and the sector size and
# direct I/O chosen over a 4Kn backing device.
# xt-timeout: 240
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit
xl_fresh

# check_data DEV BACKING OFFSET: random data written through DEV lands in
# BACKING at OFFSET and reads back the same, with and without O_DIRECT.
check_data() {
	local dev=$1 backing=$2 offset=$3
	head -c 4M /dev/urandom >data
	dd if=data of="$dev" bs=1M oflag=direct status=none || fail "$dev: direct write"
	cmp -n 4194304 data "$dev" || fail "$dev: buffered read differs"
	dd if="$dev" of=back bs=1M count=4 iflag=direct status=none || fail "$dev: direct read"
	cmp data back || fail "$dev: direct read differs"
	dd if=data of="$dev" bs=64k conv=fsync status=none || fail "$dev: buffered write"
	cmp -n 4194304 -i "$offset:0" "$backing" data ||
		fail "$dev: backing store differs at offset $offset"
}

# 1. A regular file, buffered.
truncate -s 16M img
dev=$("$XL_PROBE" attach /dev/xloop-control xloop img)
check_data "$dev" img 0
expect_eq "dio off" 0 "$(cat "/sys/block/${dev#/dev/}/loop/dio")"
"$XL_PROBE" detach "$dev"

# 2. A block device (brd) as backing store, direct I/O.
modprobe brd rd_nr=1 rd_size=32768 || fail "no brd"
dev=$("$XL_PROBE" attach /dev/xloop-control xloop /dev/ram0 dio)
expect_eq "dio on a block device" 1 "$(cat "/sys/block/${dev#/dev/}/loop/dio")"
check_data "$dev" /dev/ram0 0
# FLUSH and WRITE_ZEROES on a block device backing.
blkdiscard -z -o 0 -l 1048576 "$dev" || fail "zeroout on a bdev-backed device"
cmp -n 1048576 /dev/zero /dev/ram0 || fail "zeroout did not zero the backing device"
"$XL_PROBE" detach "$dev"

# 3. A file system on top: mkfs, write, fsck.
truncate -s 32M fs.img
dev=$("$XL_PROBE" attach /dev/xloop-control xloop fs.img)
mkfs.ext4 -q -F "$dev" || fail "mkfs.ext4 on $dev"
mkdir mnt
mount "$dev" mnt || fail "mount $dev"
cp data mnt/data && sync
umount mnt
mount -o ro "$dev" mnt || fail "mount -o ro $dev"
cmp data mnt/data || fail "file system data differs"
umount mnt
fsck.ext4 -n -f "$dev" >/dev/null || fail "fsck after the test"
"$XL_PROBE" detach "$dev"

# 4. Write errors become I/O errors: a backing file on a full file system.
mkdir small
mount -t tmpfs -o size=1M tmpfs small
truncate -s 8M small/img
dev=$("$XL_PROBE" attach /dev/xloop-control xloop small/img)
expect_fail dd if=/dev/zero of="$dev" bs=1M count=4 oflag=direct status=none
"$XL_PROBE" detach "$dev"
sleep 0.3
umount small

# 5. Reads past the end of a backing file that shrank fail, never hang.
truncate -s 1M short
dev=$("$XL_PROBE" attach /dev/xloop-control xloop short)
truncate -s 256K short
dd if="$dev" of=/dev/null bs=4k count=1 skip=100 iflag=direct status=none 2>/dev/null &&
	fail "read past the end of the backing file succeeded"
dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none || fail "read before the end failed"
"$XL_PROBE" detach "$dev"
sleep 0.3
rmmod brd

# 6. A 4Kn backing device (null_blk, 4096-byte sectors).  Direct I/O asked
#    for, by the flag or by opening the backing device O_DIRECT, makes the
#    device default to the backing sector size, so that direct I/O works
#    (6.1's loop.ko keys this on O_DIRECT, 6.12's on the flag: xloop on
#    either); asked for by neither, 512-byte sectors and the page cache.
modprobe null_blk nr_devices=1 bs=4096 memory_backed=1 gb=1 || fail "no null_blk"
wait_for /dev/nullb0 || fail "no /dev/nullb0"
expect_eq "null_blk sector size" 4096 "$(blockdev --getss /dev/nullb0)"
for how in odirect dio none; do
	opts=()
	[ $how = none ] || opts=("$how")
	dev=$("$XL_PROBE" attach /dev/xloop-control xloop /dev/nullb0 "${opts[@]}")
	got="$(blockdev --getss "$dev") $(cat "/sys/block/${dev#/dev/}/loop/dio")"
	case $how in
	none) expect_eq "4Kn backing, buffered: sector size, dio" "512 0" "$got" ;;
	*) expect_eq "4Kn backing, direct I/O by $how: sector size, dio" "4096 1" "$got" ;;
	esac
	"$XL_PROBE" detach "$dev"
	sleep 0.2
done
rmmod null_blk
no_device_bound xloop
