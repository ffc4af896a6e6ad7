#!/bin/bash
# The tool never writes a block device another holder has open exclusively,
# which is what a mounted file system does: put, rm, mkdir, mkfs and fsck -a
# on a device minix.ko has mounted fail with EBUSY and leave it as it was
# (put, rm and mkdir wrote to it and exited 0); reading it (ls, get) still
# works.  Unmounted, the same commands work.  The device is an xloop device
# over a file, as users have it.  get and put refuse the file under the
# device and the device over the file as they refuse the image itself.
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../minix-lib.sh
. "$XT_TOP/tests/vm/minix-lib.sh"
cleanup() {
	if mountpoint -q mnt; then umount mnt; fi
	xl_restore
	return 0
}
trap cleanup EXIT
xl_fresh
modprobe minix || fail "no minix.ko"

truncate -s 8M img
dev=$("$XL_PROBE" attach /dev/xloop-control xloop img)
"$XLOOP" mkfs -2 "$dev" >/dev/null || fail "xloop mkfs $dev"
echo data >host
"$XLOOP" put "$dev" host /f || fail "xloop put on the unmounted $dev"

# The file under the device and the device over the file are the image too:
# get and put refuse them (get would overwrite the image with one of its files).
# shares WHAT EXPECTED COMMAND...: refused with EXPECTED, img unchanged.
shares() {
	local what=$1 expected=$2 out rc=0 sum
	shift 2
	sum=$(md5sum <img)
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "$what succeeded"
	case $out in *"$expected"*) ;; *) fail "$what: not refused with '$expected': $out" ;; esac
	expect_eq "$what: the image" "$sum" "$(md5sum <img)"
	echo "$what: refused ($rc): $out"
}
shares "get into the file under the device" "img: is the file under the image" \
	"$XLOOP" get "$dev" /f img
shares "put of the file under the device" "img: is the file under the image" \
	"$XLOOP" put "$dev" img /g
shares "get into the device over the file" "$dev: is a loop device over the image" \
	"$XLOOP" get img /f "$dev"
dev2=$("$XL_PROBE" attach /dev/xloop-control xloop img)
shares "get into a second device over the file" "$dev2: is a loop device over the image's file" \
	"$XLOOP" get "$dev" /f "$dev2"
"$XL_PROBE" detach "$dev2"
mkdir mnt
mount -t minix "$dev" mnt || fail "mount $dev"
sync
before=$(md5sum <"$dev")

# refused WHAT COMMAND...: exit 1 (8 for mkfs and fsck), EBUSY named.
refused() {
	local what=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "$what on the mounted $dev succeeded"
	case $out in
	*"$dev: Device or resource busy"*) ;;
	*) fail "$what on the mounted $dev: no EBUSY named: $out" ;;
	esac
	echo "$what: refused ($rc): $out"
}
refused put "$XLOOP" put "$dev" host /g
refused rm "$XLOOP" rm "$dev" /f
refused mkdir "$XLOOP" mkdir "$dev" /d
refused mkfs "$XLOOP" mkfs --force -2 "$dev"
refused "fsck -a" "$XLOOP" fsck -a -f "$dev"
expect_eq "the mounted device" "$before" "$(md5sum <"$dev")"
expect_eq "ls of the mounted device" f "$("$XLOOP" ls "$dev" /)"
"$XLOOP" get "$dev" /f back || fail "get from the mounted $dev"
expect_eq "get from the mounted device" data "$(cat back)"

umount mnt
"$XLOOP" put "$dev" host /g || fail "put after umount"
"$XLOOP" rm "$dev" /f || fail "rm after umount"
fsck.minix -f "$dev" >/dev/null || fail "fsck.minix after the changes"
"$XL_PROBE" detach "$dev"
sleep 0.3
no_device_bound xloop
