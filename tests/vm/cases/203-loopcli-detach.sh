#!/bin/bash
# xloop detach against losetup -d/-D: named devices (one, several, unbound,
# missing), a device still held open (detached at its last close), partitions
# going with their device, --all; the same exit status and device state as
# losetup on loop.ko, then through xloop.ko native and drop-in.  Then what
# losetup lacks: detach by backing file.
# xt-timeout: 240
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../loopcli-lib.sh
. "$XT_TOP/tests/vm/loopcli-lib.sh"
trap 'exec 3<&-; xl_restore' EXIT

truncate -s 10M a.img
truncate -s 3M b.img
truncate -s 4M disk.img && "$XL_PROBE" mbr disk.img
top=$PWD

# bound PREFIX: the bound devices, with their autoclear flag.
bound() {
	local d
	for d in /sys/block/"$1"[0-9]*; do
		if [ -e "$d/loop/backing_file" ]; then
			echo "${d##*/} autoclear=$(cat "$d/loop/autoclear")"
		fi
	done | sort
}

session() {
	local mode=$1 prefix=$2 d0 d1 d2 d3 held
	cd "$top" || return 1
	d0=$(lc_dev "$(lc_attach "$mode" a.img)")
	d1=$(lc_dev "$(lc_attach "$mode" b.img)")
	d2=$(lc_dev "$(lc_attach "$mode" -o 4096 a.img)")
	d3=$(lc_dev "$(lc_attach "$mode" -P disk.img)")
	wait_for "${d3}p1" || echo "no ${d3}p1"
	bound "$prefix"
	lc_run "detach one" lc_detach "$mode" "$d1"
	lc_run "detach it again" lc_detach "$mode" "$d1"
	lc_run "detach a missing node" lc_detach "$mode" "/dev/${prefix}99"
	bound "$prefix"
	lc_run "detach bound, unbound, bound" lc_detach "$mode" "$d0" "$d1" "$d2"
	bound "$prefix"
	lc_run "detach with partitions" lc_detach "$mode" "$d3"
	echo "partition after detach: $([ -e "${d3}p1" ] && echo present || echo gone)"
	held=$(lc_dev "$(lc_attach "$mode" b.img)")
	exec 3<"$held"
	lc_run "detach a held device" lc_detach "$mode" "$held"
	bound "$prefix"
	exec 3<&-
	echo "after the holder closed:"
	bound "$prefix"
	lc_attach "$mode" a.img >/dev/null
	lc_attach "$mode" b.img >/dev/null
	lc_attach "$mode" -r a.img >/dev/null
	bound "$prefix"
	lc_run "detach all" lc_detach_all "$mode"
	bound "$prefix"
	lc_run "detach all, none bound" lc_detach_all "$mode"
}

lc_stock_runs session "xloop detach"
grep -q "^loop0 autoclear=1$" losetup.out || fail "the oracle never saw a deferred detach"

# Detach by backing file, which losetup has no form for.
d0=$(lc_dev "$(lc_attach xloop:loop a.img)")
lc_attach xloop:loop -o 4096 a.img >/dev/null
d2=$(lc_dev "$(lc_attach xloop:loop b.img)")
ln -s b.img link.img
"$XLOOP" detach a.img || fail "detach a.img"
expect_eq "left after detach a.img" "${d2#/dev/} autoclear=0" "$(bound loop)"
expect_fail "$XLOOP" detach a.img
"$XLOOP" detach link.img || fail "detach through a symlink"
expect_eq "left after detach link.img" "" "$(bound loop)"
expect_fail "$XLOOP" detach
expect_fail "$XLOOP" detach --all "$d0"
expect_fail "$XLOOP" detach nonexist.img
stock_loop_unload

lc_xloop_runs session "xloop detach"
