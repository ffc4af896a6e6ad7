#!/bin/bash
# xminix.ko on corrupt images: what mount-time validation refuses (EUCLEAN,
# "Structure needs cleaning", with a message naming the fault), and what a
# mounted file system meets later (zone pointers into the metadata or
# through themselves, entries naming inodes out of range or free, link
# counts too low, impossible sizes and types): the call fails with EUCLEAN
# (or EIO from the page cache), nothing is written where the metadata does
# not say, and the kernel logs no warning (the harness fails the run on
# one).  errors=remount-ro refuses every change after the first
# corruption (met while device-mapper has the file system frozen, too);
# an unknown option fails the mount.
# xt-timeout: 600
# xt-smp: 1
. "$XT_LIB"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap 'umount mx 2>/dev/null || true; dmsetup remove xminix-frozen 2>/dev/null || true
	losetup -D 2>/dev/null || true' EXIT
modprobe loop || fail "modprobe loop"
modprobe dm-mod || fail "modprobe dm-mod"
# No udev in the guest: dmsetup makes /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1
mkdir -p mx

# A V2 image (1 KiB blocks, 64-byte inodes, 32-byte entries) made by the
# model, and a patcher that knows where things are in it.
cat >patch.py <<'PY'
import struct, sys
img, what = sys.argv[1], sys.argv[2:]
b = bytearray(open(img, 'rb').read())
ninodes, _, imap, zmap, first = struct.unpack_from('<HHHHH', b, 1024)
table = (2 + imap + zmap) * 1024
def ino(n): return table + (n - 1) * 64
def zone(n, i): return struct.unpack_from('<I', b, ino(n) + 24 + 4 * i)[0]
def set16(off, v): struct.pack_into('<H', b, off, v)
def set32(off, v): struct.pack_into('<I', b, off, v)
def entry(dirzone, slot): return dirzone * 1024 + slot * 32
root = zone(1, 0)
for w in what:
    k, _, v = w.partition('=')
    if k == 'imap-pad':   b[2 * 1024 + 1023] = 0          # last imap byte
    elif k == 'zmap-pad': b[(2 + imap) * 1024 + 1023] = 0
    elif k == 'first':    set16(1024 + 8, int(v))
    elif k == 'zones':    set32(1024 + 20, int(v))
    elif k == 'logzone':  set16(1024 + 10, int(v))
    elif k == 'magic':    set16(1024 + 16, int(v, 0))
    elif k == 'root-mode': set16(ino(1), int(v, 8))
    elif k == 'root-nlinks': set16(ino(1) + 2, int(v))
    elif k.startswith('mode'):   set16(ino(int(k[4:])), int(v, 8))
    elif k.startswith('nlinks'): set16(ino(int(k[6:])) + 2, int(v))
    elif k.startswith('size'):   set32(ino(int(k[4:])) + 8, int(v))
    elif k.startswith('zone'):   # zoneN.I=VALUE
        n, i = k[4:].split('.'); set32(ino(int(n)) + 24 + 4 * int(i), int(v))
    elif k.startswith('selfind'):  # selfindN[.E]: entry E (0) of inode N's single indirect block points at the block
        n, _, e = k[7:].partition('.'); z = zone(int(n), 7); set32(z * 1024 + 4 * int(e or 0), z)
    elif k.startswith('bit'):      # bitZONE: print whether zone ZONE is marked in use
        z = int(k[3:]) - first + 1; print((b[(2 + imap) * 1024 + z // 8] >> (z % 8)) & 1)
    elif k.startswith('dirent'):   # direntSLOT=INO in the root directory
        set16(entry(root, int(k[6:])), int(v))
    elif k == 'print-table': print(table)
    elif k.startswith('print-zone'):
        n, i = k[10:].split('.'); print(zone(int(n), int(i)))
open(img, 'wb').write(b)
PY

# Inodes: 1 /, 2 /f (20 KiB: direct zones and a single indirect block),
# 3 /d, 4 /d/g, 5 /h (two links: /h and /d/h2); made through the stock
# minix.ko.
head -c 20480 /dev/urandom >f.bin
base() {
	rm -f base.img
	truncate -s 4M base.img
	mkfs.minix -2 -n 30 base.img >/dev/null || fail "mkfs.minix"
	mount -o loop -t minix base.img mx || fail "mount the base image"
	cp f.bin mx/f
	mkdir mx/d
	echo target >mx/d/g
	echo link >mx/h
	ln mx/h mx/d/h2
	umount mx
	losetup -D
}
modprobe minix || fail "modprobe minix"
base

# try_mount IMAGE [OPTIONS]: the errno of mount(2) of IMAGE as xminix.
try_mount() {
	mount_errno "$1" xminix "${2:-}"
}

# mount_fault NAME EXPECTED PATCH...: patch a copy, mount, expect an errno.
mount_fault() {
	local name=$1 expected=$2 got
	shift 2
	cp base.img m.img
	python3 patch.py m.img "$@"
	sum=$(md5sum <m.img)
	got=$(try_mount m.img errors=remount-ro)
	[ "$got" = ok ] && umount mx
	losetup -D
	expect_eq "mount with $name" "$expected" "$got"
	expect_eq "the image after a refused mount with $name" "$sum" "$(md5sum <m.img)"
}

expect_eq "mount of the clean image" ok "$(try_mount base.img)"
umount mx
losetup -D
mount_fault "inode bitmap padding clear" EUCLEAN imap-pad
mount_fault "zone bitmap padding clear" EUCLEAN zmap-pad
mount_fault "inode table running into the data" EUCLEAN first=10
mount_fault "zones beyond the device" EUCLEAN zones=4100
mount_fault "a zone size" EUCLEAN logzone=1
mount_fault "a root that is a file" EUCLEAN root-mode=100644
mount_fault "a root without links" EUCLEAN root-nlinks=0
mount_fault "no Minix magic" EINVAL magic=0x1234
dmesg | grep -q "xminix (.*): zones beyond the end of the device" || fail "no message naming the device size fault"
dmesg | grep -q "xminix (.*): inode table runs into the data zones" ||
	fail "no message naming the inode table fault"
expect_eq "an unknown option" EINVAL "$(try_mount base.img bogus=1)"
losetup -D
dmesg | grep -q "xminix: Unknown parameter 'bogus'" || fail "no message naming the unknown option"

# run_fault NAME PATCH -- PYTHON: mount a patched copy; the Python snippet
# (with d = the mount point) prints what it saw.
run_fault() {
	local name=$1
	shift
	cp base.img r.img
	while [ "$1" != -- ]; do python3 patch.py r.img "$1"; shift; done
	shift
	dev=$(losetup -f --show r.img)
	mount -t xminix "$dev" mx || fail "mount for $name"
	python3 - <<PY >run.out 2>&1 || { cat run.out; fail "$name: the check failed"; }
import errno, os
d = 'mx'
def err(f):
    try:
        f()
        return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
$1
PY
	umount mx
	losetup -D
	echo "ok $name"
}

table=$(python3 patch.py base.img print-table)
# /f's third zone pointed at the inode table: reads fail, a write must not
# land there (the table's bytes are compared after).
run_fault "a zone pointer into the inode table" "zone2.2=$((table / 1024))" -- "
got = err(lambda: open(d + '/f', 'rb').read())
assert got in ('EIO', 'EUCLEAN'), got
def write():
    with open(d + '/f', 'r+b') as f:
        f.seek(2048); f.write(b'x' * 1024); f.flush(); os.fsync(f.fileno())
got = err(write)
assert got in ('EIO', 'EUCLEAN'), got
"
python3 - r.img base.img "$table" <<'PY' || fail "a write landed in the inode table"
import sys
a, b = (open(p, 'rb').read() for p in sys.argv[1:3]); t = int(sys.argv[3])
# Only inode 2's slot may differ (times), not the blocks around it.
assert a[t + 128:t + 4096] == b[t + 128:t + 4096]
PY
run_fault "an indirect block through itself" selfind2 -- "
got = err(lambda: open(d + '/f', 'rb').read())
assert got in ('EIO', 'EUCLEAN'), got
"
# Truncating into the single indirect block of /f, whose entry 12 (past
# the cut) names the block itself: the block stays (still /f's), the
# corruption is reported, nothing is freed twice.
run_fault "a truncation through a block that names itself" selfind2.12 -- "
os.truncate(d + '/f', 10240)
"
expect_eq "the indirect block kept by the truncation" 1 \
	"$(python3 patch.py r.img "bit$(python3 patch.py base.img print-zone2.7)")"
run_fault "an entry naming an inode out of range" dirent2=60000 -- "
names = os.listdir(d)
assert 'f' not in names, names
"
run_fault "an entry naming a free inode" nlinks2=0 -- "
assert err(lambda: os.stat(d + '/f')) == 'EUCLEAN'
assert err(lambda: os.unlink(d + '/f')) == 'EUCLEAN'
"
run_fault "a directory with one link" nlinks3=1 -- "
os.unlink(d + '/d/g')
os.unlink(d + '/d/h2')
assert err(lambda: os.rmdir(d + '/d')) == 'EUCLEAN'
"
run_fault "a directory size off the entry size" size3=70 -- "
assert err(lambda: os.listdir(d + '/d')) == 'EUCLEAN'
"
run_fault "an unknown file type" mode4=170644 -- "
assert err(lambda: os.stat(d + '/d/g')) == 'EUCLEAN'
"
run_fault "a symbolic link of length 0" mode4=120777 size4=0 -- "
assert err(lambda: os.readlink(d + '/d/g')) == 'EUCLEAN'
"

# errors=remount-ro: after the first corruption every change fails with
# EROFS.  The VFS's read-only flag stays as it is (see xminix_corrupt()):
# here the corruption is met while device-mapper has the file system frozen
# (dmsetup suspend), and a flag flipped between freeze and thaw would leave
# every later writer waiting for ever.  It lasts until the unmount.
cp base.img ro.img
python3 patch.py ro.img nlinks2=0
dev=$(losetup -f --show ro.img)
dmsetup create xminix-frozen --noudevsync --table "0 $(blockdev --getsz "$dev") linear $dev 0" ||
	fail "dmsetup create"
mount -t xminix -o errors=remount-ro /dev/mapper/xminix-frozen mx || fail "mount errors=remount-ro"
grep " $PWD/mx " /proc/mounts | grep -q "errors=remount-ro" || fail "errors=remount-ro not in /proc/mounts"
# The root's entries and the inode table's first block (through /h, inode
# 5) in the cache: the lookup of /f (inode 2) below needs no I/O while the
# device is suspended.
ls mx >/dev/null
stat mx/h >/dev/null
dmsetup suspend --noudevsync xminix-frozen || fail "dmsetup suspend"
stat mx/f >/dev/null 2>&1 && fail "stat of an entry naming a free inode succeeded"
dmsetup resume --noudevsync xminix-frozen || fail "dmsetup resume"
dmesg | grep -q "xminix (.*): read-only from now on (errors=remount-ro)" ||
	fail "no message saying the file system is read-only now"
expect_eq "create after a corruption with errors=remount-ro" EROFS "$(call_errno "open('mx/new', 'w')")"
expect_eq "rename after a corruption with errors=remount-ro" EROFS \
	"$(call_errno "os.rename('mx/h', 'mx/h3')")"
expect_eq "chmod after a corruption with errors=remount-ro" EROFS "$(call_errno "os.chmod('mx/h', 0o600)")"
expect_eq "a write into a file after a corruption" EROFS \
	"$(call_errno "os.write(os.open('mx/h', os.O_WRONLY | os.O_APPEND), b'more')")"
# Stopped until unmounted (as ext4): a remount does not lift it.
timeout "$(hang_limit 30)" mount -o remount,rw mx || fail "remount,rw after errors=remount-ro"
expect_eq "create after remount,rw" EROFS "$(call_errno "open('mx/new', 'w')")"
umount mx
mount -t xminix /dev/mapper/xminix-frozen mx || fail "mount again after errors=remount-ro"
expect_eq "create after a new mount" ok "$(call_errno "open('mx/new', 'w')")"
umount mx
dmsetup remove --noudevsync xminix-frozen
losetup -D
"$XLOOP" fsck -f base.img >/dev/null || fail "the base image is not clean"
