#!/bin/bash
# Stress: 1000 attach/detach cycles by 8 parallel attachers, each with a
# reader doing I/O on the device while it is being detached; afterwards no
# device is bound and the module unloads (the harness checks the unload and
# the kernel log).
# xt-timeout: 900
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit
xl_fresh

"$XL_PROBE" stress /dev/xloop-control xloop "$PWD" 1000 8 || fail "stress run failed"
sleep 1
no_device_bound xloop
rmmod xloop || fail "rmmod after the stress run"
insmod "$XL_KO"
