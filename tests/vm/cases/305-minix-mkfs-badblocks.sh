#!/bin/bash
# mkfs -c reads every block and keeps the unreadable ones out of use, as
# mkfs.minix -c does: on a device whose blocks 1000-1003 fail (a dm-error
# segment), both find the same bad blocks and print the same report; the
# filesystem checks clean (fsck.minix and ours), keeps them in
# "/.badblocks", and the tool's writes stay off them.  mkfs -l FILE with
# the same numbers on a file gives the same result.
# xt-disk: 16
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../minix-lib.sh
. "$XT_TOP/tests/vm/minix-lib.sh"
name=xt-bad
export DM_DISABLE_UDEV=1
cleanup() {
	if [ -e "/dev/mapper/$name" ]; then dmsetup remove --noudevsync "$name"; fi
	return 0
}
trap cleanup EXIT
modprobe dm-mod 2>/dev/null || true
# 8 MiB: blocks 1000-1003 (sectors 2000-2007) read as errors.
printf '%s\n' "0 2000 linear $XT_DISK 0" "2000 8 error" "2008 14376 linear $XT_DISK 2008" |
	dmsetup create "$name" --noudevsync || fail "dmsetup create $name"
dev=/dev/mapper/$name

mkfs.minix -1 -c "$dev" >theirs.out 2>&1 || fail "mkfs.minix -c: $(cat theirs.out)"
"$XLOOP" mkfs --force -1 -c "$dev" >ours.out 2>&1 || fail "xloop mkfs -c: $(cat ours.out)"
cat ours.out
# mkfs.minix prints a progress count while it checks; the reports compare.
sed -i 's/^[0-9 .]*\.\.\.//' theirs.out
diff -u theirs.out ours.out || fail "xloop mkfs -c and mkfs.minix -c report differently"
grep -q '^4 bad blocks$' ours.out || fail "the 4 unreadable blocks were not found"
fsck.minix -f "$dev" >/dev/null || fail "fsck.minix after mkfs -c"
"$XLOOP" fsck -f "$dev" >/dev/null || fail "xloop fsck after mkfs -c"
expect_eq ".badblocks" "---------- 4096 .badblocks" \
	"$("$XLOOP" ls -l "$dev" / | awk '{ print $1, $5, $NF }')"
# Writes go around the bad blocks.
head -c 2M /dev/urandom >data
"$XLOOP" put "$dev" data /data || fail "put on a filesystem with bad blocks"
"$XLOOP" get "$dev" /data back || fail "get from a filesystem with bad blocks"
cmp data back || fail "the file read back differs"
fsck.minix -f "$dev" >/dev/null || fail "fsck.minix after the writes"

# -l with the same numbers, on a file: the same filesystem as mkfs.minix -l.
printf '%s\n' 1000 1001 1002 1003 >list
truncate -s 8M a.img b.img
mkfs.minix -1 -l list a.img >/dev/null || fail "mkfs.minix -l"
"$XLOOP" mkfs -1 -l list b.img >/dev/null || fail "xloop mkfs -l"
fsck.minix -f b.img >/dev/null || fail "fsck.minix after mkfs -l"
# The same zones in use, and the same bad-blocks file.
used() { "$XLOOP" inspect --json "$1" | sed -n 's/.*"data_zones_used": \([0-9]*\).*/\1/p'; }
expect_eq "zones in use" "$(used a.img)" "$(used b.img)"
expect_eq "the bad-blocks file" "$("$XLOOP" ls -n a.img / | awk '{ print $1, $5, $NF }')" \
	"$("$XLOOP" ls -n b.img / | awk '{ print $1, $5, $NF }')"
