#!/bin/bash
# A write-through image stays write-through: with the backing file opened
# O_SYNC (or O_DSYNC), a write to the device that has completed survives a
# power cut.  Four devices on one image on ext4 (buffered and direct I/O, each
# with and without O_SYNC) each write their own 64 KiB; then the power is cut
# with everything still attached and mounted, and the next boot reads the
# image back.  The control: with writeback held off, the buffered write
# without O_SYNC is only in the page cache when the power goes, and is lost
# (the check can tell a kept write from a lost one).
# xt-disk: 256
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
state=$(xt_state)
modes=(buffered-sync buffered-nosync dio-sync dio-nosync)

if [ "$XT_BOOT" = 2 ]; then
	mkdir back
	mount "$XT_DISK" back || fail "mount after the power cut (journal replay)"
	trap 'umount back' EXIT
	n=0
	for mode in "${modes[@]}"; do
		if cmp -s -n 65536 -i $((n * 1048576)):0 back/img "$state/$mode"; then
			kept=kept
		else
			kept=lost
		fi
		n=$((n + 1))
		echo "$mode: $kept"
		case $mode in
		*-sync) [ $kept = kept ] || fail "$mode: a completed write to an O_SYNC image was lost in the power cut" ;;
		buffered-nosync) [ $kept = lost ] || fail "control: the write without O_SYNC survived (writeback not held off?)" ;;
		esac
	done
	exit 0
fi

xl_fresh
# Hold writeback off: only a synchronous write puts data on the disk now.
echo 360000 >/proc/sys/vm/dirty_expire_centisecs
echo 90 >/proc/sys/vm/dirty_background_ratio

mkfs.ext4 -q -F "$XT_DISK" || fail "mkfs.ext4"
mkdir back
mount "$XT_DISK" back || fail "mount"
# Written, not sparse: the blocks and their mapping are on the disk already.
dd if=/dev/zero of=back/img bs=1M count=16 conv=fsync status=none
sync
n=0
for mode in "${modes[@]}"; do
	opts=()
	case $mode in dio-*) opts+=(dio) ;; esac
	case $mode in *-sync) opts+=(sync) ;; esac
	dev=$("$XL_PROBE" attach /dev/xloop-control xloop back/img "${opts[@]}")
	expect_dio "$dev" "$mode" back/img
	head -c 65536 /dev/urandom >"$state/$mode"
	dd if="$state/$mode" of="$dev" bs=64k seek=$((n * 16)) oflag=direct status=none ||
		fail "$mode: write to $dev"
	n=$((n + 1))
done
xt_power_cut
