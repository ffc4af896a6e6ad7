#!/bin/bash
# Partitions never outlive the file they describe.  With partition scanning
# off, a user can still add partitions (BLKPG, here partx --add); when the
# backing file is switched (LOOP_CHANGE_FD) or the device detached, they go,
# as the kernel's own scan would drop them (6.12's loop.ko keeps them across
# LOOP_CHANGE_FD, describing the old file).  With scanning on, the switch
# reads the new file's table.
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit
xl_fresh

truncate -s 8M disk plain
"$XL_PROBE" mbr disk

# has_part DEV: DEV has a first partition (sysfs, no udev needed).
has_part() {
	[ -e "/sys/block/${1#/dev/}/${1#/dev/}p1" ]
}

dev=$("$XL_PROBE" attach /dev/xloop-control xloop disk ro)
has_part "$dev" && fail "$dev: a partition without scanning"
partx --add "$dev" || fail "partx --add $dev"
has_part "$dev" || fail "$dev: partx --add added no partition"
expect_eq "switch to a file without a table" "change_fd: 0" "$("$XL_PROBE" changefd "$dev" plain)"
has_part "$dev" && fail "$dev: the old file's partition survived LOOP_CHANGE_FD"
expect_eq "switch back" "change_fd: 0" "$("$XL_PROBE" changefd "$dev" disk)"
has_part "$dev" && fail "$dev: a partition appeared without scanning"
partx --add "$dev" || fail "partx --add $dev again"
"$XL_PROBE" detach "$dev"
sleep 0.3
has_part "$dev" && fail "$dev: a partition survived the detach"

# With scanning on, the switch reads the new file's table.
dev=$("$XL_PROBE" attach /dev/xloop-control xloop plain ro partscan)
has_part "$dev" && fail "$dev: a partition on a file without a table"
expect_eq "switch to a partitioned file" "change_fd: 0" "$("$XL_PROBE" changefd "$dev" disk)"
wait_for "${dev}p1" || fail "$dev: no partition after switching to a partitioned file"
expect_eq "switch to a file without a table" "change_fd: 0" "$("$XL_PROBE" changefd "$dev" plain)"
has_part "$dev" && fail "$dev: the partition survived switching to a file without a table"
"$XL_PROBE" detach "$dev"
sleep 0.3
no_device_bound xloop
