#!/bin/bash
# Images the model writes (xloop mkfs/mkdir/put/rm) mount under the stock
# minix.ko and list identically, V3 with 2 and 4 KiB blocks included; after
# minix.ko writes to them in turn, xloop fsck -f (and fsck.minix -f for 1 KiB
# blocks) pass and the model still agrees with the kernel.
# xt-timeout: 600
# xt-smp: 1
. "$XT_LIB"
. "$XT_TOP/tests/vm/minix-lib.sh"
trap minix_cleanup EXIT
minix_modules

head -c 300000 /dev/urandom >random.bin
head -c 5000 /dev/urandom >small.bin
chmod 640 small.bin
# Twenty small files, made with shell builtins (spawning is slow in the VM).
smalls=()
for i in $(seq 1 20); do
	echo "small file $i" >"s$i"
	smalls+=("s$i")
done
for config in "${MINIX_ALL_CONFIGS[@]}"; do
	rm -f img && truncate -s 16M img
	# shellcheck disable=SC2086 # $config holds several options
	"$XLOOP" mkfs $config img >/dev/null || fail "xloop mkfs $config"
	"$XLOOP" mkdir -p img /x/y/z || fail "mkdir -p"
	"$XLOOP" mkdir -m 700 img /private || fail "mkdir -m"
	"$XLOOP" put img random.bin /x/random.bin || fail "put"
	"$XLOOP" put img small.bin /x/y/ || fail "put into a directory"
	"$XLOOP" put img "${smalls[@]}" /x/y/z/ || fail "put ${#smalls[@]} files"
	"$XLOOP" rm img /x/y/z/s7 || fail "rm"
	"$XLOOP" put img random.bin /x/y/z/s7 || fail "put into a reused slot"
	"$XLOOP" put img small.bin /x/random.bin || fail "overwrite"
	"$XLOOP" mkdir -p img /gone/deeper || fail "mkdir -p /gone/deeper"
	"$XLOOP" rm -r img /gone || fail "rm -r"
	model_manifest img >model.txt || fail "model walk $config"
	mkdir -p mnt
	mount -o loop -t minix img mnt || fail "minix.ko does not mount the model's $config image"
	kernel_manifest mnt >kernel.txt
	same_manifest "$config (written by the model)" kernel.txt model.txt
	(
		cd mnt
		echo more >x/y/kernel-file
		mkdir x/kdir
		rm x/y/z/s9
		mv x/y/z/s10 private/
	) || fail "minix.ko writes to the model's $config image"
	kernel_manifest mnt >kernel2.txt
	umount mnt
	"$XLOOP" fsck -f img >fsck.out || fail "xloop fsck $config: $(cat fsck.out)"
	case $config in
	*block-size*) ;;
	*) fsck.minix -f img >/dev/null || fail "fsck.minix $config" ;;
	esac
	model_manifest img >model2.txt || fail "model walk 2 $config"
	same_manifest "$config (then written by minix.ko)" kernel2.txt model2.txt
	echo "ok $config: $(wc -l <model2.txt) paths identical"
done

# mkfs on a block device (a stock loop device): refuses an existing
# filesystem without --force and a mounted device even with it.
rm -f dev.img && truncate -s 8M dev.img
dev=$(losetup -f --show dev.img) || fail "losetup"
"$XLOOP" mkfs -2 "$dev" >/dev/null || fail "xloop mkfs on $dev"
rc=0
"$XLOOP" mkfs -3 "$dev" >/dev/null 2>&1 || rc=$?
expect_eq "mkfs over an existing filesystem" 8 "$rc"
mount -t minix "$dev" mnt || fail "mount $dev"
echo data >mnt/f
rc=0
"$XLOOP" mkfs --force -3 "$dev" >/dev/null 2>&1 || rc=$?
expect_eq "mkfs on a mounted device" 8 "$rc"
umount mnt
expect_eq "file written by minix.ko" data "$("$XLOOP" cat "$dev" /f)"
"$XLOOP" mkfs --force -3 "$dev" >/dev/null || fail "mkfs --force on $dev"
fsck.minix -f "$dev" >/dev/null || fail "fsck.minix on $dev"
losetup -d "$dev"
echo "ok block device"
