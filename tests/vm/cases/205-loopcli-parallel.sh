#!/bin/bash
# The driver xloop picks by default (xloop.ko native when loaded, drop-in
# xloop.ko, else loop.ko), its messages (object, operation, errno), and 8
# parallel attachers: every attach gets a device of its own although they
# race for the same free one, I/O runs while devices are detached, and
# nothing is left bound.  On loop.ko and on xloop.ko.
# xt-timeout: 300
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../loopcli-lib.sh
. "$XT_TOP/tests/vm/loopcli-lib.sh"
xl_restore_on_exit

truncate -s 4M a.img b.img

# --- The default driver.
xl_unload
stock_loop_load
expect_eq "default: loop.ko" /dev/loop0 "$("$XLOOP" attach a.img)"
expect_eq "DRIVER" loop "$("$XLOOP" list -n -O DRIVER)"
# Messages name the object, the operation and the errno.
"$XLOOP" attach --device /dev/loop0 b.img 2>err && fail "attached to a bound device"
expect_eq "busy" "xloop: /dev/loop0: LOOP_CONFIGURE: Device or resource busy" "$(cat err)"
"$XLOOP" attach nonexist.img 2>err && fail "attached a missing file"
expect_eq "missing file" "xloop: nonexist.img: No such file or directory" "$(cat err)"
"$XLOOP" attach --driver xloop a.img 2>err && fail "attached without xloop.ko"
expect_eq "no xloop.ko" "xloop: /dev/xloop-control: No such file or directory" "$(cat err)"
"$XLOOP" detach /dev/loop5 2>err && fail "detached an unbound device"
expect_eq "unbound" "xloop: /dev/loop5: LOOP_CLR_FD: No such device or address" "$(cat err)"
"$XLOOP" status /dev/loop5 2>err && fail "status of an unbound device"
expect_eq "status unbound" "xloop: /dev/loop5: not attached to a file" "$(cat err)"
# Without privileges: a one-line error and losetup's exit status; listing works.
for cmd in "attach a.img" "detach /dev/loop0" "resize /dev/loop0" "set /dev/loop0 -b 4096"; do
	# shellcheck disable=SC2086 # a command line
	setpriv --reuid=65534 --regid=65534 --clear-groups "$XLOOP" $cmd 2>err && fail "xloop $cmd as nobody"
	expect_eq "lines of 'xloop $cmd' as nobody" 1 "$(wc -l <err)"
	grep -q "Permission denied" err || fail "xloop $cmd as nobody: $(cat err)"
done
expect_fail setpriv --reuid=65534 --regid=65534 --clear-groups losetup -f --show a.img
expect_eq "list as nobody" "$(setpriv --reuid=65534 --regid=65534 --clear-groups losetup -l)" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups "$XLOOP" list)"
expect_eq "still bound" 1 "$(lc_bound loop)"
# --autoclear: the device goes at its last close.  Held open, it stays
# until the holder lets go; held by nobody, it goes when xloop exits.
exec 3</dev/loop3
expect_eq "autoclear, held" /dev/loop3 "$("$XLOOP" attach --autoclear --device /dev/loop3 b.img)"
expect_eq "autoclear flag" 1 "$(cat /sys/block/loop3/loop/autoclear)"
exec 3<&-
[ -e /sys/block/loop3/loop/backing_file ] && fail "loop3 outlived its last close"
dev=$("$XLOOP" attach --autoclear b.img 2>err)
grep -q "detached again at once" err || fail "no warning for an autoclear device nobody holds"
[ -e "/sys/block/${dev#/dev/}/loop/backing_file" ] && fail "$dev outlived xloop"
"$XLOOP" detach --all
xl_fresh
expect_eq "default: xloop.ko native" /dev/xloop0 "$("$XLOOP" attach a.img)"
expect_eq "default with both" "xloop /dev/xloop0" "$("$XLOOP" list -n -O DRIVER,NAME | tr -s ' ')"
"$XLOOP" detach /dev/xloop0
stock_loop_unload
lc_dropin_load
expect_eq "default: drop-in" /dev/loop0 "$("$XLOOP" attach a.img)"
expect_eq "DRIVER (drop-in)" xloop "$("$XLOOP" list -n -O DRIVER)"
expect_eq "seen by losetup" "/dev/loop0" "$(losetup -l -n -O NAME)"
"$XLOOP" detach --all

# --- 8 attachers at once, each on its own file, reading while detaching.
# worker N DRIVER CYCLES: attach, check the device is ours and reads our
# data, detach while a reader still has it open.  (Long attach/detach runs
# are case 109's; this is about the tool racing other attachers.)
worker() {
	local n=$1 driver=$2 cycles=$3 i dev file backing reader
	file=$PWD/w$n.img
	for ((i = 0; i < cycles; i++)); do
		dev=$("$XLOOP" attach --driver "$driver" "$file") || { echo "worker $n: attach failed"; return 1; }
		read -r backing <"/sys/block/${dev#/dev/}/loop/backing_file"
		[ "$backing" = "$file" ] || { echo "worker $n: $dev is backed by $backing"; return 1; }
		cmp -n 65536 "$dev" "$file" || { echo "worker $n: $dev does not read $file"; return 1; }
		dd if="$dev" of=/dev/null bs=64k status=none &
		reader=$!
		"$XLOOP" detach "$dev" || { echo "worker $n: detach $dev failed"; return 1; }
		wait "$reader" || true # the reader may see the device go: not an error
	done
}

# race DRIVER PREFIX: 8 workers at once; all succeed, nothing stays bound.
race() {
	local pids=() n failed=0
	for n in 1 2 3 4 5 6 7 8; do
		worker "$n" "$1" 2 >"w$n.log" 2>&1 &
		pids+=($!)
	done
	for n in "${!pids[@]}"; do
		wait "${pids[$n]}" || { failed=1; cat "w$((n + 1)).log"; }
	done
	[ "$failed" = 0 ] || fail "a parallel attacher failed on $1"
	sleep 0.5
	expect_eq "bound after the race ($1)" 0 "$(lc_bound "$2")"
}

for n in 1 2 3 4 5 6 7 8; do
	# Distinct contents, so a device bound to another worker's file shows.
	{ yes "worker $n" || true; } | head -c 4M >"w$n.img"
done
xl_fresh
race xloop xloop
stock_loop_load
race loop loop
stock_loop_unload
