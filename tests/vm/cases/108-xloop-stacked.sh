#!/bin/bash
# Stacked devices under load.  Four devices are backed by files on a file
# system that lives on a fifth device (a test farm's images inside a mounted
# image).  Every read of the upper devices waits in a worker for the lower
# device's I/O, which must still find a worker of its own: with the upper
# devices reading at full queue depth (4 x 128 requests) the run completes
# and nothing hangs.  The lower device sits on a real disk and the file
# system is minix (no IOCB_NOWAIT): every read waits in a worker.
# xt-disk: 128
# xt-timeout: 240
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit
xl_fresh
modprobe minix || fail "no minix.ko"

low=$("$XL_PROBE" attach /dev/xloop-control xloop "$XT_DISK")
mkfs.minix -3 "$low" >/dev/null || fail "mkfs.minix on $low"
mkdir mnt
mount -t minix "$low" mnt || fail "mount $low"
for f in a b c d; do
	dd if=/dev/urandom of="mnt/$f" bs=1M count=16 status=none || fail "write mnt/$f"
done
sync
upper=()
for f in a b c d; do
	upper+=("$("$XL_PROBE" attach /dev/xloop-control xloop "mnt/$f" ro)")
done
echo 3 >/proc/sys/vm/drop_caches

pids=()
for d in "${upper[@]}"; do
	timeout -k 5 "$(hang_limit 90)" fio --name=stacked --filename="$d" --readonly --direct=1 \
		--rw=randread --bs=4k --ioengine=libaio --iodepth=128 \
		--runtime=5 --time_based --output="fio-${d##*/}.log" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || fail "fio on an upper device failed or hung (exit $?)"
done
for d in "${upper[@]}"; do
	grep -q 'read: IOPS=' "fio-${d##*/}.log" || fail "no fio result for $d"
	grep 'read: IOPS=' "fio-${d##*/}.log"
	"$XL_PROBE" detach "$d"
done
sleep 0.3
umount mnt
"$XL_PROBE" detach "$low"
sleep 0.3
no_device_bound xloop
