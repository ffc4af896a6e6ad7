#!/bin/bash
# Recursion refused: a device backed by itself directly (covered by case
# 101), through a chain of xloop devices (101), and through a stock loop.ko
# device, whose backing file xloop finds through loop.ko's sysfs attribute.
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit

xl_fresh
modprobe loop
truncate -s 1M a b
# xloop (read-only, so its backing file may be changed) on a file ...
xd=$("$XL_PROBE" attach /dev/xloop-control xloop a ro)
# ... a stock loop device on that xloop device ...
ld=$(losetup -r -f --show "$xd")
# ... and a second stock device on the first: xloop -> loop -> loop -> xloop.
ld2=$(losetup -r -f --show "$ld")
# Switching the xloop device onto either stock device closes a cycle.
expect_eq "change_fd through one stock loop" "change_fd: EBADF" "$("$XL_PROBE" changefd "$xd" "$ld")"
expect_eq "change_fd through two stock loops" "change_fd: EBADF" "$("$XL_PROBE" changefd "$xd" "$ld2")"
# A file of the same size is fine, and I/O still works.
expect_eq "change_fd to a file" "change_fd: 0" "$("$XL_PROBE" changefd "$xd" b)"
dd if="$ld2" of=/dev/null bs=64k status=none || fail "I/O through the chain failed"
# Binding a fresh xloop device onto the chain is no recursion.
xd2=$("$XL_PROBE" attach /dev/xloop-control xloop "$ld2" ro)
"$XL_PROBE" detach "$xd2"
# An unbound stock device in the chain is EINVAL, as loop.ko says.
losetup -d "$ld2"
losetup -d "$ld"
free=$(losetup -f)
exec 3<"$free"
res=$("$XL_PROBE" changefd "$xd" "$free")
exec 3<&-
expect_eq "change_fd onto an unbound stock loop" "change_fd: EINVAL" "$res"
"$XL_PROBE" detach "$xd"
sleep 0.3
rmmod loop
no_device_bound xloop
