#!/bin/bash
# uevents of attach, capacity changes and detach (change, RESIZE=1,
# DISK_MEDIA_CHANGE=1) against loop.ko's on the same kernel.
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit

mkdir stock xloop
stock_loop_load
"$XL_PROBE" uevents /dev/loop-control loop "$PWD/stock" >stock.out || fail "probe failed against loop.ko"
stock_loop_unload
"$XL_PROBE" uevents /dev/xloop-control xloop "$PWD/xloop" >xloop.out || fail "probe failed against xloop.ko"
cat xloop.out
oracle_diff stock.out xloop.out
# The events the issue asks for are there (not only "the same as loop").
grep -q '^uevent: change$' xloop.out || fail "no change uevent"
grep -q '^uevent: change RESIZE=1$' xloop.out || fail "no RESIZE=1 uevent"
