#!/usr/bin/env python3
"""Random file system operation sequences for three-way parity (VM case 404):
the same script is applied through a mounted xminix.ko, a mounted minix.ko
and the model (tests/tools/minix_replay), and each side prints one result
per operation ("ok", a value, or the errno's name) for the case to compare
before it compares the images.

usage: minix_ops.py gen SEED COUNT NAMELEN BLOCKSIZE PTRBYTES MAXSIZE LINKMAX
       minix_ops.py run DIR SCRIPT [nosync]

gen prints a script.  Names come from pools by kind, so that a name's kind
never changes (dN a directory, fN a regular file, lN a symlink, nN a device
node or fifo): every path component but the last is a directory or missing,
as the model's path lookup (which follows no symlinks) needs.  Each pool has
a name of the longest length the format allows, and one a character longer.

Script lines (paths relative to the mount, no spaces):
  mkdir P MODE | create P MODE | mknod P fifo|chr MAJOR MINOR MODE
  write P OFFSET LEN SEED | truncate P SIZE | symlink TARGET P
  link OLD NEW | unlink P | rmdir P | rename OLD NEW [noreplace]
  chmod P MODE | chown P UID GID | links P DIR COUNT | unlinks DIR COUNT
  read P OFFSET LEN (prints the file's size and a digest of what it read)
Modes are octal.  PTRBYTES is the size of a zone pointer (2 on V1, else 4);
LINKMAX the format's link limit (links is left out above 1000: tens of
thousands of links take too long in the VM).  write's bytes are
data_byte_block(SEED); links makes COUNT hard links DIR/kI to P (stopping at
the first error, which it prints with how many it made), unlinks removes
them again.

run applies a script through the mounted file system at DIR.  Before every
operation that can free an inode or a zone it syncs: an inode freed before
its first writeback leaves other bytes in the inode table than one freed
after it (minix.ko, like xminix.ko, clears only the mode and link count), a
truncate drops dirty pages and indirect blocks unwritten (their zones keep
their old bytes), and the model writes everything.  With nosync it does not (a workload to
cut the power under, VM case 407).
"""
import errno
import os
import random
import sys


def data_byte_block(seed, start, length):
    """The bytes of a write: a pattern both runners compute alike."""
    return bytes(((seed * 131 + (i * 7) + (i >> 9)) & 0xFF) for i in range(start, start + length))


def result(err):
    return errno.errorcode.get(err, str(err))


# ---------------------------------------------------------------- generator


def digest(data):
    """64-bit FNV-1a, as minix_replay computes it."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return '%016x' % h


def gen(seed, count, namelen, bs, ptrbytes, maxsize, linkmax):
    rng = random.Random(seed)
    names = {}
    for kind in 'dfln':
        pool = ['%s%d' % (kind, i) for i in range(4 if kind == 'd' else 6)]
        pool.append(kind + 'x' * (namelen - 1))
        pool.append(kind + 'y' * namelen)  # one too long: ENAMETOOLONG
        names[kind] = pool

    def name(kind):
        pool = names[kind]
        # The long names now and then only.
        return rng.choice(pool if rng.random() < 0.08 else pool[:-2])

    # What the sequence has made so far, as far as the generator can tell
    # (path -> kind): most operations name something that is there.
    known = {'': 'd'}

    def parent(p):
        return p.rpartition('/')[0]

    def fits(p):
        return len(p.rpartition('/')[2]) <= namelen

    def dirpath():
        if rng.random() < 0.8:
            return rng.choice(sorted(k for k, v in known.items() if v == 'd'))
        return '/'.join(name('d') for _ in range(rng.choice([1, 2, 3])))

    def path(kind, there_odds=0.65):
        there = sorted(k for k, v in known.items() if v == kind and k)
        if there and rng.random() < there_odds:
            return rng.choice(there)
        d = dirpath()
        return (d + '/' if d else '') + name(kind)

    def made(p, kind):
        if known.get(parent(p)) == 'd' and p not in known and fits(p):
            known[p] = kind

    def gone(p):
        if p and not any(k.startswith(p + '/') for k in known):
            known.pop(p, None)

    def moved(a, b):
        if a not in known or not a or known.get(parent(b)) != 'd' or not fits(b) or \
                b == a or b.startswith(a + '/') or any(k.startswith(b + '/') for k in known):
            return
        for k in sorted(known):
            if k == a or k.startswith(a + '/'):
                known[b + k[len(a):]] = known.pop(k)

    # Offsets where the block tree changes depth: 7 direct zones, then one
    # indirect block's worth, then its square.
    per = bs // ptrbytes
    edges = [7 * bs, (7 + per) * bs, (7 + per + per * per) * bs]
    edges = [e for e in edges if e < maxsize - 65536]

    def offset():
        r = rng.random()
        if r < 0.5:
            return rng.randrange(0, 40000)
        if r < 0.85 and edges:
            return max(0, rng.choice(edges) + rng.randrange(-3 * bs, 3 * bs))
        return rng.randrange(0, min(maxsize - 65536, 1 << 27))

    modes = ['644', '755', '600', '2755', '1777', '4711', '0']
    out = []
    linked = 0
    for i in range(count):
        r = rng.random()
        if r < 0.10:
            p = path('d', 0.15)
            out.append('mkdir %s %s' % (p, rng.choice(['755', '700', '2775', '1777'])))
            made(p, 'd')
        elif r < 0.18:
            p = path('f', 0.15)
            out.append('create %s %s' % (p, rng.choice(modes[:3])))
            made(p, 'f')
        elif r < 0.38:
            n = rng.choice([1, 100, 1024, 3000, bs, 2 * bs + 5, 9000, 20000])
            out.append('write %s %d %d %d' % (path('f', 0.92), offset(), n, rng.randrange(256)))
        elif r < 0.46:
            out.append('truncate %s %d' % (path('f', 0.92), offset()))
        elif r < 0.50:
            t = rng.choice(['../' + name('f'), 'x' * rng.choice([1, 60, 200, bs - 1, bs]),
                            dirpath() or '.'])
            p = path('l', 0.15)
            out.append('symlink %s %s' % (t, p))
            if len(t) < bs:
                made(p, 'l')
        elif r < 0.53:
            p = path('n', 0.15)
            if rng.random() < 0.5:
                out.append('mknod %s fifo 0 0 %s' % (p, rng.choice(modes[:3])))
            else:
                out.append('mknod %s chr %d %d 644' % (p, rng.choice([1, 4, 200, 255]),
                                                       rng.choice([3, 7, 255, 300])))
            made(p, 'n')
        elif r < 0.59:
            a, b = path('f', 0.9), path('f', 0.3)
            out.append('link %s %s' % (a, b))
            if a in known:
                made(b, 'f')
        elif r < 0.67:
            p = path(rng.choice('ffln'))
            out.append('unlink %s' % p)
            gone(p)
        elif r < 0.72:
            p = path('d')
            out.append('rmdir %s' % p)
            gone(p)
        elif r < 0.84:
            kind = rng.choice('fffddln')
            extra = ' noreplace' if rng.random() < 0.15 else ''
            a, b = path(kind, 0.9), path(kind, 0.4)
            out.append('rename %s %s%s' % (a, b, extra))
            if not (extra and b in known):
                moved(a, b)
        elif r < 0.88:
            out.append('chmod %s %s' % (path(rng.choice('fdn'), 0.9), rng.choice(modes)))
        elif r < 0.91:
            out.append('chown %s %d %d' % (path(rng.choice('fdln'), 0.9), rng.choice([0, 7, 300, 70000]),
                                            rng.choice([0, 5, 300, 70000])))
        elif r < 0.92 and linked < 2 and linkmax <= 1000:
            # Links up to the format's limit (and one past it), then gone again.
            linked += 1
            d = dirpath()
            out.append('links %s %s %d' % (path('f'), d or '.', linkmax + 1))
            out.append('unlinks %s %d' % (d or '.', linkmax + 1))
        else:
            out.append('read %s %d %d' % (path('f', 0.92), offset(), rng.choice([100, 5000, 65536])))
    return out


# ---------------------------------------------------------------- kernel runner


def run(top, script, sync=True):
    lines = open(script).read().splitlines()
    os.umask(0)
    os.chdir(top)
    out = []
    for line in lines:
        words = line.split()
        try:
            out.append(apply(words, sync))
        except OSError as e:
            out.append(result(e.errno))
    for n, (line, res) in enumerate(zip(lines, out)):
        print('%d %s -> %s' % (n + 1, line.strip(), res))


def apply(w, sync):
    op = w[0]
    if sync and op in ('unlink', 'rmdir', 'rename', 'unlinks', 'truncate'):
        os.sync()
    if op == 'mkdir':
        os.mkdir(w[1], int(w[2], 8))
    elif op == 'create':
        os.close(os.open(w[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY, int(w[2], 8)))
    elif op == 'mknod':
        kind = {'fifo': 0o010000, 'chr': 0o020000}[w[2]]
        os.mknod(w[1], kind | int(w[5], 8), os.makedev(int(w[3]), int(w[4])))
    elif op == 'write':
        fd = os.open(w[1], os.O_WRONLY | os.O_NOFOLLOW)
        try:
            off, n, seed = int(w[2]), int(w[3]), int(w[4])
            done = os.pwrite(fd, data_byte_block(seed, 0, n), off)
        finally:
            os.close(fd)
        return str(done)
    elif op == 'truncate':
        os.truncate(w[1], int(w[2]))
    elif op == 'symlink':
        os.symlink(w[1], w[2])
    elif op == 'link':
        os.link(w[1], w[2], follow_symlinks=False)
    elif op == 'unlink':
        os.unlink(w[1])
    elif op == 'rmdir':
        os.rmdir(w[1])
    elif op == 'rename':
        if len(w) > 3:
            # renameat2(RENAME_NOREPLACE) has no os.* wrapper.
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            AT_FDCWD = -100
            if libc.renameat2(AT_FDCWD, w[1].encode(), AT_FDCWD, w[2].encode(), 1) != 0:
                raise OSError(ctypes.get_errno(), 'renameat2')
        else:
            os.rename(w[1], w[2])
    elif op == 'chmod':
        os.chmod(w[1], int(w[2], 8))
    elif op == 'chown':
        os.lchown(w[1], int(w[2]), int(w[3]))
    elif op == 'links':
        made = 0
        try:
            for k in range(int(w[3])):
                os.link(w[1], '%s/k%d' % (w[2], k))
                made += 1
        except OSError as e:
            return '%d %s' % (made, result(e.errno))
        return str(made)
    elif op == 'unlinks':
        gone = 0
        for k in range(int(w[2])):
            try:
                os.unlink('%s/k%d' % (w[1], k))
                gone += 1
            except FileNotFoundError:
                pass
        return str(gone)  # other errors: the errno alone, as minix_replay
    elif op == 'read':
        fd = os.open(w[1], os.O_RDONLY | os.O_NOFOLLOW)
        try:
            size = os.fstat(fd).st_size
            data = os.pread(fd, int(w[3]), int(w[2]))
        finally:
            os.close(fd)
        return '%d %s' % (size, digest(data))
    else:
        raise SystemExit('minix_ops: unknown operation %r' % op)
    return 'ok'


if __name__ == '__main__':
    if len(sys.argv) == 9 and sys.argv[1] == 'gen':
        a = [int(x) for x in sys.argv[2:]]
        print('\n'.join(gen(*a)))
    elif len(sys.argv) in (4, 5) and sys.argv[1] == 'run':
        run(sys.argv[2], sys.argv[3], sys.argv[4:] != ['nosync'])
    else:
        sys.exit(__doc__)
