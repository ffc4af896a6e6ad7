#!/bin/bash
# Writes whose copy from the caller's buffer fails after the file system has
# given the page its blocks: a thread turns a page of the writer's buffer
# unreadable and back while the writer writes from it, so some copies stop
# short (the page went between the kernel's fault-in and its copy) and the
# retry then fails with EFAULT, or writes part.  The blocks given to the
# part not written must not stay past the end of the file (where a later
# extension would show their old contents instead of zeros, and where
# xloop fsck reports them; a forced remount read-only in between leaves the
# same state, case 408).  Each file must hold exactly what write(2) said it
# wrote, before and after a remount, and both fsck tools must pass the
# image (xloop fsck: no zone past a file's end).  New files written from
# offset 0 and one file appended to, with writes within the good page,
# across into the toggled page and inside it.  minix.ko under the same load
# is recorded beside.
# xt-disk: 64
# xt-timeout: 400
. "$XT_LIB"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap 'minix_cleanup; umount upper 2>/dev/null || true' EXIT
minix_modules
grep -qw xminix /proc/filesystems || fail "xminix is not registered"
mkdir -p upper

# writer DIR SECONDS: writes as above until SECONDS pass with at least 200
# writes refused with EFAULT; prints "FILE SIZE" for every file (what
# write(2) returned, summed), then "faults N".
cat >writer.py <<'PY'
import ctypes, errno, mmap, os, sys, threading, time
top, seconds = sys.argv[1], float(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
page = mmap.PAGESIZE
buf = mmap.mmap(-1, 2 * page)
buf.write(b"r" * (2 * page))
view = memoryview(buf)
second = ctypes.c_void_p(ctypes.addressof(ctypes.c_char.from_buffer(buf)) + page)
stop = threading.Event()

def toggle():
    while not stop.is_set():
        libc.mprotect(second, page, 0)
        libc.mprotect(second, page, 3)

# (offset in the buffer, length): inside the good page, across into the
# toggled one, inside the toggled one, a whole page across.
pieces = [(0, 1024), (page - 512, 1024), (page, 1024), (page - 100, page),
          (page + 8, 3000)]
sizes = {}
faults = 0
t = threading.Thread(target=toggle)
t.start()
appended = os.path.join(top, "appended")
app = os.open(appended, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
sizes[appended] = 0
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end or faults < 200:
    if time.monotonic() > end + 120:
        break
    name = os.path.join(top, "f%d" % n)
    fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
    sizes[name] = 0
    for f, path in ((fd, name), (app, appended)):
        off, length = pieces[(n + (f == app)) % len(pieces)]
        try:
            sizes[path] += os.write(f, view[off:off + length])
        except OSError as e:
            if e.errno != errno.EFAULT:
                raise
            faults += 1
    os.close(fd)
    n += 1
stop.set()
t.join()
os.close(app)
for path, size in sizes.items():
    print(path, size)
print("faults", faults)
PY

# check_files DIR LIST: each file holds what LIST says was written, all "r".
check_files() {
	python3 - "$1" "$2" <<'PY'
import os, sys
top, listing = sys.argv[1:3]
for line in open(listing):
    path, size = line.split()
    if path == "faults":
        continue
    data = open(os.path.join(top, os.path.basename(path)), "rb").read()
    if len(data) != int(size) or data.strip(b"r"):
        sys.exit("%s: %d bytes, %d of them not written, where write(2) said %s"
                 % (path, len(data), len(data.strip(b"r")), size))
PY
}

# run_on FS: the load on a fresh V3 image mounted as FS, unmounted after.
run_on() {
	mkfs.minix -3 "$XT_DISK" >/dev/null || fail "mkfs.minix"
	mount -t "$1" "$XT_DISK" upper || fail "mount $1"
	python3 writer.py upper 8 >"$1.sizes" || fail "$1: the writer failed"
	check_files upper "$1.sizes" || fail "$1: a file holds what was not written"
	umount upper || fail "$1: umount"
}

run_on xminix
faults=$(sed -n 's/^faults //p' xminix.sizes)
echo "xminix: $(($(wc -l <xminix.sizes) - 1)) files, $faults writes refused with EFAULT"
[ "$faults" -ge 200 ] || fail "only $faults writes met the unreadable page: nothing was tested"
fsck.minix -f "$XT_DISK" >fsck.out 2>&1 || { cat fsck.out; fail "fsck.minix after failed copies"; }
"$XT_XLOOP" fsck -f "$XT_DISK" >fsck.out 2>&1 ||
	{ head -n 20 fsck.out; fail "xloop fsck after failed copies"; }
mount -t xminix -o ro "$XT_DISK" upper || fail "mount again"
check_files upper xminix.sizes || fail "after a remount: a file holds what was not written"
umount upper

# minix.ko, recorded: what xloop fsck says of the image it leaves.
run_on minix
if "$XT_XLOOP" fsck -f "$XT_DISK" >fsck.out 2>&1; then
	echo "minix.ko: xloop fsck passes its image"
else
	echo "minix.ko: xloop fsck finds $(grep -c 'beyond its size' fsck.out) zones past the end of a file"
fi
