#!/usr/bin/env python3
"""A FUSE file system whose server can be made to stop answering.

    stall_fuse.py MOUNTPOINT IMAGE CONTROL_DIR

Mounts, at MOUNTPOINT, a file system holding one file, "img", whose data is
IMAGE (read and written through).  Nothing is cached by the kernel (entry and
attribute timeouts 0), so every path walk to MOUNTPOINT/img asks the server.

While CONTROL_DIR/stall exists, the server answers nothing: the first request
that arrives then is named in CONTROL_DIR/stalled ("OPCODE NAME"), and it and
everything after it wait until the file is removed.  That is a hung FUSE or
NFS server as the kernel sees one.  CONTROL_DIR/ready appears once the mount
has answered its first request.  The server exits when the file system is
unmounted.

While CONTROL_DIR/read_delay_ms holds a number, each READ is answered that
many milliseconds after it arrives, and the others are served meanwhile, as
a server with a slow disk or network does (the data is read when the
request arrives; replies go in the order the requests came).
CONTROL_DIR/max_reads then holds the most READs the server held at once
since the file was last removed: how many reads the kernel had waiting for
it side by side.

The protocol is spoken directly on /dev/fuse (no libfuse), version 7.31.
"""
import ctypes
import errno
import os
import select
import stat
import struct
import sys
import time

OP_NAMES = {
    1: "LOOKUP", 2: "FORGET", 3: "GETATTR", 4: "SETATTR", 14: "OPEN",
    15: "READ", 16: "WRITE", 17: "STATFS", 18: "RELEASE", 20: "FSYNC",
    25: "FLUSH", 26: "INIT", 27: "OPENDIR", 28: "READDIR",
    29: "RELEASEDIR", 34: "ACCESS", 36: "INTERRUPT", 38: "DESTROY",
    42: "BATCH_FORGET",
}
NO_REPLY = {2, 36, 42}  # FORGET, INTERRUPT, BATCH_FORGET
IN_HEADER = struct.Struct("<IIQQIIII")  # len opcode unique nodeid uid gid pid pad
OUT_HEADER = struct.Struct("<IiQ")  # len error unique
# ino size blocks atime mtime ctime atimens mtimens ctimens mode nlink uid gid
# rdev blksize flags
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")
ROOT, IMG = 1, 2
MAX_WRITE = 128 * 1024


def mount(source, target, fstype, options):
    libc = ctypes.CDLL(None, use_errno=True)
    flags = 0x2 | 0x4  # MS_NOSUID | MS_NODEV
    if libc.mount(source.encode(), target.encode(), fstype.encode(), flags,
                  options.encode()) != 0:
        err = ctypes.get_errno()
        sys.exit(f"stall_fuse: mount {target}: {os.strerror(err)}")


class Server:
    def __init__(self, image, control):
        self.image = os.open(image, os.O_RDWR)
        self.control = control
        self.ready = False
        self.held = []  # (due, reply) of the READs held back, oldest first
        self.max_held = 0

    def attr(self, node):
        now = int(time.time())
        if node == ROOT:
            return ATTR.pack(ROOT, 0, 0, now, now, now, 0, 0, 0,
                             stat.S_IFDIR | 0o755, 2, 0, 0, 0, 4096, 0)
        size = os.fstat(self.image).st_size
        return ATTR.pack(IMG, size, (size + 511) // 512, now, now, now, 0, 0,
                         0, stat.S_IFREG | 0o644, 1, 0, 0, 0, 4096, 0)

    def answer(self, opcode, node, body):
        """The reply's payload, or a negative errno."""
        if opcode == 26:  # INIT: major minor max_readahead flags ...
            return struct.pack("<IIIIHHIIHHI28x", 7, 31, 128 * 1024, 0, 16,
                               12, MAX_WRITE, 1, 32, 0, 0)
        if opcode == 1:  # LOOKUP
            name = body.split(b"\0", 1)[0]
            if node != ROOT or name != b"img":
                return -errno.ENOENT
            # nodeid generation entry_valid attr_valid (+ns): never cached
            return struct.pack("<QQQQII", IMG, 1, 0, 0, 0, 0) + self.attr(IMG)
        if opcode in (3, 4):  # GETATTR, SETATTR (size changes refused)
            if opcode == 4 and struct.unpack_from("<I", body)[0] & (1 << 3):
                return -errno.EPERM
            return struct.pack("<QII", 0, 0, 0) + self.attr(node)
        if opcode in (14, 27):  # OPEN, OPENDIR
            return struct.pack("<QII", 0, 0, 0)
        if opcode == 15:  # READ: fh offset size
            _, off, size = struct.unpack_from("<QQI", body)
            return os.pread(self.image, size, off)
        if opcode == 16:  # WRITE: fh offset size write_flags owner flags pad
            _, off, size = struct.unpack_from("<QQI", body)
            data = body[40:40 + size]
            return struct.pack("<II", os.pwrite(self.image, data, off), 0)
        if opcode == 17:  # STATFS
            return struct.pack("<QQQQQIII28x", 1 << 20, 1 << 19, 1 << 19, 16,
                               14, 4096, 255, 4096)
        if opcode in (18, 20, 25, 29):  # RELEASE, FSYNC, FLUSH, RELEASEDIR
            return b""
        if opcode == 28:  # READDIR: nothing to list
            return b""
        return -errno.ENOSYS

    def wait_while_stalled(self, opcode):
        flag = os.path.join(self.control, "stall")
        if not os.path.exists(flag):
            return
        marker = os.path.join(self.control, "stalled")
        with open(marker + ".tmp", "w") as f:
            f.write(f"{opcode} {OP_NAMES.get(opcode, '?')}\n")
        os.rename(marker + ".tmp", marker)
        while os.path.exists(flag):
            time.sleep(0.05)

    def read_delay(self):
        """The seconds a READ is held back now (0: none)."""
        try:
            with open(os.path.join(self.control, "read_delay_ms")) as f:
                return int(f.read()) / 1000
        except (OSError, ValueError):
            return 0

    def hold(self, reply, delay):
        self.held.append((time.monotonic() + delay, reply))
        marker = os.path.join(self.control, "max_reads")
        if not os.path.exists(marker):
            self.max_held = 0
        if len(self.held) > self.max_held:
            self.max_held = len(self.held)
            with open(marker + ".tmp", "w") as f:
                f.write(f"{self.max_held}\n")
            os.rename(marker + ".tmp", marker)

    @staticmethod
    def send(dev, reply):
        try:
            os.write(dev, reply)
        except OSError as e:
            if e.errno != errno.ENOENT:  # the request was aborted
                raise

    def serve(self, dev):
        while True:
            now = time.monotonic()
            while self.held and self.held[0][0] <= now:
                self.send(dev, self.held.pop(0)[1])
            timeout = self.held[0][0] - now if self.held else None
            if not select.select([dev], [], [], timeout)[0]:
                continue
            try:
                msg = os.read(dev, MAX_WRITE + 4096)
            except OSError as e:
                if e.errno == errno.ENODEV:  # unmounted
                    return
                if e.errno in (errno.EINTR, errno.ENOENT, errno.EAGAIN):
                    continue  # a request interrupted before it was read
                raise
            _, opcode, unique, node, *_ = IN_HEADER.unpack_from(msg)
            if opcode in NO_REPLY:
                continue
            self.wait_while_stalled(opcode)
            try:
                res = self.answer(opcode, node, msg[IN_HEADER.size:])
            except OSError as e:
                res = -e.errno
            err, payload = (res, b"") if isinstance(res, int) else (0, res)
            reply = OUT_HEADER.pack(OUT_HEADER.size + len(payload), err,
                                    unique) + payload
            delay = self.read_delay() if opcode == 15 else 0
            if delay:
                self.hold(reply, delay)
            else:
                self.send(dev, reply)
            if opcode == 26 and not self.ready:
                self.ready = True
                open(os.path.join(self.control, "ready"), "w").close()


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: stall_fuse.py MOUNTPOINT IMAGE CONTROL_DIR")
    mountpoint, image, control = sys.argv[1:]
    server = Server(image, control)
    # Not blocking: a request withdrawn between select() and read() (its
    # caller killed) must not stop the replies held back.
    dev = os.open("/dev/fuse", os.O_RDWR | os.O_NONBLOCK)
    mount("stall_fuse", mountpoint, "fuse",
          f"fd={dev},rootmode=40000,user_id=0,group_id=0,allow_other")
    server.serve(dev)


if __name__ == "__main__":
    main()
