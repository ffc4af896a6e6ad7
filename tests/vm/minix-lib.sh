# shellcheck shell=bash
# Helpers for the Minix VM cases (tests/vm/cases/3xx-minix-*.sh), sourced
# after $XT_LIB.  A manifest is one line per path below the root, sorted by
# path, in `xloop ls -R -n` form:
#   MODE(octal, with type) LINKS UID GID SIZE|MAJOR,MINOR MTIME PATH[ -> TARGET]
# made once from a mount by the stock minix.ko and once from the image file
# through the model; contents are compared as one digest of every regular
# file in path order (sizes are in the manifest).  A case diffs the two.

# A stripped private copy of the tool on the scratch tmpfs: executing it
# from the 9p root re-reads it on every run, which makes each call seconds.
XLOOP=$PWD/xloop
strip -o "$XLOOP" "$XT_XLOOP" 2>/dev/null || cp "$XT_XLOOP" "$XLOOP"

# The util-linux configurations (1 KiB blocks) and ours (V3 with 2/4 KiB).
# shellcheck disable=SC2034 # used by the cases that source this file
MINIX_UTIL_CONFIGS=("-1 -n 14" "-1 -n 30" "-2 -n 14" "-2 -n 30" "-3")
# shellcheck disable=SC2034
MINIX_ALL_CONFIGS=("${MINIX_UTIL_CONFIGS[@]}" "-3 --block-size 2048" "-3 --block-size 4096")

by_path() { LC_ALL=C sort -t' ' -k7; }

# kernel_manifest DIR: the tree under a mounted directory, then the digest.
# One stat(1) for every path: spawning processes is slow in the test VM.
kernel_manifest() {
	local scratch=$PWD
	(
		cd "$1" || exit 1
		find . -mindepth 1 | sed 's|^\./||' >"$scratch/paths.out"
		mapfile -t paths <"$scratch/paths.out"
		stat -c '%f %h %u %g %s %t %T %Y %n' -- "${paths[@]}" | while read -r f h u g s t T y n; do
			case $((0x$f & 0xf000)) in
			$((0x2000)) | $((0x6000)) ) s="$((16#$t)),$((16#$T))" ;;
			esac
			printf -v line '%07o %s %s %s %s %s %s' "0x$f" "$h" "$u" "$g" "$s" "$y" "$n"
			if [ -L "$n" ]; then line+=" -> $(readlink "$n")"; fi
			echo "$line"
		done | by_path
		find . -type f | sed 's|^\./||' | LC_ALL=C sort >"$scratch/files.out"
		mapfile -t files <"$scratch/files.out"
		if [ ${#files[@]} -eq 0 ]; then cat /dev/null; else cat -- "${files[@]}"; fi | sha256sum
	)
}

# model_manifest IMAGE: the same, read from the image by the model.
model_manifest() {
	local files=()
	"$XLOOP" ls -R -n "$1" / >ls.out || return 1
	by_path <ls.out
	# (no process substitution: the guest has no /dev/fd)
	awk '$1 ~ /^010/ { print "/" $7 }' ls.out | LC_ALL=C sort >files.out
	mapfile -t files <files.out
	if [ ${#files[@]} -eq 0 ]; then
		sha256sum </dev/null
	else
		"$XLOOP" cat "$1" "${files[@]}" | sha256sum
	fi
}

# same_manifest WHAT A B: fail with the difference unless equal.
same_manifest() {
	if ! diff -u "$2" "$3" >manifest.diff; then
		cat manifest.diff >&2
		fail "$1: the model and minix.ko disagree"
	fi
	[ "$(wc -l <"$2")" -gt 5 ] || fail "$1: manifest too small"
}

# same_image WHAT A B: fail unless images A and B are byte-identical but for
# the inodes' timestamps.
same_image() {
	python3 - "$2" "$3" <<'PY' || fail "$1: images differ"
import struct, sys
a, b = (bytearray(open(p, 'rb').read()) for p in sys.argv[1:3])
sb = a[1024:1056]
bs = 1024
if struct.unpack_from('<H', sb, 24)[0] == 0x4d5a:  # V3
    imap, zmap = struct.unpack_from('<HH', sb, 6)
    ninodes, isize, times = struct.unpack_from('<I', sb, 0)[0], 64, range(12, 24)
    bs = struct.unpack_from('<H', sb, 28)[0]
else:
    ninodes, _, imap, zmap = struct.unpack_from('<HHHH', sb, 0)
    v1 = struct.unpack_from('<H', sb, 16)[0] in (0x137f, 0x138f)
    isize, times = (32, range(8, 12)) if v1 else (64, range(12, 24))
table = (2 + imap + zmap) * bs
for img in (a, b):
    for ino in range(ninodes):
        for t in times:
            img[table + ino * isize + t] = 0
# Byte by byte only when they differ: an 8 MiB Python loop takes seconds in the VM.
if a != b:
    diff = [i for i in range(min(len(a), len(b))) if a[i] != b[i]]
    print('%d bytes differ (block size %d, inode table at 0x%x); the first:'
          % (len(diff), bs, table), file=sys.stderr)
    for i in diff[:16]:
        print('  0x%x: %02x %02x' % (i, a[i], b[i]), file=sys.stderr)
    sys.exit(1)
PY
}

# Loaded here: unloaded by minix_cleanup if this case loaded them.
minix_modules() {
	MINIX_LOADED=()
	for m in loop minix; do
		if ! grep -q "^$m " /proc/modules; then
			modprobe "$m" || fail "modprobe $m"
			MINIX_LOADED+=("$m")
		fi
	done
}

minix_cleanup() {
	local m
	if mountpoint -q mnt 2>/dev/null; then umount mnt || true; fi
	losetup -D 2>/dev/null || true
	for m in minix loop; do
		if [[ " ${MINIX_LOADED[*]:-} " == *" $m "* ]]; then rmmod "$m" 2>/dev/null || true; fi
	done
}

# name_of_len N: a file name of exactly N characters.
name_of_len() {
	local s=''
	while [ ${#s} -lt "$1" ]; do s+=n; done
	echo "$s"
}

# fuzz_base_image CONFIG IMG: a 4 MiB image of CONFIG (mkfs options), made
# and populated with the stock tools and minix.ko: files into the indirect
# ranges, a sparse file, directories, symlinks (one of 300 bytes), a hard
# link, a device node and a FIFO.  The base of the corrupt-image runs.
fuzz_base_image() {
	local config=$1 img=$2
	rm -f "$img"
	truncate -s 4M "$img"
	# shellcheck disable=SC2086 # $config holds several options
	case $config in
	*--block-size*) "$XLOOP" mkfs $config "$img" >/dev/null ;;
	*) mkfs.minix $config "$img" >/dev/null ;;
	esac || fail "mkfs $config"
	mkdir -p mnt
	mount -o loop -t minix "$img" mnt || fail "mount $config"
	(
		cd mnt
		mkdir -p a/b/c d
		head -c 400000 /dev/urandom >a/big
		head -c 3000 a/big >small
		dd if=a/big of=d/sparse bs=1k seek=9000 count=2 status=none
		for i in $(seq 1 40); do echo "$i" >"d/f$i"; done
		ln small a/b/hard
		ln -s a/big sym
		ln -s "$(name_of_len 300)" longsym
		mknod cdev c 1 3
		mkfifo fifo
	) || fail "populate $config"
	umount mnt
}

# mount_errno IMAGE TYPE [OPTIONS]: attach IMAGE to a free loop device and
# mount(2) it on ./mx as TYPE; prints ok (left mounted) or the errno's name.
mount_errno() {
	local dev
	dev=$(losetup -f --show "$1") || fail "losetup $1"
	python3 - "$dev" "$2" "${3:-}" <<'PY'
import ctypes, errno, sys
libc = ctypes.CDLL(None, use_errno=True)
r = libc.mount(sys.argv[1].encode(), b'mx', sys.argv[2].encode(), 0,
               sys.argv[3].encode() or None)
print('ok' if r == 0 else errno.errorcode[ctypes.get_errno()])
PY
}

# call_errno CODE: run the Python CODE (os imported); prints ok, the name of
# the errno it raised, "wrong data" for a failed assertion, or "timed out"
# after 30 s (hang_limit).
call_errno() {
	timeout "$(hang_limit 30)" python3 - "$1" <<'PY' || echo "timed out"
import errno, os, sys
try:
    exec(sys.argv[1])
    print('ok')
except OSError as e:
    print(errno.errorcode[e.errno])
except AssertionError:
    print('wrong data')
PY
}
