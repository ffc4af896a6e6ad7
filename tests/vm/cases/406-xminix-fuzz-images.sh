#!/bin/bash
# Corrupt images under xminix.ko: populated images of every format (files
# into the indirect ranges, directories, symlinks, device nodes, hard links),
# each copy with a few metadata bytes changed (tests/vm/minix_fuzz.py:
# superblock, bitmaps, inodes, zone pointers, sizes, modes, link counts,
# directory and indirect blocks), mounted, walked, changed and unmounted.
# No kernel splat (the script reads the kernel log after every image and
# keeps the image that made one), no hang, every failure an errno.
# XT_FUZZ_IMAGES (in $BUILD/xloop-knobs.env) sets the images per format
# (default 60: 420 a run; the long run is 1,500 per format, over 10,000).
# With XT_FUZZ_SIDE_BY_SIDE=1 (tests/vm/record, make minix-ko-record) each
# image then goes to the stock minix.ko too, whose splats are recorded.
# xt-timeout: 2400
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap 'minix_cleanup; umount -l fuzz-mnt 2>/dev/null || true' EXIT
minix_modules
grep -qw xminix /proc/filesystems || fail "xminix is not registered"
per=${XT_FUZZ_IMAGES:-60}
drivers=xminix
[ -z "${XT_FUZZ_SIDE_BY_SIDE:-}" ] || drivers=xminix,minix

seed=406
for config in "${MINIX_ALL_CONFIGS[@]}"; do
	seed=$((seed + 1))
	fuzz_base_image "$config" base.img
	echo "== $config (seed $seed)"
	python3 "$XT_TOP/tests/vm/minix_fuzz.py" base.img "$per" "$seed" "$drivers" "$XT_OUT/cases" ||
		fail "$config (seed $seed)"
	echo "ok $config: $per corrupt images"
done
