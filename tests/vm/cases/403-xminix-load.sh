#!/bin/bash
# xminix.ko where users mount it: on the virtio disk itself, and on an image
# in a file on ext4 (journalled, relatime) attached through xloop.ko
# (buffered and direct I/O) and through the stock loop.ko.  On each: the
# fsx-style checker (random reads, writes, holes, truncates and shared
# mapping writes against a shadow, remounts with dropped caches between),
# the metadata pattern after sync and drop_caches, and a parallel
# stress-ng load; then umount, fsck.minix -f and xloop fsck -f clean, and
# the data read back after a remount.
# xt-disk: 512
# xt-timeout: 1500
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../backing-lib.sh
. "$XT_TOP/tests/vm/backing-lib.sh"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap backing_cleanup EXIT
xl_fresh
OPS=${XT_FSX_OPS:-1000}

# load_xminix DEV SEED: the whole story on DEV.
load_xminix() {
	local dev=$1 seed=$2
	step "mkfs $dev"
	mkfs.minix -3 "$dev" >/dev/null || fail "mkfs.minix on $dev"
	mkdir -p upper
	mount -t xminix "$dev" upper || fail "mount xminix $dev"
	step fsx
	python3 "$XT_TOP/tests/vm/fsx.py" upper/fsx.dat "$OPS" "$seed" \
		"umount upper && echo 3 >/proc/sys/vm/drop_caches && mount -t xminix $dev upper" ||
		fail "fsx on $dev"
	data_put upper
	step metadata
	load_metadata upper
	step parallel
	load_parallel upper "${XT_LOAD_SECONDS:-5}"
	step fsck
	umount upper || fail "umount $dev"
	fsck.minix -f "$dev" >fsck.out 2>&1 || { cat fsck.out; fail "fsck.minix on $dev"; }
	"$XLOOP" fsck -f "$dev" >fsck.out 2>&1 || { cat fsck.out; fail "xloop fsck on $dev"; }
	mount -t xminix "$dev" upper || fail "remount xminix $dev"
	drop_caches
	data_check upper
	umount upper
}

echo "== the virtio disk"
load_xminix "$XT_DISK" 1

backing_mount ext4 back
for mode in buffered dio; do
	echo "== xloop.ko ($mode), image on ext4"
	truncate -s 200M back/img
	dev=$(image_attach xloop back/img "$mode")
	load_xminix "$dev" 2
	image_detach "$dev"
	rm -f back/img
done
echo "== loop.ko, image on ext4"
stock_loop_load
truncate -s 200M back/img
dev=$(image_attach loop back/img buffered)
load_xminix "$dev" 3
image_detach "$dev"
stock_loop_unload
backing_umount back
no_device_bound xloop
