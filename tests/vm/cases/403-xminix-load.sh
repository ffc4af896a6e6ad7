#!/bin/bash
# xminix.ko where users mount it: on the virtio disk itself, and on an image
# in a file on ext4 (journalled, relatime) attached through xloop.ko
# (buffered and direct I/O) and through the stock loop.ko.  On each: the
# fsx-style checker (random reads, writes, holes, truncates, shared
# mapping writes and O_DIRECT against a shadow, remounts with dropped
# caches between),
# the metadata pattern after sync and drop_caches, and a parallel
# stress-ng load; then umount, fsck.minix -f and xloop fsck -f clean, and
# the data read back after a remount.  On the disk, also umount and
# remount,ro refused under load, umount -l under load, and writes through a
# shared mapping into holes kept by remount,ro (busy_unmount),
# and a forced remount read-only under load (sysrq-u, forced_ro): writes
# through descriptors opened before it fail with EROFS, and the image it
# leaves is clean; minix.ko's result under the same load is recorded.
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

# busy_unmount DEV: with a load running inside the mount (its working
# directory there) and a file held open for writing, remount,ro and umount
# are refused (EBUSY; umount exits 32, as mount(8) says busy); umount -l
# detaches it and the load runs on; when the load ends the file system shuts
# down and both fsck tools find it clean; then, idle, remount,ro works and
# the read-only mount checks clean too.
busy_unmount() {
	local dev=$1 load rc
	mkdir -p upper/busy
	(cd upper/busy && exec timeout -k 10 "$(hang_limit 60)" stress-ng --temp-path . --hdd 2 \
		--hdd-bytes 4M --dir 1 --dir-dirs 64 --rename 1 --timeout 8s --quiet) &
	load=$!
	exec 9>upper/busy/held
	sleep 3
	rc=0
	mount -o remount,ro upper 2>busy.err || rc=$?
	[ "$rc" -ne 0 ] || fail "remount,ro with a file open for writing succeeded"
	grep -q busy busy.err || { cat busy.err; fail "remount,ro under load: not busy"; }
	rc=0
	umount upper 2>busy.err || rc=$?
	[ "$rc" -eq 32 ] || { cat busy.err; fail "umount under load: exit $rc, not 32"; }
	umount -l upper || fail "umount -l under load"
	exec 9>&-
	wait "$load" || fail "the load failed after the lazy unmount"
	fsck.minix -f "$dev" >fsck.out 2>&1 || { cat fsck.out; fail "fsck.minix after umount -l"; }
	"$XLOOP" fsck -f "$dev" >fsck.out 2>&1 || { cat fsck.out; fail "xloop fsck after umount -l"; }
	mount -t xminix "$dev" upper || fail "mount after umount -l"
	[ -f upper/busy/held ] || fail "the file held open across umount -l is gone"
	# Writes through a shared mapping into holes get their zones from the
	# remount's own sync: a plain remount,ro keeps them.
	python3 - upper/busy/holes <<'PY' || fail "writes through a shared mapping"
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 1 << 20)
m = mmap.mmap(fd, 1 << 20)
m[409600:409605] = b'hello'
m.close()
os.close(fd)
PY
	mount -o remount,ro upper || fail "remount,ro when idle"
	fsck.minix -f "$dev" >fsck.out 2>&1 || { cat fsck.out; fail "fsck.minix after remount,ro"; }
	umount upper || fail "umount after remount,ro"
	mount -t xminix -o ro "$dev" upper || fail "mount read-only again"
	expect_eq "a shared mapping's write into a hole, across remount,ro" hello \
		"$(dd if=upper/busy/holes bs=1 skip=409600 count=5 2>/dev/null)"
	mount -o remount,rw upper || fail "remount,rw"
}

# forced_ro DEV TYPE: an emergency remount read-only (sysrq-u: every block
# device file system, none of which may refuse) while a load writes, files
# are held open for writing (one of them unlinked); then the writes through
# them fail, and after the unmount both fsck tools say whether the image is
# clean ("clean" or "not clean" on stdout).  Leaves DEV mounted again.
forced_ro() {
	local dev=$1 type=$2 load rc verdict=clean
	mkdir -p upper/forced
	(cd upper/forced && exec timeout -k 10 "$(hang_limit 60)" stress-ng --temp-path . --hdd 2 \
		--hdd-bytes 4M --dir 1 --dir-dirs 64 --rename 1 --timeout 6s --quiet) \
		>/dev/null 2>&1 &
	load=$!
	exec 8>>upper/forced/appended 7>upper/forced/unlinked
	rm upper/forced/unlinked
	printf '%4096s' x >&8
	printf '%4096s' x >&7
	sleep 2
	sysrq_remount_ro upper || fail "$type: not read-only after sysrq-u"
	sleep 2
	rc=0
	printf '%65536s' x >&8 2>/dev/null || rc=$?
	[ "$rc" -ne 0 ] || [ "$type" = minix ] ||
		fail "$type: a write through a descriptor opened before the forced remount succeeded"
	wait "$load" || true
	exec 8>&- 7>&-
	umount upper || fail "$type: umount after the forced remount"
	fsck.minix -f "$dev" >fsck.out 2>&1 || verdict="not clean"
	"$XLOOP" fsck -f "$dev" >>fsck.out 2>&1 || verdict="not clean"
	echo "$type: the image after a forced remount read-only under load: $verdict"
	if [ "$verdict" != clean ] && [ "$type" = xminix ]; then
		cat fsck.out
		fail "xminix: forced remount read-only left an image fsck does not pass"
	fi
	mount -t "$type" "$dev" upper || fail "$type: mount after the forced remount"
}

# load_xminix DEV SEED [busy]: the whole story on DEV.
load_xminix() {
	local dev=$1 seed=$2
	step "mkfs $dev"
	mkfs.minix -3 "$dev" >/dev/null || fail "mkfs.minix on $dev"
	mkdir -p upper
	mount -t xminix "$dev" upper || fail "mount xminix $dev"
	step fsx
	FSX_DIRECT=1 python3 "$XT_TOP/tests/vm/fsx.py" upper/fsx.dat "$OPS" "$seed" \
		"umount upper && echo 3 >/proc/sys/vm/drop_caches && mount -t xminix $dev upper" ||
		fail "fsx on $dev"
	data_put upper
	step metadata
	load_metadata upper
	step parallel
	load_parallel upper "${XT_LOAD_SECONDS:-5}"
	if [ "${3:-}" = busy ]; then
		step "umount and remount,ro under load"
		busy_unmount "$dev"
		step "forced remount read-only under load"
		forced_ro "$dev" xminix
		umount upper
		# minix.ko under the same load, on an image of its own: recorded.
		truncate -s 128M minix.img
		mkfs.minix -3 minix.img >/dev/null || fail "mkfs.minix minix.img"
		stock_loop_load
		mdev=$(image_attach loop "$PWD/minix.img" buffered)
		modprobe minix || fail "modprobe minix"
		mount -t minix "$mdev" upper || fail "mount minix $mdev"
		forced_ro "$mdev" minix
		umount upper
		image_detach "$mdev"
		stock_loop_unload
		rm -f minix.img
		mount -t xminix "$dev" upper || fail "mount xminix $dev again"
	fi
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
load_xminix "$XT_DISK" 1 busy

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
