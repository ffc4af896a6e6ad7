#!/usr/bin/env python3
"""Guest side of bench-fs.sh: xminix.ko, minix.ko and ext2 side by side on
one device (the VM's virtio disk), a fresh mkfs for every run, the file
systems taking turns in every repeat (so a slow phase of the host hits all
three alike).  Prints one line per operation and file system with its
samples (operations per second, or MiB/s for the streams), then a table of
medians and the ratio xminix/minix (above 1: xminix is faster).

usage: fs_matrix.py DEVICE REPEATS
"""
import os
import statistics
import subprocess
import sys
import time

dev, repeats = sys.argv[1], int(sys.argv[2])
mnt = os.path.abspath('fs-mnt')
os.makedirs(mnt, exist_ok=True)
SYSTEMS = ['xminix', 'minix', 'ext2']
STREAM_MIB = 128
samples = {}


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def mount(fs):
    sh('mount', '-t', fs, dev, mnt)


def remount_cold(fs):
    """Unmount, drop every cache, mount again: the next reads go to the disk."""
    sh('umount', mnt)
    with open('/proc/sys/vm/drop_caches', 'w') as f:
        f.write('3')
    mount(fs)


def record(fs, what, value):
    samples.setdefault((what, fs), []).append(value)


def timed(fs, what, count, fn):
    t = time.perf_counter()
    fn()
    record(fs, what, count / (time.perf_counter() - t))


def run(fs):
    if fs == 'ext2':
        sh('mkfs.ext2', '-q', '-F', dev)
    else:
        sh('mkfs.minix', '-3', dev)
    mount(fs)
    for n in (1000, 10000):
        d = os.path.join(mnt, 'd%d' % n)
        os.mkdir(d)
        names = [os.path.join(d, 'file-%06d' % i) for i in range(n)]
        timed(fs, 'create %dk' % (n // 1000), n,
              lambda: [os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644)) for p in names])
        os.sync()
        remount_cold(fs)
        timed(fs, 'cold stat %dk' % (n // 1000), n, lambda: [os.lstat(p) for p in names])
        remount_cold(fs)
        timed(fs, 'cold readdir %dk' % (n // 1000), n, lambda: os.listdir(d))
        timed(fs, 'unlink %dk' % (n // 1000), n,
              lambda: ([os.unlink(p) for p in names], os.sync()))

    def small_fsync():
        for i in range(200):
            fd = os.open(os.path.join(mnt, 'small-%d' % i), os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, b'y' * 4096)
            os.fsync(fd)
            os.close(fd)
    timed(fs, '4k file+fsync', 200, small_fsync)

    big = os.path.join(mnt, 'stream')
    chunk = b'z' * (1 << 20)

    def write_stream():
        fd = os.open(big, os.O_CREAT | os.O_WRONLY, 0o644)
        for _ in range(STREAM_MIB):
            os.write(fd, chunk)
        os.fsync(fd)
        os.close(fd)
    timed(fs, 'seq write 128M (MiB/s)', STREAM_MIB, write_stream)
    remount_cold(fs)

    def read_stream():
        fd = os.open(big, os.O_RDONLY)
        while os.read(fd, 1 << 20):
            pass
        os.close(fd)
    timed(fs, 'cold seq read 128M (MiB/s)', STREAM_MIB, read_stream)
    remount_cold(fs)
    for rw in ('randread', 'randwrite'):
        out = subprocess.run(
            ['fio', '--name=r', '--filename=' + big, '--rw=' + rw, '--bs=4k', '--iodepth=1',
             '--ioengine=psync', '--size=%dM' % STREAM_MIB, '--runtime=3', '--time_based',
             '--end_fsync=1', '--minimal'],
            check=True, capture_output=True, text=True).stdout.split(';')
        # Terse format v3: read IOPS is field 8, write IOPS field 49.
        record(fs, '%s 4k (IOPS)' % rw, float(out[7]) + float(out[48]))
    sh('umount', mnt)


for r in range(repeats):
    for i in range(len(SYSTEMS)):
        run(SYSTEMS[(i + r) % len(SYSTEMS)])

for (what, fs), v in samples.items():
    print('%s %s %s' % (what.replace(' ', '_'), fs, ' '.join('%.1f' % x for x in v)))
print('TABLE')
print('%-28s %10s %10s %10s %14s' % ('operation (ops/s)', 'xminix', 'minix.ko', 'ext2',
                                      'xminix/minix'))
seen = []
for (what, fs) in samples:
    if what not in seen:
        seen.append(what)
for what in seen:
    med = {fs: statistics.median(samples[(what, fs)]) for fs in SYSTEMS}
    # The ratio of each repeat's pair, then its median, and how many repeats
    # xminix was ahead in (as bench-loop's table).
    pairs = [x / m for x, m in zip(samples[(what, 'xminix')], samples[(what, 'minix')])]
    ahead = sum(p > 1 for p in pairs)
    print('%-28s %10.1f %10.1f %10.1f %9.2f %d/%d' % (what, med['xminix'], med['minix'], med['ext2'],
                                                     statistics.median(pairs), ahead, len(pairs)))
