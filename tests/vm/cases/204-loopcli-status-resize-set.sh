#!/bin/bash
# xloop status, resize and set against losetup DEV, -a, -c, -b and
# --direct-io on a device: the same lines, exit status and resulting state
# on loop.ko, then through xloop.ko native and drop-in.  Direct I/O is also
# tried on a block-device backing (a loop device), which 6.1's tmpfs lacks.
# xt-timeout: 240
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../loopcli-lib.sh
. "$XT_TOP/tests/vm/loopcli-lib.sh"
trap 'exec 3<&-; xl_restore' EXIT

truncate -s 3M b.img
truncate -s 8M c.img
top=$PWD

# The mode's form of each command.
status() {
	case $1 in
	losetup) shift && losetup "$@" ;;
	xloop:*) shift && "$XLOOP" status "$@" ;;
	esac
}
# (sorted: /sys/block order is a hash of the names)
status_all() {
	case $1 in
	losetup) losetup -a ;;
	xloop:*) "$XLOOP" status --driver "${1#xloop:}" ;;
	esac | sort
}
resize() {
	case $1 in
	losetup) losetup -c "$2" ;;
	xloop:*) "$XLOOP" resize "$2" ;;
	esac
}
set_option() { # MODE DEV OPTION...
	case $1 in
	losetup) losetup "${@:3}" "$2" ;;
	xloop:*) "$XLOOP" set "$2" "${@:3}" ;;
	esac
}

session() {
	local mode=$1 prefix=$2 d0 d1 dblk ddio d4k off r d
	cd "$top" || return 1
	truncate -s 10M a.img
	d0=$(lc_dev "$(lc_attach "$mode" a.img)")
	d1=$(lc_dev "$(lc_attach "$mode" -o 4096 --sizelimit 1048576 b.img)")
	lc_run "status d0" status "$mode" "$d0"
	lc_run "status d1" status "$mode" "$d1"
	lc_run "status all" status_all "$mode"
	lc_run "status unbound" status "$mode" "/dev/${prefix}7"
	lc_run "status missing" status "$mode" "/dev/${prefix}99"
	lc_run "status not a device" status "$mode" /dev/null

	truncate -s 20M a.img
	echo "before resize: $(blockdev --getsize64 "$d0")"
	lc_run "resize" resize "$mode" "$d0"
	echo "after resize: $(blockdev --getsize64 "$d0")"
	lc_run "resize unbound" resize "$mode" "/dev/${prefix}7"
	lc_run "resize missing" resize "$mode" "/dev/${prefix}99"

	lc_run "sector size 2048" set_option "$mode" "$d0" -b 2048
	echo "sector size: $(blockdev --getss "$d0") $(cat "/sys/block/${d0#/dev/}/queue/logical_block_size")"
	lc_run "sector size 1000" set_option "$mode" "$d0" -b 1000
	lc_run "sector size of unbound" set_option "$mode" "/dev/${prefix}7" -b 4096
	# Direct I/O on a tmpfs file: 6.1 cannot, 6.12 can.
	lc_run "direct io on (tmpfs)" set_option "$mode" "$d0" --direct-io=on
	echo "dio: $(cat "/sys/block/${d0#/dev/}/loop/dio")"
	lc_run "direct io off" set_option "$mode" "$d0" --direct-io=off
	echo "dio: $(cat "/sys/block/${d0#/dev/}/loop/dio")"
	# On a block device: attach with direct I/O, then switch it off and on.
	dblk=$(lc_dev "$(lc_attach "$mode" c.img)")
	ddio=$(lc_dev "$(lc_attach "$mode" --direct-io=on "$dblk")")
	echo "dio on a block device: $(cat "/sys/block/${ddio#/dev/}/loop/dio")"
	lc_run "direct io off (block)" set_option "$mode" "$ddio" --direct-io=off
	echo "dio: $(cat "/sys/block/${ddio#/dev/}/loop/dio")"
	lc_run "direct io on (block)" set_option "$mode" "$ddio" --direct-io=on
	echo "dio: $(cat "/sys/block/${ddio#/dev/}/loop/dio")"
	# A 4K-sector backing device: at offset 512 no direct I/O is possible and
	# the driver quietly uses buffered I/O.  6.12 makes the backing sector
	# size the default when direct I/O is asked for (so at 4096 it works);
	# 6.1 keeps 512 (so it does not).
	d4k=$(lc_dev "$(lc_attach "$mode" -b 4096 c.img)")
	for off in 512 4096; do
		r=$(lc_attach "$mode" --direct-io=on -o "$off" "$d4k")
		echo "4K backing, offset $off: $r"
		d=$(lc_dev "$r")
		echo "[6.12] dio, sector size: $(cat "/sys/block/${d#/dev/}/loop/dio") $(cat "/sys/block/${d#/dev/}/queue/logical_block_size")"
		lc_detach "$mode" "$d"
	done
	lc_list "$mode" -n --raw -O NAME,OFFSET,SIZELIMIT,DIO,LOG-SEC | sort
	lc_detach_all "$mode"
}

lc_stock_runs session "xloop status/resize/set"
grep -q "^after resize: 20971520$" losetup.out || fail "the oracle did not resize"
grep -q "^dio on a block device: 1$" losetup.out || fail "the oracle did no direct I/O"

# What losetup cannot set: AUTOCLEAR (acts at the last close) and PARTSCAN.
d=$(lc_dev "$(lc_attach xloop:loop b.img)")
exec 3<"$d"
"$XLOOP" set "$d" --autoclear || fail "set --autoclear"
expect_eq "autoclear" 1 "$(cat "/sys/block/${d#/dev/}/loop/autoclear")"
"$XLOOP" set "$d" --autoclear=off || fail "set --autoclear=off"
expect_eq "autoclear off" 0 "$(cat "/sys/block/${d#/dev/}/loop/autoclear")"
"$XLOOP" set "$d" --partscan || fail "set --partscan"
expect_eq "partscan" 1 "$(cat "/sys/block/${d#/dev/}/loop/partscan")"
"$XLOOP" set "$d" --autoclear=on
exec 3<&-
expect_eq "detached at the last close" 0 "$(lc_bound loop)"
expect_fail "$XLOOP" set "$d"
expect_fail "$XLOOP" set "$d" --direct-io=maybe
stock_loop_unload

printf '%s\n' "[6.12] dio, sector size: 0 4096" "[6.12] dio, sector size: 1 4096" >expected-6.12
lc_xloop_runs session "xloop status/resize/set" expected-6.12
