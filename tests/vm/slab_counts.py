#!/usr/bin/env python3
"""Print "slab:NAME ACTIVE OBJS_PER_SLAB" for every slab cache, each cache
shrunk just before the one read of /proc/slabinfo.

Usage: slab_counts.py [CACHE...]   (the caches named are left out)

Every file is opened before the first cache is shrunk, and the writes and the
read that follow look up no path: a lookup allocates a names_cache object and
an open a struct file, and under KASAN what is freed after its cache was
shrunk waits in the quarantine, counted as active.  A shell loop that opens
each shrink file in turn leaves one of each per cache shrunk after
names_cache and filp (up to 160 on a debug kernel), which reads as growth.
What is still freed after the shrinking (a small buffer per write) is the
same in every reading.

Shrinking also flushes the per-CPU slabs, whose free objects /proc/slabinfo
counts as active.
"""
import errno
import os
import sys


def main():
    skip = set(sys.argv[1:])
    shrink = []
    # A merged cache's other names are symlinks to its directory: shrink
    # each cache once.
    for entry in os.scandir('/sys/kernel/slab'):
        if entry.is_symlink():
            continue
        try:
            shrink.append(os.open(os.path.join(entry.path, 'shrink'), os.O_WRONLY))
        except FileNotFoundError:
            pass  # the cache went away since the listing
    info = os.open('/proc/slabinfo', os.O_RDONLY)
    for fd in shrink:
        try:
            os.write(fd, b'1')
        except OSError as err:
            if err.errno != errno.ENODEV:  # the cache went away since
                raise
    chunks = []
    while True:
        chunk = os.read(info, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    lines = b''.join(chunks).decode().splitlines()[2:]
    if not lines:
        sys.exit('slab_counts: /proc/slabinfo lists no cache')
    for line in lines:
        field = line.split()
        if field[0] not in skip:
            print(f'slab:{field[0]} {field[1]} {field[4]}')


if __name__ == '__main__':
    main()
