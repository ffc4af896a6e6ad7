#!/bin/bash
# xloop attach against util-linux losetup: every attach option, and the error
# cases, give the same exit status, the same device and the same device state
# (losetup -l and the block layer) as `losetup -f --show` with the same
# options on the stock loop.ko; then the same through xloop.ko, native (names
# read xloopN as loopN) and drop-in.
# xt-timeout: 240
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../loopcli-lib.sh
. "$XT_TOP/tests/vm/loopcli-lib.sh"
xl_restore_on_exit

truncate -s 10M a.img
truncate -s 3M b.img
truncate -s 1000 odd.img
truncate -s 4M disk.img && "$XL_PROBE" mbr disk.img
mkdir dir
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

# session MODE OBSERVER: every scenario side by side (each success takes
# the next free device), observed once, then the device-specific ones.
session() {
	local mode=$1 observer=$2 s r dev devs=()
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
	echo "[--device] $(lc_attach "$mode" --device "$DEV0" a.img)"
	echo "[--device busy] $(lc_attach "$mode" --device "$DEV0" b.img)"
	lc_state "$observer" "$DEV0"
	# -L: the same mapping is reused, an overlapping one refused.
	echo "[-L same] $(lc_attach "$mode" -L a.img)"
	echo "[-L offset] $(lc_attach "$mode" -L -o 512 a.img)"
	echo "[-L limit] $(lc_attach "$mode" -L --sizelimit 4096 a.img)"
	echo "[-L other] $(lc_attach "$mode" -L b.img)"
	# /sys/block order is a hash of the names: sort.
	lc_list "$observer" -n --raw -O NAME,BACK-FILE,OFFSET,SIZELIMIT | sort
	lc_detach_all "$mode"
	echo "bound after: $(lc_bound "${DEV0%0}")"
}

# Stock loop.ko: losetup is the oracle for xloop --driver loop.
stock_loop_load
DEV0=/dev/loop0
session losetup losetup >losetup.out 2>&1
session xloop:loop losetup >xloop-stock.out 2>&1
cat xloop-stock.out
diff -u losetup.out xloop-stock.out || fail "xloop attach differs from losetup on loop.ko"
grep -q '^\[a.img\] rc=0 dev=/dev/loop0$' losetup.out || fail "the oracle run itself failed"
stock_loop_unload

# xloop.ko native, driven by xloop, observed by xloop list.
lc_native_load
DEV0=/dev/xloop0
session xloop:xloop xloop:xloop >native.out 2>&1
lc_names <native.out >native.cmp
diff -u losetup.out native.cmp || fail "xloop attach on xloop.ko (native) differs from loop.ko"

# xloop.ko drop-in: xloop attach and losetup both drive it.
lc_dropin_load
DEV0=/dev/loop0
session xloop:xloop losetup >dropin.out 2>&1
diff -u losetup.out dropin.out || fail "xloop attach on xloop.ko (drop-in) differs from loop.ko"
no_device_bound loop
