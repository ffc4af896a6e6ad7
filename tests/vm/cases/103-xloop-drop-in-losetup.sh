#!/bin/bash
# Drop-in mode: util-linux losetup and mount -o loop drive xloop.ko unchanged.
# The same losetup script runs against loop.ko and against xloop.ko with
# drop_in=1; the outputs must match.  Loading drop-in beside loop.ko fails
# with a clear message.
# xt-timeout: 240
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit

# The losetup session: prints what losetup shows, normalised.
session() {
	local d dev ro part
	rm -rf run && mkdir run && cd run || return 1
	truncate -s 8M img
	truncate -s 4M disk && "$XL_PROBE" mbr disk
	dev=$(losetup -f --show img)
	echo "attach: $dev"
	losetup -l -n -O NAME,SIZELIMIT,OFFSET,AUTOCLEAR,RO,BACK-FILE,DIO,LOG-SEC,PARTSCAN
	ro=$(losetup -r -o 1024 --sizelimit 2097152 -f --show img)
	echo "read-only: $ro size $(blockdev --getsize64 "$ro") ro $(blockdev --getro "$ro")"
	truncate -s 16M img
	echo "before -c: $(blockdev --getsize64 "$dev")"
	losetup -c "$dev"
	echo "after -c: $(blockdev --getsize64 "$dev")"
	d=$(losetup -b 4096 -f --show img)
	echo "sector size: $(blockdev --getss "$d")"
	d=$(losetup --direct-io=on -f --show img 2>&1)
	echo "direct-io: $d"
	part=$(losetup -P -f --show disk)
	wait_for "${part}p1" && echo "partition: ${part}p1 $(blockdev --getsize64 "${part}p1")"
	losetup -J | sed 's/"back-file": "[^"]*\//"back-file": "/'
	losetup -l -n -O NAME,SIZELIMIT,OFFSET,AUTOCLEAR,RO,DIO,LOG-SEC,PARTSCAN
	losetup -j img -O NAME -n
	losetup -d "$ro"
	echo "detached $ro: $(losetup -l -n -O NAME | grep -c "^$ro ")"
	losetup -D
	sleep 0.5
	echo "after -D: $(losetup -l -n | wc -l) bound, p1 $([ -e "${part}p1" ] && echo present || echo gone)"
	# mount -o loop: a file system image mounted through the driver.
	mkfs.ext4 -q -F fs.img 16M
	mkdir mnt
	mount -o loop fs.img mnt && echo hello >mnt/file && umount mnt
	mount -o loop,ro fs.img mnt && echo "mounted: $(cat mnt/file)" && umount mnt
	sleep 0.5
	echo "after umount: $(losetup -l -n | wc -l) bound"
	cd ..
}

stock_loop_load
session >stock.out 2>&1 || fail "losetup session failed on loop.ko"
stock_loop_unload

# Beside loop.ko, drop-in mode must refuse to load, and say why.
xl_unload
modprobe loop
dmesg -c >/dev/null
expect_fail insmod "$XL_KO" drop_in=1
dmesg | grep -q 'xloop: drop_in=1: block major 7 is taken' || fail "no clear message on refusal"
rmmod loop

xl_reload drop_in=1
[ -c /dev/loop-control ] || fail "no /dev/loop-control"
expect_eq "control device" "10:237" "$(stat -c '%Hr:%Lr' /dev/loop-control)"
expect_eq "drop_in parameter" Y "$(cat /sys/module/xloop/parameters/drop_in)"
session >xloop.out 2>&1 || { cat xloop.out; fail "losetup session failed on xloop.ko"; }
cat xloop.out
grep -q "^mounted: hello$" xloop.out || fail "mount -o loop did not work"
grep -q "^partition: /dev/loop[0-9]*p1 2097152$" xloop.out || fail "losetup -P: no partition"
expect_eq "major of /dev/loop0" 7 "$(stat -c '%Hr' /dev/loop0)"
oracle_diff stock.out xloop.out
no_device_bound loop
