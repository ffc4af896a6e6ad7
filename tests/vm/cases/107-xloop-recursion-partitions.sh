#!/bin/bash
# Recursion through partitions and file systems.  Without max_part, the
# partitions of a device live on the extended major (259), not on the
# driver's own; and a backing file may sit on a file system that lives on a
# loop device.  Neither hides a cycle: a bind or CHANGE_FD that would make a
# device's I/O wait on itself is refused, EINVAL when the chain meets an
# unbound device (the one being bound among them, as loop.ko says for its
# own partitions), EBADF when it comes back to the bound device.  No step
# does I/O on a device that a broken check let into a cycle.  (A partition
# no longer outlives its device's detach, so none leads to an unbound one.)
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit
xl_fresh
modprobe loop

changefd() { "$XL_PROBE" changefd "$1" "$2"; }
setfd() { "$XL_PROBE" setfd "$1" "$2"; }

# 1. A bound read-only device with a partition covering all of it (BLKPG
#    allows start 0): the partition has exactly the device's size, so only
#    the recursion check stands between CHANGE_FD and a cycle.
truncate -s 4M img
xd=$("$XL_PROBE" attach /dev/xloop-control xloop img ro on=/dev/xloop3)
addpart "$xd" 1 0 8192 || fail "addpart $xd"
wait_for "${xd}p1" || fail "no ${xd}p1"
expect_eq "partition on the extended major" 259 "$(stat -c %Hr "${xd}p1")"
expect_eq "change_fd onto its own partition" "change_fd: EBADF" "$(changefd "$xd" "${xd}p1")"
x2=$("$XL_PROBE" attach /dev/xloop-control xloop "${xd}p1" ro on=/dev/xloop4)
expect_eq "change_fd through xloop on its partition" "change_fd: EBADF" "$(changefd "$xd" "$x2")"
ld=$(losetup -r -f --show "${xd}p1")
expect_eq "change_fd through loop on its partition" "change_fd: EBADF" "$(changefd "$xd" "$ld")"
# The same device numbers, one link further, are no cycle for another device.
truncate -s 4M img2
x5=$("$XL_PROBE" attach /dev/xloop-control xloop img2 ro on=/dev/xloop5)
expect_eq "change_fd of another device onto the chain" "change_fd: 0" "$(changefd "$x5" "$ld")"
losetup -d "$ld"
"$XL_PROBE" detach "$x2"
"$XL_PROBE" detach "$x5"

# 2. Partitions go with the detach, with or without PARTSCAN (case 120):
#    no stale partition can link anything to an unbound device.
"$XL_PROBE" detach "$xd"
sleep 0.2
[ -e "${xd}p1" ] && [ -e "/sys/block/${xd#/dev/}/${xd#/dev/}p1" ] &&
	fail "${xd}p1 outlived the detach"

# 3. A file system on a read-only device, holding a file of the device's
#    size: switching the device onto that file, or onto a device backed by
#    it, closes a cycle through the file system.
truncate -s 16M fs.img
mkfs.ext4 -q -F fs.img
mkdir mnt
xfs=$("$XL_PROBE" attach /dev/xloop-control xloop fs.img)
mount "$xfs" mnt || fail "mount $xfs"
truncate -s 16M mnt/inner
umount mnt
"$XL_PROBE" detach "$xfs"
sleep 0.2
xfs=$("$XL_PROBE" attach /dev/xloop-control xloop fs.img ro on=/dev/xloop3)
mount -o ro "$xfs" mnt || fail "mount -o ro $xfs"
expect_eq "change_fd onto a file in its own file system" "change_fd: EBADF" "$(changefd "$xfs" mnt/inner)"
x2=$("$XL_PROBE" attach /dev/xloop-control xloop mnt/inner ro on=/dev/xloop4)
expect_eq "change_fd through xloop on that file" "change_fd: EBADF" "$(changefd "$xfs" "$x2")"
ld=$(losetup -r -f --show mnt/inner)
expect_eq "change_fd through loop on that file" "change_fd: EBADF" "$(changefd "$xfs" "$ld")"
losetup -d "$ld"
"$XL_PROBE" detach "$x2"
# A file of the same size elsewhere is fine.
truncate -s 16M plain
expect_eq "change_fd onto a plain file" "change_fd: 0" "$(changefd "$xfs" plain)"
umount mnt
"$XL_PROBE" detach "$xfs"
sleep 0.3
rmmod loop
no_device_bound xloop
