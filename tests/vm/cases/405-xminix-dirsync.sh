#!/bin/bash
# -o dirsync on xminix.ko: a directory change that has returned survives a
# power cut.  Two xminix file systems on two partitions of the virtio disk,
# one mounted dirsync, one not, get the same files, a sync, and then only
# directory changes: renames into another directory (which grows it by new
# blocks, and its size), unlinks, hard links.  The power is cut with both
# mounted and writeback held off.  After the next boot the model lists both
# offline: on the dirsync one every change is there; on the other (the
# control) none is, which shows the check can tell a kept change from a lost
# one.  (minix.ko writes the directory block but not the directory's grown
# size, so its renames into new blocks would be lost: no oracle here.)
# xt-disk: 64
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
X=$XT_XLOOP

# listing PART DIR: the names in DIR on partition PART, one line, sorted.
listing() {
	"$X" ls "$XT_DISK$1" "$2" | LC_ALL=C sort | tr '\n' ' '
}

if [ "$XT_BOOT" = 2 ]; then
	wait_for "${XT_DISK}2" || fail "no partitions after the power cut"
	want_b=$(for i in $(seq 1 30); do echo "f$i"; done; echo h36)
	want_b=$(echo "$want_b" | LC_ALL=C sort | tr '\n' ' ')
	want_a=$(for i in $(seq 36 40); do echo "f$i"; done | LC_ALL=C sort | tr '\n' ' ')
	got_b=$(listing 1 /b) || fail "xloop ls of the dirsync file system"
	got_a=$(listing 1 /a) || fail "xloop ls of the dirsync file system"
	expect_eq "dirsync: /b after the power cut" "$want_b" "$got_b"
	expect_eq "dirsync: /a after the power cut" "$want_a" "$got_a"
	ctl_b=$(listing 2 /b) || fail "xloop ls of the control"
	expect_eq "control: /b (the renames should be lost)" "" "$ctl_b"
	echo "dirsync kept every change; the control lost them"
	exit 0
fi

grep -qw xminix /proc/filesystems || fail "xminix is not registered"
# Hold writeback off: only what is written synchronously reaches the disk.
echo 360000 >/proc/sys/vm/dirty_expire_centisecs
echo 90 >/proc/sys/vm/dirty_background_ratio
printf 'size=30M\n,\n' | sfdisk -q "$XT_DISK" >/dev/null || fail "sfdisk $XT_DISK"
wait_for "${XT_DISK}2" || fail "no ${XT_DISK}2"
for p in 1 2; do
	mkfs.minix -3 "$XT_DISK$p" >/dev/null || fail "mkfs.minix on $XT_DISK$p"
	mkdir -p "m$p"
done
mount -t xminix -o dirsync "${XT_DISK}1" m1 || fail "mount -o dirsync"
mount -t xminix "${XT_DISK}2" m2 || fail "mount"
grep -q "^${XT_DISK}1 .*dirsync" /proc/mounts || fail "dirsync not in /proc/mounts"
for p in 1 2; do
	mkdir "m$p/a" "m$p/b"
	for i in $(seq 1 40); do echo "$i" >"m$p/a/f$i"; done
done
sync
for p in 1 2; do
	# 30 entries of 64 bytes: /b grows from one block to two.
	for i in $(seq 1 30); do mv "m$p/a/f$i" "m$p/b/"; done
	for i in $(seq 31 35); do rm "m$p/a/f$i"; done
	ln "m$p/a/f36" "m$p/b/h36"
done
xt_power_cut
