#!/bin/bash
# xminix.ko against the stock minix.ko, on every format (V1/V2 with 14 and
# 30-char names, V3 with 1, 2 and 4 KiB blocks): one sequence of operations
# (files through the direct, single, double and triple indirect ranges,
# holes, truncation both ways, directories, renames across them, hard and
# symbolic links, device nodes, fifos, owners beyond 16 bits, a name of the
# longest length, an O_TMPFILE file linked in) applied to two copies of one
# fresh image, one mounted through each, leaves byte-identical images
# (inode times masked), read-only remounted and unmounted; the same FIBMAP
# answers; both pass fsck.  The same failing calls (renameat2 flags too)
# give the same errno through both.  rmmod xminix is refused while mounted.
# Removals follow a sync, so that what writeback leaves does not depend on
# when it ran.
# xt-timeout: 900
# xt-smp: 1
. "$XT_LIB"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap 'minix_cleanup; umount mx 2>/dev/null || true' EXIT
minix_modules
grep -qw xminix /proc/filesystems || fail "xminix is not registered"

head -c 700000 /dev/urandom >random.bin

# ops DIR NAMELEN: the sequence, through the mount at DIR (a failing step
# ends the case: no "|| fail" here, which would turn errexit off inside).
ops() {
	(
		cd "$1" || exit 1
		mkdir -p a/b/c d e
		cp ../random.bin a/big
		head -c 300000 ../random.bin >d/mid
		: >empty
		head -c 3000 ../random.bin >small
		dd if=../random.bin of=sparse bs=1k seek=70000 count=3 status=none
		truncate -s 300000 holes
		head -c 50000 ../random.bin | dd of=holes bs=1k seek=100 conv=notrunc status=none
		sync
		ln a/big d/hard
		ln -s a/big sym
		ln -s "$(name_of_len 200)" longsym
		mkfifo fifo
		mknod cdev c 4 5
		mknod bdev b 7 9
		chmod 4711 a/big
		chown 70000:300 a/b
		echo long >"$(name_of_len "$2")"
		for i in $(seq 1 80); do echo "$i" >"e/f$i"; done
		mkdir gone
		head -c 3000 ../random.bin >devslot
		# Removals after a sync: what an inode freed before writeback
		# leaves in its slot depends on when writeback ran.
		sync
		rmdir gone
		rm e/f3 e/f40 small devslot
		sync
		# Into the slot small had (3 zones): zones 1.. stay as they were.
		mknod cdev2 c 1 3
		mkdir renamed-here
		mv renamed-here renamed-there
		echo again >e/new
		mv e/f50 d/moved
		mv d/moved a/b/
		mv a/b/c d/c2
		mv d/c2 e/c3
		sync
		truncate -s 200000 a/big
		truncate -s 600 d/mid
		truncate -s 100000 sparse
		truncate -s 900000 d/mid
		echo tail >>d/mid
		rm -r e/f1 e/f2 d/hard
		python3 - <<'PY'
import os
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open('d', os.O_TMPFILE | os.O_RDWR, 0o600)
os.write(fd, b'made without a name' * 100)
# linkat(AT_FDCWD, /proc/self/fd/N, AT_FDCWD, name, AT_SYMLINK_FOLLOW)
if libc.linkat(-100, b'/proc/self/fd/%d' % fd, -100, b'd/named-later', 0x400):
    raise OSError(ctypes.get_errno(), 'linkat')
os.fsync(fd)
os.close(fd)
PY
		sync
	)
}

# errnos DIR: the errno of each failing call, one a line.
errnos() {
	python3 - "$1" <<'PY'
import errno, os, sys
d = sys.argv[1]
def attempt(what, f):
    try:
        f()
        print(what, 'ok')
    except OSError as e:
        print(what, errno.errorcode[e.errno])
os.makedirs(d + '/x/y', exist_ok=True)
open(d + '/x/y/f', 'w').close()
attempt('rmdir-nonempty', lambda: os.rmdir(d + '/x'))
attempt('mknod-big-major', lambda: os.mknod(d + '/n', 0o20644, os.makedev(300, 1)))
attempt('symlink-too-long', lambda: os.symlink('x' * 1500, d + '/s'))
attempt('name-too-long', lambda: open(d + '/' + 'n' * 61, 'w'))
attempt('link-dir', lambda: os.link(d + '/x', d + '/x2'))
attempt('rename-into-self', lambda: os.rename(d + '/x', d + '/x/y/z'))
attempt('rename-over-nonempty', lambda: os.rename(d + '/x/y/f', d + '/x'))
attempt('rename-dir-over-file', lambda: os.rename(d + '/x/y', d + '/x/y/f'))
attempt('unlink-dir', lambda: os.unlink(d + '/x'))
attempt('mkdir-exists', lambda: os.mkdir(d + '/x'))
attempt('open-missing', lambda: open(d + '/missing'))
attempt('rmdir-file', lambda: os.rmdir(d + '/x/y/f'))
attempt('truncate-huge', lambda: os.truncate(d + '/x/y/f', 1 << 40))
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def renameat2(a, b, flags):
    def call():
        if libc.renameat2(-100, a.encode(), -100, b.encode(), flags) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    return call
open(d + '/x/y/g', 'w').close()
attempt('rename-noreplace-onto', renameat2(d + '/x/y/f', d + '/x/y/g', 1))
attempt('rename-noreplace', renameat2(d + '/x/y/f', d + '/x/y/h', 1))
attempt('rename-exchange', renameat2(d + '/x/y/h', d + '/x/y/g', 2))
attempt('rename-whiteout', renameat2(d + '/x/y/h', d + '/x/y/i', 4))
PY
}

# fibmap DIR: the zone of every block of a few files (FIBMAP), one line.
fibmap() {
	python3 - "$1" <<'PY'
import fcntl, os, struct, sys
out = []
for name in ('a/big', 'd/mid', 'sparse', 'holes', 'd/named-later'):
    path = os.path.join(sys.argv[1], name)
    with open(path) as f:
        blocks = (os.fstat(f.fileno()).st_size + os.statvfs(path).f_bsize - 1) // os.statvfs(path).f_bsize
        for b in range(blocks):
            out.append(struct.unpack('i', fcntl.ioctl(f, 1, struct.pack('i', b)))[0])
print(' '.join(map(str, out)))
PY
}

for config in "${MINIX_ALL_CONFIGS[@]}"; do
	rm -f kernel.img x.img
	truncate -s 16M kernel.img
	# shellcheck disable=SC2086 # $config holds several options
	case $config in
	*--block-size*) "$XLOOP" mkfs $config kernel.img >/dev/null ;;
	*) mkfs.minix $config kernel.img >/dev/null ;;
	esac || fail "mkfs $config"
	cp kernel.img x.img
	mkdir -p mnt mx
	mount -o loop -t minix kernel.img mnt || fail "mount $config (minix)"
	mount -o loop -t xminix x.img mx || fail "mount $config (xminix)"
	namelen=$(stat -f -c %l mnt)
	expect_eq "$config: name length" "$namelen" "$(stat -f -c %l mx)"
	ops mnt "$namelen"
	ops mx "$namelen"
	expect_eq "$config: statfs" "$(stat -f -c '%b %f %c %d' mnt)" "$(stat -f -c '%b %f %c %d' mx)"
	# Times apart (the two ran one after the other).
	kernel_manifest mnt | awk '{ $6 = ""; print }' >minix.txt
	kernel_manifest mx | awk '{ $6 = ""; print }' >xminix.txt
	diff -u minix.txt xminix.txt || fail "$config: the trees differ"
	map_minix=$(fibmap mnt)
	map_xminix=$(fibmap mx)
	[ -n "$map_minix" ] || fail "$config: no FIBMAP answers"
	expect_eq "$config: FIBMAP" "$map_minix" "$map_xminix"
	expect_fail rmmod xminix
	# Read-only again: the superblock's state goes back as minix.ko puts it.
	mount -o remount,ro mnt || fail "remount,ro $config (minix)"
	mount -o remount,ro mx || fail "remount,ro $config (xminix)"
	sync
	same_image "$config (remounted read-only)" kernel.img x.img
	mount -o remount,rw mnt || fail "remount,rw $config (minix)"
	mount -o remount,rw mx || fail "remount,rw $config (xminix)"
	umount mnt
	umount mx
	same_image "$config" kernel.img x.img
	"$XLOOP" fsck -f x.img >fsck.out 2>&1 || { cat fsck.out; fail "$config: xloop fsck"; }
	case $config in
	*--block-size*) ;;
	*) fsck.minix -f x.img >fsck.out 2>&1 || { cat fsck.out; fail "$config: fsck.minix"; } ;;
	esac

	mount -o loop -t minix kernel.img mnt || fail "remount $config (minix)"
	mount -o loop -t xminix x.img mx || fail "remount $config (xminix)"
	errnos mnt >minix.err
	errnos mx >xminix.err
	diff -u minix.err xminix.err || fail "$config: errnos differ"
	umount mnt
	umount mx
	echo "ok $config: identical images, trees and errnos"
done
