#!/bin/bash
# A write-through image stays write-through: with the backing file opened
# O_SYNC (or O_DSYNC), a write to the device that has completed is on the
# backing file's disk.  What a power cut would leave is read right after the
# write returns from the disk under the backing file system, at the file's
# own blocks, with O_DIRECT (no cache of the guest in between).  The same
# write without O_SYNC is still only in the page cache at that point (the
# control: writeback is held off for the case), so the check can tell.
# Both the buffered and the direct-I/O device.
# xt-disk: 256
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
vm=/proc/sys/vm
expire=$(cat $vm/dirty_expire_centisecs)
background=$(cat $vm/dirty_background_ratio)
cleanup() {
	echo "$expire" >$vm/dirty_expire_centisecs
	echo "$background" >$vm/dirty_background_ratio
	xl_restore
	if mountpoint -q back; then umount back; fi
	return 0
}
trap cleanup EXIT
xl_fresh
# Hold writeback off: only a synchronous write puts data on the disk now.
echo 360000 >$vm/dirty_expire_centisecs
echo 90 >$vm/dirty_background_ratio

mkfs.ext4 -q -F "$XT_DISK" || fail "mkfs.ext4"
mkdir back
mount "$XT_DISK" back || fail "mount"
# Written, not sparse: the blocks and their mapping are on the disk already.
dd if=/dev/zero of=back/img bs=1M count=16 conv=fsync status=none
bs=$(stat -f -c %S back)
# The file's first block on the disk (one extent: a fresh file system).
first=$(filefrag -v -b"$bs" back/img | sed -n 's/^ *0: *0\.\. *[0-9]*: *\([0-9]*\)\.\..*/\1/p')
[ -n "$first" ] || fail "no extent map for back/img"

# on_disk OFFSET FILE: FILE's bytes are on the disk at the image's OFFSET.
on_disk() {
	dd if="$XT_DISK" bs="$bs" skip=$((first + $1 / bs)) count=$(($(stat -c %s "$2") / bs)) \
		iflag=direct status=none | cmp -s - "$2"
}

n=0
for mode in buffered dio; do
	for sync in sync nosync; do
		opts=()
		[ $mode = dio ] && opts+=(dio)
		[ $sync = sync ] && opts+=(sync)
		dev=$("$XL_PROBE" attach /dev/xloop-control xloop back/img "${opts[@]}")
		head -c 65536 /dev/urandom >data
		offset=$((n * 1048576))
		n=$((n + 1))
		dd if=data of="$dev" bs=64k seek=$((offset / 65536)) oflag=direct status=none ||
			fail "$mode $sync: write to $dev"
		if on_disk "$offset" data; then state=on-disk; else state=cached; fi
		echo "$mode $sync: $state"
		case $mode-$sync in
		*-sync) [ $state = on-disk ] || fail "$mode: a completed write to an O_SYNC image is not on its disk" ;;
		buffered-nosync) [ $state = cached ] || fail "control: the write reached the disk without O_SYNC (writeback not held off?)" ;;
		esac
		"$XL_PROBE" detach "$dev"
		sleep 0.2
	done
done
no_device_bound xloop
