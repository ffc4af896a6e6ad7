#!/bin/bash
# xloop attach against util-linux losetup: every attach option, and the error
# cases, give the same exit status, the same device and the same device state
# (losetup -l and the block layer) as `losetup -f --show` with the same
# options on the stock loop.ko; then the same through xloop.ko, native (names
# read xloopN as loopN) and drop-in.
# xt-timeout: 240
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../loopcli-lib.sh
. "$XT_TOP/tests/vm/loopcli-lib.sh"

truncate -s 10M a.img
truncate -s 3M b.img
truncate -s 1000 odd.img
truncate -s 4M disk.img && "$XL_PROBE" mbr disk.img
mkdir dir rofs
# A file on a read-only file system: the device falls back to read-only.
mount -t tmpfs -o size=8M tmpfs rofs
truncate -s 2M rofs/c.img
mount -o remount,ro rofs
trap 'umount -l "$top/rofs"; xl_restore' EXIT
top=$PWD

# One scenario per line: the options and the file, as losetup takes them.
scenarios=(
	"a.img"
	"-o 4096 --sizelimit 1048576 -r b.img"
	"-o 1k --sizelimit 1MiB a.img"
	"-b 4096 a.img"
	"-b 0 a.img"
	"-P disk.img"
	"odd.img"
	"--sizelimit 1000 a.img"
	"-o 1000 --sizelimit 2000 a.img"
	"-o 99999999 a.img"
	"rofs/c.img"
	"--direct-io=on a.img"
	"--direct-io=off a.img"
	"-r --direct-io=on b.img"
	"nonexist.img"
	"dir"
	"/dev/null"
	"-b 1000 a.img"
	"-b 8192 a.img"
	"-o abc a.img"
	"-o -1 a.img"
)

# session MODE PREFIX: every scenario side by side (each success takes the
# next free device), observed once, then the device-specific ones.  xloop
# list observes native devices, losetup the others.
session() {
	local mode=$1 prefix=$2 observer=losetup s r dev dev0 devs=()
	[ "$prefix" = xloop ] && observer=xloop:xloop
	dev0=/dev/${prefix}0
	cd "$top" || return 1
	for s in "${scenarios[@]}"; do
		# shellcheck disable=SC2086 # a scenario is a word list
		r=$(lc_attach "$mode" $s)
		echo "[$s] $r"
		dev=$(lc_dev "$r")
		[ -z "$dev" ] || devs+=("$dev")
		if [ "$s" = "-P disk.img" ]; then
			wait_for "${dev}p1" || echo "no partition on $dev"
		fi
	done
	lc_state "$observer" "${devs[@]}"
	lc_detach_all "$mode"
	# A named device: free, then already bound.
	echo "[--device] $(lc_attach "$mode" --device "$dev0" a.img)"
	echo "[--device busy] $(lc_attach "$mode" --device "$dev0" b.img)"
	lc_state "$observer" "$dev0"
	# -L: the same mapping is reused, an overlapping one refused.
	echo "[-L same] $(lc_attach "$mode" -L a.img)"
	echo "[-L offset] $(lc_attach "$mode" -L -o 512 a.img)"
	echo "[-L limit] $(lc_attach "$mode" -L --sizelimit 4096 a.img)"
	echo "[-L other] $(lc_attach "$mode" -L b.img)"
	# /sys/block order is a hash of the names: sort.
	lc_list "$observer" -n --raw -O NAME,BACK-FILE,OFFSET,SIZELIMIT | sort
	lc_detach_all "$mode"
	echo "bound after: $(lc_bound "$prefix")"
}

lc_stock_runs session "xloop attach"
grep -q '^\[a.img\] rc=0 dev=/dev/loop0$' losetup.out || fail "the oracle run itself failed"
stock_loop_unload
lc_xloop_runs session "xloop attach"
