#!/bin/bash
# Module parameters (max_loop, max_part, hw_queue_depth), creating a device
# by opening its node, native mode beside loop.ko, and rmmod refused while a
# device is bound or open.
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit

major() { awk '$2 == "xloop" { print $1 }' /proc/devices; }

# Default: 8 devices; opening a missing minor creates the device.
xl_fresh
expect_eq "devices at load" 8 "$(find /sys/block -maxdepth 1 -name 'xloop*' | wc -l)"
[ -c /dev/xloop-control ] || fail "no /dev/xloop-control"
mknod /dev/xloop20 b "$(major)" 20
exec 3</dev/xloop20 || fail "opening a missing minor did not create it"
exec 3<&-
[ -d /sys/block/xloop20 ] || fail "xloop20 not created"

# max_loop given: that many devices, and a hard limit.
xl_reload max_loop=2
expect_eq "devices with max_loop=2" 2 "$(find /sys/block -maxdepth 1 -name 'xloop*' | wc -l)"
mknod /dev/xloop5 b "$(major)" 5 2>/dev/null || true
expect_fail dd if=/dev/xloop5 of=/dev/null count=1 status=none
[ ! -d /sys/block/xloop5 ] || fail "max_loop=2 is not a limit"
rm -f /dev/xloop5 /dev/xloop20

# max_part: rounded to 2^n-1, minors spaced, partition scanning forced.
xl_reload max_part=3
expect_eq "max_part" 3 "$(cat /sys/module/xloop/parameters/max_part)"
expect_eq "xloop1 minor" 4 "$(cut -d: -f2 /sys/block/xloop1/dev)"
truncate -s 4M disk && "$XL_PROBE" mbr disk
dev=$("$XL_PROBE" attach /dev/xloop-control xloop disk)
expect_eq "forced partscan" 1 "$(cat "/sys/block/${dev#/dev/}/loop/partscan")"
[ -d "/sys/block/${dev#/dev/}/${dev#/dev/}p1" ] || fail "no partition with max_part"
"$XL_PROBE" detach "$dev"
# Device numbers whose minors do not fit are refused, as loop.ko refuses
# those past MINORBITS, even where shifting them by max_part's bits would
# wrap around (here 2^29 << 2 = 2^31) onto another major's numbers.
expect_eq "ctl add past the minors" "ctl add: EINVAL" "$("$XL_PROBE" ctl /dev/xloop-control add $((1 << 20)))"
expect_eq "ctl add wrapping the minors" "ctl add: EINVAL" "$("$XL_PROBE" ctl /dev/xloop-control add $((1 << 29)))"
expect_eq "devices after refused adds" 8 "$(find /sys/block -maxdepth 1 -name 'xloop*' | wc -l)"
xl_reload max_part=5
expect_eq "max_part rounded" 7 "$(cat /sys/module/xloop/parameters/max_part)"

# hw_queue_depth
xl_reload hw_queue_depth=4
expect_eq "queue depth" 4 "$(cat /sys/block/xloop0/mq/0/nr_tags)"
xl_unload
expect_fail insmod "$XL_KO" hw_queue_depth=0
xl_fresh

# Native mode beside loop.ko: both work at once.
modprobe loop
truncate -s 1M a b
printf xloop | dd of=a conv=notrunc status=none
printf stock | dd of=b conv=notrunc status=none
xd=$("$XL_PROBE" attach /dev/xloop-control xloop a)
ld=$(losetup -f --show b)
expect_eq "xloop data" xloop "$(head -c 5 "$xd")"
expect_eq "loop data" stock "$(head -c 5 "$ld")"
losetup -d "$ld"
rmmod loop

# rmmod refused while a device is bound, or open; clean otherwise.
expect_fail rmmod xloop
"$XL_PROBE" detach "$xd"
exec 3<"$xd"
expect_fail rmmod xloop
exec 3<&-
rmmod xloop || fail "rmmod refused with nothing bound or open"
insmod "$XL_KO"
