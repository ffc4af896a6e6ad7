#!/bin/bash
# What xminix.ko does that minix.ko has no counterpart for, held to ext2
# (Debian's kernels serve it from ext4) as the oracle, call for call: the
# errors= mount option (a link count of 0 under a live entry found by a
# lookup: with continue later changes go on; a remount changes the option;
# the VFS's read-only flag is not changed outside a remount, as ext4 no
# longer does either), an unknown option (mount(2) fails with EINVAL,
# mount(8) exits 32), O_DIRECT (opens; writes and reads aligned to the
# device's sectors go through, others fail with EINVAL), remount,ro refused
# while a file is open for writing, and the state after a remount,ro and rw
# again.  Each
# check prints one line; the lines must be the same for ext2 and xminix.
# minix.ko's lines are recorded beside them.  The errno of the lookup that
# meets the corruption is recorded, not compared (xminix's is EUCLEAN by
# design), and so is the errno of a refused change (ext4 serving ext2 says
# EIO, its errno for a shut-down file system; xminix says EROFS, as the
# ext2 driver did).  What follows an error under errors=remount-ro is held
# to the option's meaning instead of to ext4, which differs by kernel:
# Debian's 6.1 logs "Remounting filesystem read-only" and still lets a
# create through, 6.12 refuses it.  xminix refuses every change until the
# file system is unmounted, a remount,rw included.
# xt-timeout: 600
# xt-smp: 1
. "$XT_LIB"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap 'minix_cleanup; umount mx 2>/dev/null || true' EXIT
minix_modules
mkdir -p mx

# mkimage_of TYPE IMG: a fresh 16 MiB file system with /d/f, 1 KiB blocks.
mkimage_of() {
	rm -f "$2"
	truncate -s 16M "$2"
	case $1 in
	ext2) mkfs.ext2 -q -b 1024 "$2" ;;
	*) mkfs.minix -3 "$2" >/dev/null ;;
	esac || fail "mkfs for $1"
	mount -o loop -t "$1" "$2" mx || fail "mount $1"
	mkdir mx/d
	echo data >mx/d/f
	ino=$(stat -c %i mx/d/f)
	umount mx
}

# zero_links TYPE IMG INO: inode INO's link count set to 0 on disk.
zero_links() {
	case $1 in
	ext2) debugfs -w -R "sif <$3> links_count 0" "$2" >/dev/null 2>&1 ;;
	*)
		python3 - "$2" "$3" <<'PY'
import struct, sys
img, n = sys.argv[1], int(sys.argv[2])
b = bytearray(open(img, 'rb').read())
_, _, imap, zmap = struct.unpack_from('<IHHH', b, 1024)
struct.pack_into('<H', b, (2 + imap + zmap) * 1024 + (n - 1) * 64 + 2, 0)
open(img, 'wb').write(b)
PY
		;;
	esac || fail "zero the link count of inode $3 ($1)"
}

mount_mode() {
	findmnt -n -o OPTIONS --mountpoint mx | cut -d, -f1
}

# checks TYPE: one line per check.
checks() {
	local t=$1 rc got
	# errors=remount-ro, then errors=continue, on a live entry naming an
	# inode without links.
	for mode in remount-ro continue; do
		mkimage_of "$t" c.img
		zero_links "$t" c.img "$ino"
		got=$(mount_errno c.img "$t" "errors=$mode")
		echo "errors=$mode: mount $got"
		[ "$got" = ok ] || { losetup -D; continue; }
		echo "errors=$mode: lookup $(call_errno "os.stat('mx/d/f')")" >&2
		echo "errors=$mode: then $(mount_mode)"
		got=$(call_errno "open('mx/new', 'w').close()")
		echo "errors=$mode: create after: $got" >&2
		case $got in EROFS | EIO) got=refused ;; esac
		rc=0
		mount -o remount,rw mx 2>/dev/null || rc=$?
		again=$(call_errno "open('mx/new3', 'w').close()")
		case $again in EROFS | EIO) again=refused ;; esac
		if [ "$mode" = continue ]; then
			echo "errors=$mode: create after $got"
			echo "errors=$mode: remount,rw exit $rc, then $(mount_mode), create $again"
		else
			# Held to the option's meaning, not to ext4 (see above).
			echo "create after $got; remount,rw exit $rc, create $again" >"$t.required"
		fi
		umount mx
		losetup -D
	done
	# A remount changes errors=: from remount-ro to continue.
	mkimage_of "$t" c.img
	zero_links "$t" c.img "$ino"
	echo "remount: mount $(mount_errno c.img "$t" errors=remount-ro)"
	mount -o remount,errors=continue mx || echo "remount,errors=continue failed"
	call_errno "os.stat('mx/d/f')" >/dev/null
	echo "remount,errors=continue: then $(mount_mode)"
	umount mx
	losetup -D
	# An unknown option.
	mkimage_of "$t" c.img
	echo "unknown option: mount(2) $(mount_errno c.img "$t" bogus=1)"
	losetup -D
	rc=0
	mount -o loop,bogus=1 -t "$t" c.img mx 2>/dev/null || rc=$?
	echo "unknown option: mount(8) exit $rc"
	mountpoint -q mx && umount mx
	losetup -D
	# O_DIRECT, aligned.
	mount -o loop -t "$t" c.img mx || fail "mount $t"
	echo "O_DIRECT: $(call_errno "
import mmap
fd = os.open('mx/direct', os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
buf = mmap.mmap(-1, 4096); buf.write(b'x' * 4096)
assert os.pwrite(fd, buf, 8192) == 4096
back = mmap.mmap(-1, 4096)
assert os.preadv(fd, [back], 8192) == 4096 and back[:] == buf[:]
os.close(fd)
assert open('mx/direct', 'rb').read() == bytes(8192) + b'x' * 4096")"
	echo "O_DIRECT at 512 bytes: $(call_errno "
import mmap
fd = os.open('mx/direct', os.O_RDWR | os.O_DIRECT)
buf = mmap.mmap(-1, 4096); buf.write(b'y' * 4096)
assert os.pwrite(fd, memoryview(buf)[:512], 512) == 512")"
	echo "O_DIRECT at 100 bytes: $(call_errno "
import mmap
fd = os.open('mx/direct', os.O_RDWR | os.O_DIRECT)
os.pwrite(fd, mmap.mmap(-1, 4096), 100)")"
	# remount,ro with a file open for writing; then idle; then rw again.
	exec 9>mx/held
	rc=0
	mount -o remount,ro mx 2>/dev/null || rc=$?
	echo "remount,ro with a writer: exit $rc, $(mount_mode)"
	exec 9>&-
	mount -o remount,ro mx && echo "remount,ro idle: $(mount_mode)"
	echo "write when ro: $(call_errno "open('mx/new2', 'w').close()")"
	mount -o remount,rw mx && echo "remount,rw: $(mount_mode)"
	echo "write when rw again: $(call_errno "open('mx/new2', 'w').close()")"
	umount mx
	losetup -D
	rc=0
	case $t in
	ext2) e2fsck -fn c.img >fsck.out 2>&1 || rc=$? ;;
	*) fsck.minix -f c.img >fsck.out 2>&1 || rc=$? ;;
	esac
	echo "fsck after: exit $rc"
}

for t in ext2 xminix minix; do
	checks "$t" >"$t.out" 2>"$t.lookup" || fail "checks on $t"
	sed "s/^/$t: /" "$t.lookup"
done
echo "minix.ko, recorded:"
diff ext2.out minix.out || true
diff -u ext2.out xminix.out || fail "xminix and ext2 differ"
for t in ext2 minix; do
	echo "$t with errors=remount-ro, recorded: $(cat "$t.required" 2>/dev/null || echo "the mount refused the option")"
done
expect_eq "xminix with errors=remount-ro" "create after refused; remount,rw exit 0, create refused" \
	"$(cat xminix.required)"
cat xminix.out
echo "ok: xminix behaves as ext2 where minix.ko has no counterpart"
