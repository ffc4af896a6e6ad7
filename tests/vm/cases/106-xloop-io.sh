#!/bin/bash
# The I/O path: data integrity through buffered and direct I/O, regular files
# and block devices as backing stores, a file system on top, write errors
# reported as I/O errors, and reads past a shrunken file.
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
no_device_bound xloop
