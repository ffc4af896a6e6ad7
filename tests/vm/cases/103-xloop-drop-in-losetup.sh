#!/bin/bash
# Drop-in mode: the drop-in build is a module named loop, so util-linux
# losetup and mount -o loop drive it unchanged, and what test suites and the
# system use to find "the loop driver" finds it: /sys/module/loop, modprobe
# loop (installed under updates/, it takes precedence over the stock one),
# and the autoload aliases of static nodes (block-major-7-*,
# char-major-10-237, devname:loop-control).  The same losetup script runs
# against the stock loop.ko and against the drop-in; the outputs must match.
# Beside the stock loop.ko, the drop-in does not load.
# xt-timeout: 240
# xt-smp: 1
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

echo "stock session done ($SECONDS s)"
# Beside the stock loop.ko (a module of the same name), it does not load.
xl_unload
modprobe loop
expect_fail insmod "$XL_DROPIN_KO"
expect_eq "stock loop.ko untouched" "" "$(cat /sys/module/loop/parameters/drop_in 2>/dev/null)"
rmmod loop

# It answers to loop.ko's autoload aliases.
aliases=$(modinfo -F alias "$XL_DROPIN_KO" | sort | tr '\n' ' ')
expect_eq "aliases" "block-major-7-* char-major-10-237 devname:loop-control " "$aliases"
expect_eq "module name" loop "$(modinfo -F name "$XL_DROPIN_KO")"

# Installed under updates/ beside the stock one, as make install-drop-in
# does it, depmod ranks it first: modprobe, by name or by any alias, loads it.
# In a module tree of its own (the two loop modules only; depmod over the
# whole tree takes minutes under emulation), used through modprobe -d.
tree=$PWD/modtree
mods=$tree/lib/modules/$XT_KVER
stock=$(modinfo -n loop) || fail "no stock loop module"
mkdir -p "$mods/kernel/drivers/block" "$mods/updates/xloop"
cp "$stock" "$mods/kernel/drivers/block/"
cp "$XL_DROPIN_KO" "$mods/updates/xloop/loop.ko"
cp /lib/modules/"$XT_KVER"/modules.{order,builtin,builtin.modinfo} "$mods/"
depmod -b "$tree" "$XT_KVER" || fail "depmod"
for name in loop block-major-7-0 char-major-10-237 devname:loop-control; do
	expect_eq "modprobe $name resolves to" "$mods/updates/xloop/loop.ko" \
		"$(modprobe -d "$tree" -S "$XT_KVER" --show-depends "$name" | awk '$1 == "insmod" { print $2 }')"
done
modprobe -d "$tree" -S "$XT_KVER" loop || fail "modprobe loop with the drop-in installed"
[ -d /sys/module/loop ] || fail "modprobe loop: no /sys/module/loop"
expect_eq "modprobe loads the drop-in" Y "$(cat /sys/module/loop/parameters/drop_in)"
rmmod loop
rm "$mods/updates/xloop/loop.ko"
depmod -b "$tree" "$XT_KVER" || fail "depmod"
expect_eq "uninstalled: modprobe loop resolves to" "$mods/kernel/drivers/block/$(basename "$stock")" \
	"$(modprobe -d "$tree" -S "$XT_KVER" --show-depends loop | awk '$1 == "insmod" { print $2 }')"

xl_dropin_load
[ -c /dev/loop-control ] || fail "no /dev/loop-control"
expect_eq "control device" "10:237" "$(stat -c '%Hr:%Lr' /dev/loop-control)"
expect_eq "drop_in parameter" Y "$(cat /sys/module/loop/parameters/drop_in)"
expect_fail sh -c 'echo N >/sys/module/loop/parameters/drop_in'
session >xloop.out 2>&1 || { cat xloop.out; fail "losetup session failed on xloop.ko"; }
cat xloop.out
grep -q "^mounted: hello$" xloop.out || fail "mount -o loop did not work"
grep -q "^partition: /dev/loop[0-9]*p1 2097152$" xloop.out || fail "losetup -P: no partition"
expect_eq "major of /dev/loop0" 7 "$(stat -c '%Hr' /dev/loop0)"
oracle_diff stock.out xloop.out
no_device_bound loop
