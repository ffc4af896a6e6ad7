#!/bin/bash
# Leaks, measured (Debian's kernels have no kmemleak): rounds of every
# lifecycle and error path (xloop_probe cycles: ioctl errors unbound and
# bound, bind/detach with every setter, read-only with CHANGE_FD, with
# partitions, direct I/O with autoclear, four devices added, bound, detached
# and removed, attachments owned by handles: closed with the device open and
# closed, detached under them, in flight on a socket closed unread), N of
# them, then 4N more.  Between the snapshot after N and
# the one after 5N (each the least of two readings, and of a third when the
# growth looks suspect) no slab cache may grow by more than N plus 8 slabs'
# worth of objects (SLUB's granularity and the guest's own noise, measured
# at up to 6 slabs), and the tasks may not grow (beyond 8 kernel workers):
# a leak of one object per bind or per device shows as 4N to 32N objects.
# The module's reference count is back to 0 and it unloads.
# XLOOP_LEAK_ROUNDS sets N (default 30, up to 150; in
# $BUILD/xloop-knobs.env, see kmod-lib.sh).
# xt-timeout: 900
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit
xl_fresh

n=${XLOOP_LEAK_ROUNDS:-30}
# A debug kernel's object tracker without CONFIG_DEBUG_OBJECTS_FREE keeps
# the record of a freed work item until its address is used again, which
# KASAN's quarantine puts off: that cache then counts past objects, not live
# ones.
skip=
config=$(zcat /proc/config.gz 2>/dev/null || true)
if [ -d /sys/kernel/slab/debug_objects_cache ] &&
	! grep -qx 'CONFIG_DEBUG_OBJECTS_FREE=y' <<<"$config"; then
	skip=debug_objects_cache
	echo "not counted: $skip (no CONFIG_DEBUG_OBJECTS_FREE)"
fi

# reading: "slab:NAME ACTIVE OBJS_PER_SLAB" per cache, once the page cache
# is dropped, lazily freed vmalloc areas purged (loading a module does that)
# and kfree_rcu() batches (drained every 5 s) freed; slab_counts.py shrinks
# every cache (per-CPU slabs flushed, KASAN's quarantine emptied) with no
# path lookup between the shrinking and the read.
reading() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	modprobe brd rd_nr=0 && rmmod brd
	sleep 6
	python3 "$XT_TOP/tests/vm/slab_counts.py" ${skip:+"$skip"} || fail "slab counts"
	echo "tasks $(find /proc -maxdepth 1 -name '[0-9]*' | wc -l) 1"
}

# least FILE...: per key, the least count of these readings; what the guest
# holds only for a moment (a running process's /proc entries) drops out.
least() {
	awk '{ if (!($1 in m) || $2 < m[$1]) m[$1] = $2; per[$1] = $3 }
		END { for (k in m) print k, m[k], per[k] }' "$@" | sort
}

# grow FILE: "DELTA KEY BEFORE AFTER ALLOWED" from after-n, largest first.
grow() {
	join after-n "$1" |
		awk -v n="$n" '{ allowed = $1 == "tasks" ? 8 : n + 8 * $3
			print $4 - $2, $1, $2, $4, allowed }' | sort -rn
}

# The backing files on a tmpfs of their own: where the scratch directory is
# overlayfs over tmpfs (a checkout under /tmp), 6.1's overlayfs offers direct
# I/O that the tmpfs below then refuses, and the direct-I/O round's reads
# fail with EIO on loop.ko and xloop.ko alike.
mkdir work
mount -t tmpfs -o size=64m xloop-leaks work
"$XL_PROBE" cycles /dev/xloop-control xloop "$PWD/work" "$n" ebcpdah || fail "first $n rounds"
reading >r1
reading >r2
least r1 r2 >after-n
"$XL_PROBE" cycles /dev/xloop-control xloop "$PWD/work" $((4 * n)) ebcpdah || fail "next $((4 * n)) rounds"
reading >r3
reading >r4
least r3 r4 >after-5n
grow after-5n >growth
if awk '$1 > $5 { bad = 1 } END { exit !bad }' growth; then
	# A leak stays; a passing holder of objects goes: look once more.
	sleep 10
	reading >r5
	least r3 r4 r5 >after-5n
	grow after-5n >growth
fi
echo "largest growth over $((4 * n)) rounds (delta key after-N after-5N allowed):"
head -n 8 growth
awk '$1 > $5 { bad = 1; print "leak? " $0 } END { exit bad }' growth ||
	fail "kernel objects grew with the rounds"
expect_eq "module references" 0 "$(cat /sys/module/xloop/refcnt)"
no_device_bound xloop
umount work
rmmod xloop || fail "rmmod after the rounds"
insmod "$XL_KO"
