#!/usr/bin/env python3
"""Corrupt Minix images against a mounted file system driver: each image is
a copy of a populated base image with a few of its metadata bytes changed
(the superblock, the bitmaps, inodes and their zone pointers, sizes, modes
and link counts, directory and indirect blocks), attached to a loop device,
mounted, walked (every directory listed, every file read in part, every
symlink read) and changed (a file written, a directory made, a rename, an
unlink, a truncate), unmounted and detached.  The kernel log is read after
every image: a splat (WARNING, BUG, Oops, ...) stops the run and keeps the
image as a reproducer.  Every failure must be an errno; the tally of them is
printed at the end.

With FSTYPE "xminix,minix" (the side-by-side record) each image goes to
xminix.ko and then to the stock minix.ko, each in a child process of its
own (an oops kills the task that hit it), with the same changes: xminix.ko
must stay clean as above; what minix.ko does (its splats, a killed walker, a
hang) is recorded and printed, not judged.

usage: minix_fuzz.py BASE COUNT SEED FSTYPE KEEPDIR
"""
import collections
import ctypes
import errno
import fcntl
import os
import random
import struct
import sys
import time

base_path, count, seed, fstype, keep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4], sys.argv[5]
base = open(base_path, 'rb').read()
rng = random.Random(seed)
libc = ctypes.CDLL(None, use_errno=True)
tally = collections.Counter()

LOOP_SET_FD, LOOP_CLR_FD, LOOP_CTL_GET_FREE = 0x4C00, 0x4C01, 0x4C82
SPLATS = (b'WARNING:', b'BUG:', b'Oops', b'general protection', b'UBSAN', b'KASAN',
          b'kernel BUG', b'possible recursive locking', b'circular locking',
          b'blocked for more than')


def layout(img):
    """(block size, imap, zmap, ninodes, first data zone, zones, inode size, ptr size)"""
    sb = img[1024:1056]
    if struct.unpack_from('<H', sb, 24)[0] == 0x4d5a:
        ninodes, _, imap, zmap, first = struct.unpack_from('<IHHHH', sb, 0)
        zones = struct.unpack_from('<I', sb, 20)[0]
        bs = struct.unpack_from('<H', sb, 28)[0]
        return bs, imap, zmap, ninodes, first, zones, 64, 4
    ninodes, nzones, imap, zmap, first = struct.unpack_from('<HHHHH', sb, 0)
    magic = struct.unpack_from('<H', sb, 16)[0]
    if magic in (0x137f, 0x138f):
        return 1024, imap, zmap, ninodes, first, nzones, 32, 2
    return 1024, imap, zmap, ninodes, first, struct.unpack_from('<I', sb, 20)[0], 64, 4


BS, IMAP, ZMAP, NINODES, FIRST, ZONES, ISIZE, PTR = layout(base)
TABLE = (2 + IMAP + ZMAP) * BS
V1 = ISIZE == 32
# Within an inode: mode, links, size, zone array (V1 and V2/V3 layouts).
MODE_OFF, LINKS_OFF, SIZE_OFF, ZONE_OFF = (0, 13, 4, 14) if V1 else (0, 2, 8, 24)
LINKS_FMT = '<B' if V1 else '<H'
ZFMT = '<H' if V1 else '<I'


def used_inodes():
    """Inodes 1..32 that are in use in the base image (the ones that matter)."""
    out = []
    for ino in range(1, min(NINODES, 32) + 1):
        if base[2 * BS + ino // 8] >> (ino % 8) & 1:
            out.append(ino)
    return out or [1]


USED = used_inodes()


def inode_at(ino):
    return TABLE + (ino - 1) * ISIZE


def metadata_zones():
    """The zones of the base image's directories and its indirect blocks:
    what a corrupt byte in a data zone should hit (file data is no
    metadata)."""
    zones = set()
    per = BS // PTR
    slots = 9 if V1 else 10
    for ino in USED:
        raw = inode_at(ino)
        mode = struct.unpack_from('<H', base, raw)[0]
        ptrs = [struct.unpack_from(ZFMT, base, raw + ZONE_OFF + k * PTR)[0] for k in range(slots)]
        if mode & 0o170000 == 0o040000:
            zones.update(z for z in ptrs[:7] if FIRST <= z < ZONES)
        # Indirect blocks, and the double indirect block's children.
        for level, z in enumerate(ptrs[7:]):
            if not FIRST <= z < ZONES:
                continue
            zones.add(z)
            if level >= 1:
                block = base[z * BS:(z + 1) * BS]
                zones.update(c for c in (struct.unpack_from(ZFMT, block, k * PTR)[0]
                                         for k in range(per)) if FIRST <= c < ZONES)
    return sorted(zones) or [FIRST]


META_ZONES = metadata_zones()


def zone_value():
    return rng.choice([0, 1, 2, FIRST - 1, FIRST, FIRST + 1, ZONES - 1, ZONES, ZONES + 1,
                       rng.randrange(1 << (8 * PTR)), rng.randrange(FIRST, FIRST + 40)]) \
        & ((1 << (8 * PTR)) - 1)


def mutate(img):
    what = []
    for _ in range(rng.choice([1, 1, 2, 3, 4])):
        kind = rng.choice(['super', 'bitmap', 'table', 'zone', 'zone', 'size', 'mode', 'links',
                           'data', 'data'])
        if kind == 'super':
            off = 1024 + rng.randrange(32)
            img[off] = rng.randrange(256)
        elif kind == 'bitmap':
            off = 2 * BS + rng.randrange((IMAP + ZMAP) * BS)
            img[off] ^= 1 << rng.randrange(8)
        elif kind == 'table':
            ino = rng.choice(USED)
            off = inode_at(ino) + rng.randrange(ISIZE)
            img[off] = rng.randrange(256)
        elif kind == 'zone':
            ino = rng.choice(USED)
            slot = rng.randrange(9 if V1 else 10)
            struct.pack_into(ZFMT, img, inode_at(ino) + ZONE_OFF + slot * PTR, zone_value())
        elif kind == 'size':
            ino = rng.choice(USED)
            struct.pack_into('<I', img, inode_at(ino) + SIZE_OFF,
                             rng.choice([0, 1, 17, 63, BS - 1, BS + 1, 1 << 20, 0x7fffffff,
                                         0xffffffff, rng.randrange(1 << 32)]))
        elif kind == 'mode':
            ino = rng.choice(USED)
            mode = struct.unpack_from('<H', img, inode_at(ino))[0]
            mode = (rng.randrange(16) << 12) | (mode & 0o7777)
            struct.pack_into('<H', img, inode_at(ino), mode)
        elif kind == 'links':
            ino = rng.choice(USED)
            value = rng.choice([0, 1, 2, 255 if V1 else 65535])
            struct.pack_into(LINKS_FMT, img, inode_at(ino) + LINKS_OFF, value)
        else:
            zone = rng.choice(META_ZONES)
            off = zone * BS + rng.randrange(BS)
            if off < len(img):
                img[off] = rng.choice([0, 0xff, rng.randrange(256)])
        what.append(kind)
    return what


def oserr(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def attempt(what, f, *a):
    try:
        r = f(*a)
        tally[what + ' ok'] += 1
        return r
    except OSError as e:
        tally['%s %s' % (what, oserr(e))] += 1
        return None


def walk(top):
    files, dirs, links = [], [], []
    seen = 0
    stack = [top]
    while stack and seen < 3000:
        d = stack.pop()
        names = attempt('readdir', os.listdir, d) or []
        for n in names:
            seen += 1
            p = os.path.join(d, n)
            st = attempt('lstat', os.lstat, p)
            if st is None:
                continue
            if (st.st_mode & 0o170000) == 0o040000:
                dirs.append(p)
                stack.append(p)
            elif (st.st_mode & 0o170000) == 0o100000:
                files.append((p, st.st_size))
            elif (st.st_mode & 0o170000) == 0o120000:
                links.append(p)
    for p, size in files[:200]:
        fd = attempt('open', os.open, p, os.O_RDONLY)
        if fd is None:
            continue
        attempt('read', os.pread, fd, 256 << 10, 0)
        if size > 4096:
            attempt('read', os.pread, fd, 8192, min(size, 1 << 40) - 4096)
        os.close(fd)
    for p in links[:50]:
        attempt('readlink', os.readlink, p)
    return files, dirs


def change(top, files, dirs, rng):
    def write_new():
        fd = os.open(os.path.join(top, 'new-file'), os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            os.pwrite(fd, b'x' * 20000, 0)
            os.pwrite(fd, b'y' * 100, 300000)
            os.fsync(fd)
        finally:
            os.close(fd)
    attempt('write-new', write_new)
    attempt('mkdir', os.mkdir, os.path.join(top, 'new-dir'))
    if files:
        p, _ = rng.choice(files)
        def append():
            fd = os.open(p, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, b'z' * 5000)
            finally:
                os.close(fd)
        attempt('append', append)
        attempt('truncate', os.truncate, p, rng.choice([0, 1, 5000, 70000]))
        attempt('rename', os.rename, p, os.path.join(top, 'new-dir', 'moved'))
    if dirs:
        d = rng.choice(dirs)
        attempt('rename-dir', os.rename, d, os.path.join(top, 'moved-dir'))
        attempt('rmdir', os.rmdir, rng.choice(dirs))
    if len(files) > 1:
        attempt('unlink', os.unlink, rng.choice(files)[0])
    attempt('link', os.link, os.path.join(top, 'new-file'), os.path.join(top, 'new-link'))
    attempt('symlink', os.symlink, 'x' * 100, os.path.join(top, 'new-symlink'))
    attempt('statfs', os.statvfs, top)
    attempt('syncfs', os.sync)


def splat(kmsg):
    found = []
    while True:
        try:
            rec = os.read(kmsg, 8192)
        except BlockingIOError:
            return found
        except OSError as e:
            if e.errno == errno.EPIPE:  # overwritten records: read on
                continue
            raise
        if any(s in rec for s in SPLATS):
            found.append(rec.decode(errors='replace').strip())


def attach_and_mount(ctl, img, img_path, mnt, fstype=fstype):
    """Write img, attach it to a free loop device, mount it: (loop fd, errno)."""
    with open(img_path, 'wb') as f:
        f.write(img)
    n = fcntl.ioctl(ctl, LOOP_CTL_GET_FREE)
    lfd = os.open('/dev/loop%d' % n, os.O_RDWR)
    ffd = os.open(img_path, os.O_RDWR)
    fcntl.ioctl(lfd, LOOP_SET_FD, ffd)
    os.close(ffd)
    if libc.mount(('/dev/loop%d' % n).encode(), mnt.encode(), fstype.encode(), 0, None) != 0:
        return lfd, ctypes.get_errno()
    return lfd, 0


def unmount(mnt, what):
    if libc.umount2(mnt.encode(), 0) != 0:
        raise SystemExit('%s: umount: %s' % (what, os.strerror(ctypes.get_errno())))


def try_image(ctl, img, img_path, mnt, driver, seed_i):
    """Mount, walk, change and unmount img under driver in a child process:
    'mount EXXX', 'walked, N errors', 'killed by signal N' or 'hung'."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        out = 'walked, 0 errors'
        try:
            tally.clear()
            lfd, err = attach_and_mount(ctl, img, img_path, mnt, driver)
            try:
                if err:
                    out = 'mount ' + errno.errorcode.get(err, '?')
                else:
                    files, dirs = walk(mnt)
                    change(mnt, files, dirs, random.Random(seed_i))
                    errors = sum(n for k, n in tally.items() if not k.endswith(' ok'))
                    out = 'walked, %d errors' % errors
                    unmount(mnt, driver)
            finally:
                fcntl.ioctl(lfd, LOOP_CLR_FD)
                os.close(lfd)
        except BaseException as e:  # noqa: B902 - anything, reported as such
            out = 'failed: %s' % e
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            out = os.read(r, 4096).decode()
            os.close(r)
            if os.WIFSIGNALED(status):
                return 'killed by signal %d' % os.WTERMSIG(status)
            return out
        time.sleep(0.05)
    os.close(r)
    return 'hung'


def splat_line(lines):
    """The first splat line, without its kmsg prefix."""
    for rec in lines:
        for s in SPLATS:
            k = rec.find(s.decode())
            if k >= 0:
                return rec[k:].splitlines()[0][:120]
    return lines[0][:120]


def side_by_side(kmsg, ctl, mnt, img_path, progress):
    record = collections.Counter()
    for i in range(count):
        img = bytearray(base)
        what = mutate(img)
        with open(progress, 'w') as f:
            f.write('seed %d image %d: %s\n' % (seed, i, what))
        ours = try_image(ctl, img, img_path, mnt, 'xminix', seed * 100003 + i)
        bad = splat(kmsg)
        if bad or not (ours.startswith('mount ') or ours.startswith('walked')):
            kept = os.path.join(keep, 'splat-%d-%d.img' % (seed, i))
            with open(kept, 'wb') as f:
                f.write(img)
            print('image %d (seed %d, %s): xminix.ko: %s; image kept as %s' %
                  (i, seed, what, ours, kept))
            print('\n'.join(bad[:5]))
            sys.exit(1)
        stock = try_image(ctl, img, img_path, mnt, 'minix', seed * 100003 + i)
        bad = splat(kmsg)
        if bad or not (stock.startswith('mount ') or stock.startswith('walked')):
            line = splat_line(bad) if bad else '-'
            # The kind: where a WARNING points ("fs/inode.c:336 drop_nlink"),
            # else the splat's first words.
            kind = line.split(' at ', 1)[1] if ' at ' in line else line
            record[kind.split('+')[0].split(',')[0]] += 1
            print('image %d (%s): minix.ko: %s; %s | xminix.ko: %s' %
                  (i, what, stock, line, ours))
        if stock == 'hung':
            print('minix.ko hung on image %d: the record stops here' % i)
            break
    os.unlink(progress)
    print('%d images; minix.ko splats, killed walkers or hangs by kind:' % count)
    for k, n in record.most_common():
        print('%6d %s' % (n, k))
    if not record:
        print('     0')


def main():
    kmsg = os.open('/dev/kmsg', os.O_RDONLY | os.O_NONBLOCK)
    os.lseek(kmsg, 0, os.SEEK_END)
    ctl = os.open('/dev/loop-control', os.O_RDWR)
    mnt = os.path.abspath('fuzz-mnt')
    os.makedirs(mnt, exist_ok=True)
    img_path = os.path.abspath('fuzz.img')
    progress = os.path.join(keep, 'fuzz-progress-%d.txt' % seed)

    # The control: the image as populated mounts, and walks without an error.
    lfd, err = attach_and_mount(ctl, bytearray(base), img_path, mnt, fstype.split(',')[0])
    try:
        if err:
            raise SystemExit('the unchanged image does not mount: %s' % os.strerror(err))
        walk(mnt)
        bad = [k for k in tally if not k.endswith(' ok')]
        if bad:
            raise SystemExit('the unchanged image walks with errors: %s' % bad)
        unmount(mnt, 'control')
    finally:
        fcntl.ioctl(lfd, LOOP_CLR_FD)
        os.close(lfd)
    tally.clear()

    if fstype == 'xminix,minix':
        side_by_side(kmsg, ctl, mnt, img_path, progress)
        return
    for i in range(count):
        img = bytearray(base)
        what = mutate(img)
        # Where a panic would leave us (the image comes back from seed and
        # index: the mutations are drawn in order).
        with open(progress, 'w') as f:
            f.write('seed %d image %d: %s\n' % (seed, i, what))
        lfd, err = attach_and_mount(ctl, img, img_path, mnt)
        try:
            if err:
                tally['mount ' + errno.errorcode.get(err, '?')] += 1
            else:
                tally['mount ok'] += 1
                files, dirs = walk(mnt)
                change(mnt, files, dirs, rng)
                unmount(mnt, 'image %d' % i)
        finally:
            fcntl.ioctl(lfd, LOOP_CLR_FD)
            os.close(lfd)
        bad = splat(kmsg)
        if bad:
            kept = os.path.join(keep, 'splat-%d-%d.img' % (seed, i))
            with open(kept, 'wb') as f:
                f.write(img)
            print('image %d (seed %d, %s): kernel splat; image kept as %s' % (i, seed, what, kept))
            print('\n'.join(bad[:5]))
            sys.exit(1)
    os.unlink(progress)
    for k in sorted(tally):
        print('%6d %s' % (tally[k], k))
    # Most mutations leave a mountable image: a run where few mount has
    # walked almost nothing.
    if tally['mount ok'] < count // 4:
        sys.exit('only %d of %d images mounted' % (tally['mount ok'], count))


main()
