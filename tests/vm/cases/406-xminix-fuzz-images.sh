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
# xt-timeout: 2400
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap 'minix_cleanup; umount fuzz-mnt 2>/dev/null || true' EXIT
minix_modules
grep -qw xminix /proc/filesystems || fail "xminix is not registered"
per=${XT_FUZZ_IMAGES:-60}
head -c 400000 /dev/urandom >random.bin

seed=406
for config in "${MINIX_ALL_CONFIGS[@]}"; do
	seed=$((seed + 1))
	rm -f base.img
	truncate -s 4M base.img
	# shellcheck disable=SC2086 # $config holds several options
	case $config in
	*--block-size*) "$XLOOP" mkfs $config base.img >/dev/null ;;
	*) mkfs.minix $config base.img >/dev/null ;;
	esac || fail "mkfs $config"
	mkdir -p mnt
	mount -o loop -t minix base.img mnt || fail "mount $config"
	(
		cd mnt
		mkdir -p a/b/c d
		cp ../random.bin a/big
		head -c 3000 ../random.bin >small
		dd if=../random.bin of=d/sparse bs=1k seek=9000 count=2 status=none
		for i in $(seq 1 40); do echo "$i" >"d/f$i"; done
		ln small a/b/hard
		ln -s a/big sym
		ln -s "$(name_of_len 300)" longsym
		mknod cdev c 1 3
		mkfifo fifo
	) || fail "populate $config"
	umount mnt
	python3 "$XT_TOP/tests/vm/minix_fuzz.py" base.img "$per" "$seed" xminix "$XT_OUT/cases" ||
		fail "$config (seed $seed)"
	echo "ok $config: $per corrupt images"
done
