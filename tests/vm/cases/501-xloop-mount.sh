#!/bin/bash
# xloop mount and umount against mount(8) and umount(8) (util-linux, with the
# stock loop.ko) as the oracle: images without -t (probed: Minix V1/V2/V3
# mount as xminix while xminix.ko is loaded, as minix without it; ext2,
# ext4, XFS, vfat; LABEL= and UUID= of an attached image), -o
# options, -r, and mount(8)'s offset=; --bind, --rbind, remount, --move and
# --make-[r]shared|private|slave|unbindable; the same mount table entry for the
# same call; the same exit code for the same error (missing source or
# directory, wrong type, bad option, not mounted, busy; an unknown type and
# no root held to libmount's codes); a failed mount leaves no device bound;
# umount by mount point, by
# device and by image detaches the device; umount -l while busy (and the
# holder named), -R; --driver
# loop; a device attached beforehand; xloop list's MOUNTPOINT column.
# xt-timeout: 300
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
busy1='' busy2=''
cleanup() {
	cd / || return
	# The busy step's holders, if it failed: they would keep a device bound.
	[ -z "$busy1$busy2" ] || kill "$busy1" "$busy2" 2>/dev/null || true
	umount -l "$XT_TMP/m" "$XT_TMP/o" 2>/dev/null || true
	xl_restore
	grep -q '^xminix ' /proc/modules || insmod "$XT_MODDIR/xminix.ko" || true
}
trap cleanup EXIT
XLOOP=$XT_XLOOP
stock_loop_load
mkdir -p m o
top=$PWD

# entry DIR: the mount table's view of DIR: type, VFS options, fs options.
entry() { findmnt -n -o FSTYPE,VFS-OPTIONS,FS-OPTIONS --mountpoint "$1"; }
source_of() { findmnt -n -o SOURCE --mountpoint "$1"; }
# code COMMAND...: its exit status (what it said goes to code.err).
code() {
	local rc=0
	echo "\$ $*" >>code.err
	"$@" >>code.err 2>&1 || rc=$?
	echo "$rc"
}

for v in 1 2 3; do
	truncate -s 8M "v$v.img"
	mkfs.minix -"$v" "v$v.img" >/dev/null || fail "mkfs.minix -$v"
done
truncate -s 16M e4.img
mkfs.ext4 -q -F e4.img || fail "mkfs.ext4"
head -c 1M /dev/zero >off.img
cat v2.img >>off.img

echo "== probed types, written by xminix.ko, read by minix.ko"
for v in 1 2 3; do
	"$XLOOP" mount "v$v.img" m || fail "xloop mount v$v.img"
	expect_eq "V$v type" xminix "$(findmnt -n -o FSTYPE --mountpoint m)"
	dev=$(source_of m)
	case $dev in /dev/xloop[0-9]*) ;; *) fail "V$v mounted from $dev, not an xloop device" ;; esac
	expect_eq "V$v MOUNTPOINT column" "$top/m" "$("$XLOOP" list -n -O MOUNTPOINT "$dev")"
	echo "hello $v" >m/f || fail "write through xloop mount"
	"$XLOOP" umount m || fail "xloop umount (V$v)"
	! mountpoint -q m || fail "still mounted"
	! dev_bound "$dev" || fail "$dev still bound after xloop umount"
	mount -t minix "v$v.img" o || fail "mount(8) V$v"
	expect_eq "V$v read back by minix.ko" "hello $v" "$(cat o/f)"
	umount o
done
rmmod xminix || fail "rmmod xminix"
"$XLOOP" mount v2.img m || fail "xloop mount without xminix.ko"
expect_eq "type without xminix.ko" minix "$(findmnt -n -o FSTYPE --mountpoint m)"
"$XLOOP" umount m || fail "xloop umount (minix)"
insmod "$XT_MODDIR/xminix.ko" || fail "insmod xminix"

echo "== other probed types, and LABEL= and UUID= of an attached image"
truncate -s 320M x.img # XFS wants 300 MB at least
mkfs.ext2 -q -F -L xl-ext2 x.img || fail "mkfs.ext2"
for fs in ext2 xfs vfat; do
	case $fs in
	ext2) ;;
	xfs) mkfs.xfs -q -f x.img || fail "mkfs.xfs" ;;
	vfat) mkfs.vfat x.img >/dev/null || fail "mkfs.vfat" ;;
	esac
	# One after the other: XFS refuses a second mount of one UUID.
	"$XLOOP" mount x.img m || fail "xloop mount ($fs)"
	ours=$(entry m)
	expect_eq "$fs type" "$fs" "$(findmnt -n -o FSTYPE --mountpoint m)"
	"$XLOOP" umount m || fail "xloop umount ($fs)"
	mount x.img o || fail "mount ($fs)"
	expect_eq "$fs entry" "$(entry o)" "$ours"
	umount o
done
e2label e4.img xl-label || fail "label e4.img"
dev=$("$XLOOP" attach e4.img) || fail "xloop attach e4.img"
uuid=$(blkid -o value -s UUID "$dev")
[ -n "$uuid" ] || fail "no UUID on $dev"
"$XLOOP" mount "UUID=$uuid" m || fail "xloop mount UUID="
expect_eq "UUID= source" "$dev" "$(source_of m)"
"$XLOOP" umount m || fail "xloop umount (UUID=)"
! dev_bound "$dev" || fail "$dev still bound after umount (UUID=)"
dev=$("$XLOOP" attach e4.img) || fail "xloop attach e4.img"
"$XLOOP" mount LABEL=xl-label m || fail "xloop mount LABEL="
expect_eq "LABEL= source" "$dev" "$(source_of m)"
"$XLOOP" umount m || fail "xloop umount (LABEL=)"

echo "== the same entries as mount(8)"
for args in "-o ro,noatime" "-r" "-o nosuid,nodev -o noexec" "-w -o sync"; do
	# shellcheck disable=SC2086 # $args holds several words
	"$XLOOP" mount $args e4.img m || fail "xloop mount $args"
	# shellcheck disable=SC2086
	mount $args e4.img o || fail "mount $args"
	expect_eq "entry for $args" "$(entry o)" "$(entry m)"
	"$XLOOP" umount m || fail "xloop umount ($args)"
	umount o
done
"$XLOOP" mount -o offset=1M,ro off.img m || fail "xloop mount -o offset=1M"
mount -o offset=1M,ro off.img o || fail "mount -o offset=1M"
dev=$(source_of m)
expect_eq "offset of $dev" 1048576 "$(cat "/sys/block/${dev#/dev/}/loop/offset")"
expect_eq "read-only device" 1 "$(cat "/sys/block/${dev#/dev/}/ro")"
expect_eq "files at offset 1M" "$(ls -a o)" "$(ls -a m)"
"$XLOOP" umount m || fail "xloop umount (offset)"
umount o

echo "== --bind, --rbind, remount, --make-*, --move: as mount(8)"
mkdir -p tree b1 b2 r1 r2 mv1 mv2
mount -t tmpfs tree tree || fail "tmpfs tree"
mkdir tree/sub
mount -t tmpfs sub tree/sub || fail "tmpfs tree/sub"
propagation() { findmnt -n -o PROPAGATION --mountpoint "$1"; }
"$XLOOP" mount --bind tree b1 || fail "xloop mount --bind"
mount --bind tree b2 || fail "mount --bind"
expect_eq "--bind entry" "$(entry b2)" "$(entry b1)"
! mountpoint -q b1/sub || fail "--bind took the submount along"
"$XLOOP" mount --rbind tree r1 || fail "xloop mount --rbind"
mount --rbind tree r2 || fail "mount --rbind"
mountpoint -q r1/sub || fail "--rbind left the submount behind"
"$XLOOP" mount -o remount,ro,bind b1 || fail "xloop mount -o remount,ro,bind"
mount -o remount,ro,bind b2 || fail "mount -o remount,ro,bind"
expect_eq "remount,ro,bind entry" "$(entry b2)" "$(entry b1)"
for p in shared private slave unbindable; do
	"$XLOOP" mount --make-$p b1 || fail "xloop mount --make-$p"
	mount --make-$p b2 || fail "mount --make-$p"
	expect_eq "--make-$p" "$(propagation b2)" "$(propagation b1)"
done
"$XLOOP" mount --make-rshared r1 || fail "xloop mount --make-rshared"
mount --make-rshared r2 || fail "mount --make-rshared"
expect_eq "--make-rshared on the submount" "$(propagation r2/sub)" "$(propagation r1/sub)"
expect_eq "--make-rshared" shared "$(propagation r1/sub)"
"$XLOOP" mount --make-private b1 || fail "xloop mount --make-private"
mount --make-private b2 || fail "mount --make-private"
"$XLOOP" mount --move b1 mv1 || fail "xloop mount --move"
mount --move b2 mv2 || fail "mount --move"
! mountpoint -q b1 || fail "--move left b1 mounted"
mountpoint -q mv1 || fail "--move did not mount mv1"
expect_eq "moved entry" "$(entry mv2)" "$(entry mv1)"
"$XLOOP" umount -R r1 || fail "xloop umount -R"
umount -R r2 || fail "umount -R"
! mountpoint -q r1 || fail "xloop umount -R left r1"
expect_eq "umount -R of what is not mounted: exit code" "$(code umount -R r2)" \
	"$(code "$XLOOP" umount -R r1)"
for d in mv1 mv2 tree; do
	umount -R "$d" || fail "umount -R $d"
done

echo "== errors: the exit codes of mount(8) and umount(8)"
check() {
	local what=$1 ours=$2 theirs=$3
	[ "$theirs" -ne 0 ] || { tail -n 6 code.err; fail "$what: mount(8) succeeded"; }
	[ "$theirs" = "$ours" ] || { tail -n 8 code.err; fail "$what: exit $ours, mount(8)'s $theirs"; }
}
check "missing source" "$(code "$XLOOP" mount nosuch.img m)" "$(code mount nosuch.img o)"
check "missing directory" "$(code "$XLOOP" mount v2.img nodir)" "$(code mount v2.img nodir)"
# mount(8) under the test VM exits 0 for this one, and mounts nothing:
# held to libmount's own code and message instead.
expect_eq "unknown type: exit code" 32 "$(code "$XLOOP" mount -t nosuchfs v2.img m)"
grep -q "unknown filesystem type 'nosuchfs'" code.err || fail "unknown type: no message"
check "wrong type" "$(code "$XLOOP" mount -t ext4 v2.img m)" "$(code mount -t ext4 v2.img o)"
check "bad offset" "$(code "$XLOOP" mount -o offset=x v2.img m)" \
	"$(code mount -o offset=x v2.img o)"
check "not mounted" "$(code "$XLOOP" umount m)" "$(code umount o)"
# mount(8) is setuid root and goes on to a loop device (32); xloop is not
# setuid: libmount's restricted mode refuses (1, mount(8)'s permission code).
expect_eq "not root: exit code" 1 \
	"$(code setpriv --reuid 65534 --regid 65534 --clear-groups "$XLOOP" mount v2.img m)"
no_device_bound xloop
"$XLOOP" mount v3.img m || fail "xloop mount for busy"
mount v3.img o 2>/dev/null || mount -t minix v3.img o || fail "mount for busy"
# Holders that stay until killed (a slow kernel must not see them leave before
# the umounts), each a "sleep" inside its mount before the umounts start.
(cd m && exec sleep 600) &
busy1=$!
(cd o && exec sleep 600) &
busy2=$!
holding() { [ "$(cat "/proc/$1/comm")" = sleep ] && [ "$(readlink "/proc/$1/cwd")" = "$(pwd -P)/$2" ]; }
poll_until 300 holding "$busy1" m || fail "the holder of m did not start"
poll_until 300 holding "$busy2" o || fail "the holder of o did not start"
dev=$(source_of m)
check "busy" "$(code "$XLOOP" umount m)" "$(code umount o)"
"$XLOOP" umount m 2>busy.err && fail "a busy xloop umount succeeded"
grep -q "in use by .*$busy1 (sleep)" busy.err || { cat busy.err; fail "busy umount does not name the holder"; }
mountpoint -q m || fail "a busy xloop umount unmounted"
dev_bound "$dev" || fail "a busy xloop umount detached $dev"
"$XLOOP" umount -l m || fail "xloop umount -l while busy"
umount -l o
! mountpoint -q m || fail "umount -l left the mount"
kill "$busy1" "$busy2"
wait "$busy1" "$busy2" 2>/dev/null || true
busy1='' busy2=''
poll_until 100 dev_unbound "$dev" || fail "$dev still bound after the lazy unmount's last user left"

echo "== umount by image and by device; --driver loop; a device attached first"
"$XLOOP" mount v2.img m || fail "xloop mount v2.img"
"$XLOOP" umount v2.img || fail "xloop umount IMAGE"
! mountpoint -q m || fail "umount IMAGE left the mount"
expect_eq "umount IMAGE not mounted" 32 "$(code "$XLOOP" umount v2.img)"
"$XLOOP" mount v2.img m || fail "xloop mount v2.img"
dev=$(source_of m)
"$XLOOP" umount "$dev" || fail "xloop umount DEVICE"
! dev_bound "$dev" || fail "$dev still bound after umount DEVICE"
"$XLOOP" mount --driver loop v1.img m || fail "xloop mount --driver loop"
dev=$(source_of m)
case $dev in /dev/loop[0-9]*) ;; *) fail "--driver loop mounted from $dev" ;; esac
"$XLOOP" umount m || fail "xloop umount (loop.ko)"
! dev_bound "$dev" || fail "$dev still bound"
dev=$("$XLOOP" attach v2.img) || fail "xloop attach"
"$XLOOP" mount "$dev" m || fail "xloop mount DEVICE"
expect_eq "type of an attached device" xminix "$(findmnt -n -o FSTYPE --mountpoint m)"
"$XLOOP" umount m || fail "xloop umount (attached device)"
! dev_bound "$dev" || fail "$dev (attached first) still bound after xloop umount"
no_device_bound xloop
no_device_bound loop
cd "$top" || exit 1
stock_loop_unload
echo "ok: xloop mount and umount as mount(8) and umount(8)"
