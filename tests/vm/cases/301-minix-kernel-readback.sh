#!/bin/bash
# Images made by mkfs.minix and filled by the stock minix.ko (through a
# stock loop mount) read back identically through the model: tree, types,
# modes, links, owners, mtimes, sizes, contents, symlink targets, device
# numbers.  Both fsck.minix -f and xloop fsck -f then pass.
# xt-timeout: 600
# xt-smp: 1
. "$XT_LIB"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap minix_cleanup EXIT
minix_modules

head -c 200000 /dev/urandom >random.bin
for config in "${MINIX_UTIL_CONFIGS[@]}"; do
	rm -f img && truncate -s 16M img
	# shellcheck disable=SC2086 # $config holds several options
	mkfs.minix $config img >/dev/null || fail "mkfs.minix $config"
	mkdir -p mnt
	mount -o loop -t minix img mnt || fail "mount $config"
	namelen=$(stat -f -c %l mnt)
	(
		cd mnt
		mkdir -p a/b/c d e
		cp ../random.bin a/r1
		head -c 1 ../random.bin >one
		: >empty
		dd if=../random.bin of=sparse bs=1k seek=700 count=3 status=none
		truncate -s 300000 holes
		echo deep >a/b/c/deep
		ln a/r1 d/hard
		ln -s a/r1 sym
		ln -s "$(name_of_len 200)" longsym
		mkfifo fifo
		mknod cdev c 4 5
		mknod bdev b 7 9
		chmod 4711 a/r1
		chown 123:45 a/b
		touch -d @1000000000 a/b/c/deep
		echo long >"$(name_of_len "$namelen")"
		for i in $(seq 1 80); do echo "$i" >"e/f$i"; done
		rm e/f3 e/f40 one
		echo again >e/new
		mv e/f50 d/moved
		mv d/moved a/b/
		mkdir gone && rmdir gone
		head -c 50000 ../random.bin | dd of=holes bs=1k seek=100 conv=notrunc status=none
	) || fail "filling $config through minix.ko"
	sync
	kernel_manifest mnt >kernel.txt
	umount mnt
	model_manifest img >model.txt || fail "model walk $config"
	same_manifest "$config" kernel.txt model.txt
	"$XLOOP" fsck -f img >fsck.out || fail "xloop fsck $config: $(cat fsck.out)"
	fsck.minix -f img >/dev/null || fail "fsck.minix $config"
	echo "ok $config: $(wc -l <model.txt) paths identical"
done
