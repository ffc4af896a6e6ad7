#!/bin/bash
# Allocation parity: the same operations done by the stock minix.ko on one
# copy of a mkfs.minix image and by the model (xloop mkdir/put/rm) on
# another leave byte-identical images (timestamps masked): lowest free
# inode, lowest free zone, indirect blocks before their data, first free
# directory slot, freed inodes and zones reused.
# xt-timeout: 600
# xt-smp: 1
. "$XT_LIB"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap minix_cleanup EXIT
minix_modules

head -c 300000 /dev/urandom >big.bin
head -c 3000 /dev/urandom >small.bin
head -c 3000 /dev/urandom >other.bin
chmod 644 big.bin small.bin other.bin
# f1..f20 for both sides, made with shell builtins (spawning is slow in the VM).
files=()
for i in $(seq 1 20); do
	echo "file $i" >"f$i"
	files+=("f$i")
done
for config in "${MINIX_UTIL_CONFIGS[@]}"; do
	rm -f kernel.img model.img
	truncate -s 8M kernel.img
	# shellcheck disable=SC2086 # $config holds several options
	mkfs.minix $config kernel.img >/dev/null || fail "mkfs.minix $config"
	cp kernel.img model.img

	mkdir -p mnt
	mount -o loop -t minix kernel.img mnt || fail "mount $config"
	(
		cd mnt
		mkdir d
		cp ../small.bin d/a
		cp ../big.bin big
		mkdir d/e
		cp ../small.bin d/e/b
		for i in $(seq 1 20); do echo "file $i" >"d/f$i"; done
		rm d/a d/f7
		cp ../other.bin d/c
		cp ../other.bin d/e/g
	) || fail "operations through minix.ko ($config)"
	umount mnt

	X=$XLOOP
	"$X" mkdir model.img /d
	"$X" put model.img small.bin /d/a
	"$X" put model.img big.bin /big
	"$X" mkdir model.img /d/e
	"$X" put model.img small.bin /d/e/b
	"$X" put model.img "${files[@]}" /d/
	"$X" rm model.img /d/a
	"$X" rm model.img /d/f7
	"$X" put model.img other.bin /d/c
	"$X" put model.img other.bin /d/e/g

	same_image "$config" kernel.img model.img
	echo "ok $config: identical images"
done
