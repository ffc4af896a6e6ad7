#!/bin/bash
# Queue depth is real concurrency: random reads kept 16 deep on a device
# reach its backing disk together, not one at a time, with the backing file
# read through the page cache and with direct I/O.  Measured with the disk's
# own counters (time in queue over time busy: the average number in flight).
# The disk is the guest's virtio disk behind a dm-delay target that holds
# each read 10 ms: without it, the disk (the host's page cache) answers faster
# than the guest's CPUs, under TCG, can send the next request, and the average
# in flight measures CPU speed (buffered: 1.99 on one CI machine, 2.4-4.4
# here).  With it, 16 reads sent at once wait side by side whatever the CPU:
# buffered 13.0-13.1, direct 14.7-15.0 on both kernels.
# Behind loop.ko's buffered reads (one worker per cgroup, reading in turn)
# the disk averages 1.00 requests in flight.
# Reads the page cache serves are no exception: 1 MiB reads kept 16 deep are
# in flight on the device together too, from the device's own counters
# (7.6-12.3).  Nor are buffered writes to a file system that takes no
# IOCB_NOWAIT writes (ext4): 1 MiB writes sent 16 deep are in flight on the
# device together (14.5-15.5).
# Nor are reads of a file that takes no IOCB_NOWAIT reads (FUSE, as tmpfs and
# NFS): those the page cache misses wait for the FUSE server side by side.
# The server (stall_fuse.py) holds each READ 20 ms and counts how many it
# held at once.  loop.ko's worker sends them one at a time (printed, not
# checked).
# xt-disk: 192
# xt-timeout: 300
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# Reads of $XT_DISK held 10 ms, writes not; no udev in the guest.
delayed=xt-delay
delayed_dev=/dev/mapper/$delayed
export DM_DISABLE_UDEV=1
# Each step whatever the last did: after a failure the FUSE server may be
# gone, or still starting.
cleanup() {
	set +e
	xl_restore
	if mountpoint -q fuse; then umount -l fuse; fi
	if [ -n "${server:-}" ]; then
		kill "$server" 2>/dev/null
		wait "$server" 2>/dev/null
	fi
	if mountpoint -q mnt; then umount mnt; fi
	if [ -e "$delayed_dev" ]; then
		dmsetup remove --noudevsync "$delayed"
	fi
	return 0
}
trap cleanup EXIT
xl_fresh

modprobe dm-delay || fail "modprobe dm-delay"
sectors=$(blockdev --getsz "$XT_DISK")
dmsetup create "$delayed" --noudevsync \
	--table "0 $sectors delay $XT_DISK 0 10 $XT_DISK 0 0" ||
	fail "dmsetup create $delayed over $XT_DISK"
mkfs.ext4 -q -F "$delayed_dev" || fail "mkfs.ext4 $delayed_dev"
mkdir mnt
mount "$delayed_dev" mnt || fail "mount $delayed_dev"
# Written, not sparse: every read goes to the disk.
dd if=/dev/zero of=mnt/img bs=1M count=128 conv=fsync status=none || fail "write mnt/img"
disk=$(dmsetup info -c --noheadings -o blkdevname "$delayed")

# in_flight DISK DEV RW BS: DISK's average queue while fio runs on DEV 16 deep.
in_flight() {
	local a b ro=--readonly
	[[ $3 = *write ]] && ro=
	read -r -a a <"/sys/block/$1/stat"
	fio --name=depth --filename="$2" $ro --direct=1 --rw="$3" \
		--bs="$4" --ioengine=libaio --iodepth=16 --runtime=2 --time_based \
		--output=/dev/null || fail "fio on $2"
	read -r -a b <"/sys/block/$1/stat"
	awk -v q=$((b[10] - a[10])) -v t=$((b[9] - a[9])) \
		'BEGIN { printf "%.2f\n", t ? q / t : 0 }'
}

for mode in buffered dio; do
	opt=()
	[ $mode = dio ] && opt=(dio)
	dev=$("$XL_PROBE" attach /dev/xloop-control xloop mnt/img "${opt[@]}")
	sync
	echo 3 >/proc/sys/vm/drop_caches
	q=$(in_flight "$disk" "$dev" randread 4k)
	echo "$mode: $q requests in flight at $disk on average"
	awk -v q="$q" 'BEGIN { exit !(q >= 3) }' ||
		fail "$mode: 16 reads in flight on $dev reach $disk $q at a time"
	"$XL_PROBE" detach "$dev"
done

dev=$("$XL_PROBE" attach /dev/xloop-control xloop mnt/img)
cat mnt/img >/dev/null
q=$(in_flight "${dev#/dev/}" "$dev" read 1M)
echo "cached: $q requests in flight at $dev on average"
awk -v q="$q" 'BEGIN { exit !(q >= 1.5) }' ||
	fail "cached: 16 reads in flight on $dev are served $q at a time"
q=$(in_flight "${dev#/dev/}" "$dev" write 1M)
echo "buffered writes: $q requests in flight at $dev on average"
awk -v q="$q" 'BEGIN { exit !(q >= 1.5) }' ||
	fail "buffered writes: 16 in flight on $dev are written $q at a time"
"$XL_PROBE" detach "$dev"
sleep 0.3

# held_reads DEV: the most READs the FUSE server held at once while fio read
# DEV 16 deep, the page cache dropped first.
held_reads() {
	rm -f ctl/max_reads
	echo 3 >/proc/sys/vm/drop_caches
	fio --name=fuse --filename="$1" --readonly --direct=1 --rw=randread \
		--bs=4k --ioengine=libaio --iodepth=16 --runtime=2 --time_based \
		--output=/dev/null || fail "fio on $1"
	cat ctl/max_reads 2>/dev/null || echo 0
}
dd if=/dev/zero of=fuse-img bs=1M count=32 status=none
stall_fuse_start fuse-img
echo 20 >ctl/read_delay_ms
dev=$("$XL_PROBE" attach /dev/xloop-control xloop fuse/img)
n=$(held_reads "$dev")
echo "FUSE: the server held $n reads at once"
[ "$n" -ge 4 ] || fail "16 reads in flight on $dev over FUSE reach the server $n at a time"
"$XL_PROBE" detach "$dev"
modprobe loop
ldev=$(losetup -f --show fuse/img) || fail "losetup fuse/img"
n=$(held_reads "$ldev")
echo "FUSE, loop.ko: the server held $n reads at once"
losetup -d "$ldev"
poll_until 50 umount fuse 2>/dev/null || fail "umount fuse: still busy"
wait "$server" || fail "the FUSE server failed"
server=
