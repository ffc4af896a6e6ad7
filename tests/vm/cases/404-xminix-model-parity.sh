#!/bin/bash
# Three-way parity: random operation sequences (tests/vm/minix_ops.py, fixed
# seeds, 3,500 operations over every format: V1/V2 with 14 and 30-char names,
# V3 with 1, 2 and 4 KiB blocks) applied through a mounted xminix.ko, a
# mounted minix.ko and the model (minix_replay) give the same result for
# every operation (the same errno where one fails) and leave byte-identical
# images (inode times masked), which pass xloop fsck -f and, for 1 KiB
# blocks, fsck.minix -f.  The sequences reach files into the double and
# (V2, V3 with 1 and 2 KiB blocks) triple indirect range, holes, truncation
# both ways, renames across directories and over existing names, hard links
# up to V1's limit and past it, symlinks up to the block size, device nodes,
# fifos, names of the longest length and one past it.
# xt-timeout: 1500
# xt-smp: 1
. "$XT_LIB"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap 'minix_cleanup; umount mx 2>/dev/null || true' EXIT
minix_modules
grep -qw xminix /proc/filesystems || fail "xminix is not registered"
replay=$XT_BUILD/minix_replay
[ -x "$replay" ] || fail "no $replay (built by cmake)"
ops=$XT_TOP/tests/vm/minix_ops.py
count=${XT_PARITY_OPS:-500}

seed=4040
for config in "${MINIX_ALL_CONFIGS[@]}"; do
	seed=$((seed + 1))
	rm -f k.img x.img m.img
	truncate -s 64M k.img
	# shellcheck disable=SC2086 # $config holds several options
	case $config in
	*--block-size*) "$XLOOP" mkfs $config k.img >/dev/null ;;
	*) mkfs.minix $config k.img >/dev/null ;;
	esac || fail "mkfs $config"
	cp k.img x.img
	cp k.img m.img
	mkdir -p mnt mx
	mount -o loop -t minix k.img mnt || fail "mount $config (minix)"
	mount -o loop -t xminix x.img mx || fail "mount $config (xminix)"
	namelen=$(stat -f -c %l mnt)
	bs=$(stat -f -c %S mnt)
	case $config in
	-1*) ptr=2 maxsize=268966912 linkmax=250 ;;
	-3*) ptr=4 maxsize=2147483647 linkmax=65530 ;;
	*) ptr=4 maxsize=2147483647 linkmax=65530 ;;
	esac
	python3 "$ops" gen "$seed" "$count" "$namelen" "$bs" "$ptr" "$maxsize" "$linkmax" >ops.txt ||
		fail "$config: generate"
	python3 "$ops" run mnt ops.txt >minix.out || fail "$config: run through minix.ko"
	python3 "$ops" run mx ops.txt >xminix.out || fail "$config: run through xminix.ko"
	umount mnt
	umount mx
	"$replay" m.img ops.txt >model.out || fail "$config: run through the model"

	# The oracle first: where minix.ko and the model part, say so.
	diff -u minix.out xminix.out | head -40 || true
	cmp -s minix.out xminix.out || fail "$config (seed $seed): xminix.ko and minix.ko differ"
	diff -u minix.out model.out | head -80 || true
	cmp -s minix.out model.out || fail "$config (seed $seed): the model and minix.ko differ"
	same_image "$config (seed $seed): xminix.ko" k.img x.img
	same_image "$config (seed $seed): model" k.img m.img
	"$XLOOP" fsck -f x.img >fsck.out 2>&1 || { cat fsck.out; fail "$config: xloop fsck"; }
	case $config in
	*--block-size*) ;;
	*) fsck.minix -f x.img >fsck.out 2>&1 || { cat fsck.out; fail "$config: fsck.minix"; } ;;
	esac
	failed=$(grep -Ec -- '-> E[A-Z]+$' minix.out || true)
	echo "ok $config (seed $seed): $count operations ($failed failing with the same errno on all three), identical images"
done
