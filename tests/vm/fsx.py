#!/usr/bin/env python3
"""A data-integrity checker in the style of fsx: random reads, writes (past
the end too, leaving holes), truncates both ways, writes and reads through
a shared mapping, and O_DIRECT reads and writes of whole pages (where the
file system takes O_DIRECT) on one file, each checked against an in-memory
shadow of what the file must hold; every REMOUNT_EVERY operations the file
is closed, the file system remounted and the caches dropped, and the whole
file compared.  Exits 1 at the first mismatch, naming the operation.

usage: fsx.py FILE OPS SEED REMOUNT_COMMAND
  REMOUNT_COMMAND runs through sh between phases (umount and mount again).
  FSX_DIRECT=1 in the environment: O_DIRECT must open.
"""
import mmap
import os
import random
import subprocess
import sys

path, nops, seed, remount = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
MAX = 3 << 20
PAGE = mmap.PAGESIZE
REMOUNT_EVERY = 250
rng = random.Random(seed)
shadow = bytearray()
log = []


def fail(what):
    print('fsx: seed %d: %s; last operations:' % (seed, what), file=sys.stderr)
    for entry in log[-12:]:
        print('  ' + entry, file=sys.stderr)
    sys.exit(1)


def check(fd, off, length, what):
    got = os.pread(fd, length, off)
    want = bytes(shadow[off:off + length])
    if got != want:
        bad = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                   min(len(got), len(want)))
        fail('%s: mismatch at byte %d (read %d bytes, expected %d)'
             % (what, off + bad, len(got), len(want)))


def span():
    off = rng.randrange(0, MAX)
    return off, rng.randrange(1, min(MAX - off, 65536) + 1)


def open_direct():
    """A second descriptor with O_DIRECT, or None where it is refused."""
    try:
        return os.open(path, os.O_RDWR | os.O_DIRECT)
    except OSError as e:
        if os.environ.get('FSX_DIRECT') == '1':
            fail('O_DIRECT open: %s' % os.strerror(e.errno))
        return None


def shadow_write(off, data):
    """What the file must hold after DATA is written at OFF."""
    if off > len(shadow):
        shadow.extend(bytes(off - len(shadow)))
    shadow[off:off + len(data)] = data


def aligned_span():
    off = rng.randrange(0, MAX // PAGE) * PAGE
    return off, min(MAX - off, rng.randrange(1, 17) * PAGE)


def op(fd, dfd):
    kinds = ['read', 'write', 'write', 'truncate', 'mapwrite', 'mapread']
    if dfd is not None:
        kinds += ['dwrite', 'dread']
    kind = rng.choice(kinds)
    if kind == 'dwrite':
        # Page-aligned buffers (anonymous mappings), offsets and lengths.
        off, n = aligned_span()
        data = rng.randbytes(n)
        log.append('dwrite %d+%d' % (off, n))
        with mmap.mmap(-1, n) as buf:
            buf[:] = data
            if os.pwrite(dfd, buf, off) != n:
                fail('short O_DIRECT write')
        shadow_write(off, data)
    elif kind == 'dread':
        off, n = aligned_span()
        log.append('dread %d+%d' % (off, n))
        with mmap.mmap(-1, n) as buf:
            got = os.preadv(dfd, [buf], off)
            want = bytes(shadow[off:off + n])
            if got != len(want) or buf[:got] != want:
                fail('O_DIRECT read: %d bytes, expected %d, or other data'
                     % (got, len(want)))
    elif kind == 'read':
        off, n = span()
        log.append('read %d+%d' % (off, n))
        check(fd, off, n, 'read')
    elif kind == 'write':
        off, n = span()
        data = rng.randbytes(n)
        log.append('write %d+%d' % (off, n))
        if os.pwrite(fd, data, off) != n:
            fail('short write')
        shadow_write(off, data)
    elif kind == 'truncate':
        size = rng.randrange(0, MAX)
        log.append('truncate %d' % size)
        os.ftruncate(fd, size)
        if size < len(shadow):
            del shadow[size:]
        else:
            shadow.extend(bytes(size - len(shadow)))
    elif len(shadow) >= PAGE:
        # A mapping of whole pages inside the file.
        start = rng.randrange(0, len(shadow) // PAGE) * PAGE
        length = min(len(shadow) - start, rng.randrange(1, 16) * PAGE)
        with mmap.mmap(fd, length, offset=start) as m:
            off = rng.randrange(0, length)
            n = rng.randrange(1, length - off + 1)
            if kind == 'mapwrite':
                data = rng.randbytes(n)
                log.append('mapwrite %d+%d' % (start + off, n))
                m[off:off + n] = data
                shadow[start + off:start + off + n] = data
                if rng.random() < 0.5:
                    m.flush()
            else:
                log.append('mapread %d+%d' % (start + off, n))
                if m[off:off + n] != bytes(shadow[start + off:start + off + n]):
                    fail('mapread mismatch')


fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
dfd = open_direct()
for i in range(1, nops + 1):
    op(fd, dfd)
    if i % REMOUNT_EVERY == 0 or i == nops:
        if os.fstat(fd).st_size != len(shadow):
            fail('size %d, expected %d' % (os.fstat(fd).st_size, len(shadow)))
        os.close(fd)
        if dfd is not None:
            os.close(dfd)
        log.append('remount')
        if subprocess.run(['sh', '-c', remount]).returncode != 0:
            fail('remount failed')
        fd = os.open(path, os.O_RDWR)
        dfd = open_direct()
        if os.fstat(fd).st_size != len(shadow):
            fail('size after remount %d, expected %d' % (os.fstat(fd).st_size, len(shadow)))
        check(fd, 0, len(shadow), 'whole file after remount')
os.close(fd)
if dfd is not None:
    os.close(dfd)
print('fsx: seed %d: %d operations%s, final size %d, no mismatch'
      % (seed, nops, '' if dfd is not None else ' (no O_DIRECT here)', len(shadow)))
