#!/bin/bash
# xloop list against losetup -l: the same devices, seen through both tools in
# every output form (table, JSON, raw, no headings, chosen columns, -j),
# print the same; error cases exit alike.  On loop.ko, on xloop.ko drop-in
# (losetup and xloop both see /dev/loop*), and on xloop.ko native (names
# read xloopN as loopN).  The DRIVER column says who serves each device.
# xt-timeout: 240
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../loopcli-lib.sh
. "$XT_TOP/tests/vm/loopcli-lib.sh"
# The held device (fd 3) must be let go before the modules are.
trap 'exec 3<&-; xl_restore' EXIT

truncate -s 10M a.img
truncate -s 3M b.img
truncate -s 4M disk.img && "$XL_PROBE" mbr disk.img
mkfs.ext4 -q -F fs.img 16M
mkdir mnt
top=$PWD
losetup_columns=NAME,AUTOCLEAR,BACK-FILE,BACK-INO,BACK-MAJ:MIN,MAJ:MIN,OFFSET,PARTSCAN,RO,SIZELIMIT,DIO,LOG-SEC

# populate MODE AUTOCLEAR_DEV: the same set of devices through MODE; the
# last one has AUTOCLEAR and stays while a holder keeps it open (for
# losetup: mount -o loop; for xloop: an open fd while xloop attaches).
populate() {
	local mode=$1 held=$2
	cd "$top" || return 1
	lc_attach "$mode" a.img
	lc_attach "$mode" -o 4096 --sizelimit 1048576 -r b.img
	lc_attach "$mode" -b 4096 a.img
	lc_attach "$mode" -P disk.img
	if [ "$mode" = losetup ]; then
		mount -o loop fs.img mnt || return 1
	else
		exec 3<"$held"
		"$XLOOP" attach --driver "${mode#xloop:}" --device "$held" --autoclear fs.img
	fi
	# Direct I/O on tmpfs works from 6.6 on; on 6.1 both fail alike.
	lc_attach "$mode" --direct-io=on a.img
}

# unpopulate MODE: undo populate.
unpopulate() {
	if mountpoint -q "$top/mnt"; then umount "$top/mnt"; fi
	exec 3<&-
	lc_detach_all "$1"
}

# Each view: the losetup arguments | the xloop arguments.
views=(
	"-l|list"
	"|list"
	"-l -J|list -J"
	"-l --raw|list --raw"
	"-l -n|list -n"
	"-l -n --raw|list -n --raw"
	"-l -O NAME,BACK-INO,BACK-MAJ:MIN,MAJ:MIN|list -O NAME,BACK-INO,BACK-MAJ:MIN,MAJ:MIN"
	"-l -O name,ro,partscan,dio|list -O name,ro,partscan,dio"
	"-l --output-all|list -O $losetup_columns"
	"-l -j a.img|list -j a.img"
	"-l -J -j b.img -o 4096|list -J -j b.img -o 4096"
	"-l -j a.img -o 5|list -j a.img -o 5"
	"-l -j nonexist.img|list -j nonexist.img"
	"-l DEV1|list DEV1"
	"-l -J DEV7|list -J DEV7"
	"-l -O BOGUS|list -O BOGUS"
	"-l -J --raw|list -J --raw"
)

# view TOOL ARGS...: one view's output and exit status.
view() {
	local rc=0
	"$@" 2>/dev/null || rc=$?
	echo "rc=$rc"
}

# compare PREFIX XLOOP_DRIVER VIEW...: each view through losetup (l.out) and
# xloop (x.out), then one diff; util-linux 2.38 pads MAJ:MIN in raw and
# JSON output too, which xloop does not: that padding is trimmed.
compare() {
	local prefix=$1 driver=$2 v l x
	shift 2
	cd "$top" || return 1
	: >l.out
	: >x.out
	for v; do
		l=${v%%|*} x=${v#*|}
		l=${l//DEV/\/dev\/${prefix}} x=${x//DEV/\/dev\/${prefix}}
		echo "== $x" | tee -a l.out >>x.out
		# shellcheck disable=SC2086 # the views are word lists
		view losetup $l >>l.out
		# shellcheck disable=SC2086
		view "$XLOOP" $x $driver >>x.out
	done
	echo "== --output-all, JSON and raw" | tee -a l.out >>x.out
	view losetup -l --output-all -J >>l.out
	view losetup -l --output-all --raw >>l.out
	# shellcheck disable=SC2086 # $driver: no word or --driver NAME
	view "$XLOOP" list -J -O "$losetup_columns" $driver >>x.out
	# shellcheck disable=SC2086
	view "$XLOOP" list --raw -O "$losetup_columns" $driver >>x.out
	sed -E -i 's/\\x20//g; s/"(back-)?maj:min": " *([0-9]+:[0-9]+) *"/"\1maj:min": "\2"/' l.out
	cat x.out
	diff -u l.out x.out && echo "SAME"
}

# --- loop.ko: both tools see the same devices.
stock_loop_load
populate losetup /dev/loop4 >/dev/null
compare loop "--driver loop" "${views[@]}" >stock.out 2>&1
cat stock.out
grep -q '^SAME$' stock.out || fail "xloop list differs from losetup -l on loop.ko"
grep -q '"name": "/dev/loop0"' stock.out || fail "the oracle listed nothing"
expect_eq "DRIVER column" loop "$("$XLOOP" list -n -O DRIVER | sort -u)"
# The native view of the same state, through xloop alone, for below.
# (raw: the table's widths would differ with the longer names)
"$XLOOP" list --raw -O NAME,AUTOCLEAR,BACK-FILE,OFFSET,PARTSCAN,RO,SIZELIMIT,DIO,LOG-SEC | sort >stock-xloop.out
"$XLOOP" list -J -O NAME,AUTOCLEAR,BACK-FILE,BACK-INO,OFFSET,RO,SIZELIMIT,DIO,LOG-SEC >>stock-xloop.out
unpopulate losetup
expect_eq "empty table" "" "$("$XLOOP" list --driver loop)"
expect_eq "empty JSON" "$(losetup -l -J)" "$("$XLOOP" list -J --driver loop)"

# --- xloop.ko native beside loop.ko: each listed with its driver.
lc_native_load
stock_loop_load
populate xloop:xloop /dev/xloop4 >/dev/null
"$XLOOP" attach --driver loop b.img >/dev/null
expect_eq "both drivers" "loop /dev/loop0 xloop /dev/xloop0" \
	"$("$XLOOP" list -n -O DRIVER,NAME | grep -E '/dev/x?loop0 *$' | sort | tr -s ' \n' '  ' | sed 's/ $//')"
expect_eq "--driver loop" "/dev/loop0" "$("$XLOOP" list -n -O NAME --driver loop)"
expect_eq "--driver xloop" 0 "$("$XLOOP" list -n -O NAME --driver xloop | grep -vc xloop)"
"$XLOOP" detach --all --driver loop
stock_loop_unload
{
	"$XLOOP" list --raw -O NAME,AUTOCLEAR,BACK-FILE,OFFSET,PARTSCAN,RO,SIZELIMIT,DIO,LOG-SEC | sort
	"$XLOOP" list -J -O NAME,AUTOCLEAR,BACK-FILE,BACK-INO,OFFSET,RO,SIZELIMIT,DIO,LOG-SEC
} | lc_names >native.out
# JSON lists in /sys/block order: compare it sorted too.
sort stock-xloop.out >a.sorted
sort native.out >b.sorted
diff -u a.sorted b.sorted || fail "xloop list on xloop.ko (native) differs from loop.ko"
expect_eq "DRIVER column (native)" xloop "$("$XLOOP" list -n -O DRIVER | sort -u)"
unpopulate xloop:xloop

# --- xloop.ko drop-in: losetup and xloop see the same /dev/loop* devices.
lc_dropin_load
populate losetup /dev/loop4 >/dev/null
# (a few views: the formats are the tool's, proven above; here the driver's
# sysfs and ioctls must serve both tools alike)
compare loop "" "${views[2]}" "${views[6]}" "${views[8]}" >dropin.out 2>&1
grep -q '^SAME$' dropin.out || { cat dropin.out; fail "xloop list differs from losetup -l on drop-in xloop.ko"; }
expect_eq "DRIVER column (drop-in)" xloop "$("$XLOOP" list -n -O DRIVER | sort -u)"
unpopulate losetup
no_device_bound loop
