#!/bin/bash
# Guest side of bench-loop.sh (a VM case): the fio matrix.
# xt-timeout: 1800
. "$XT_LIB"
# bench-loop.sh leaves XB_RUNTIME and XB_REPEAT here.
# shellcheck source=/dev/null
. "$XT_BUILD/bench-params.env"
runtime=${XB_RUNTIME:-3}
repeat=${XB_REPEAT:-3}
probe=$XT_BUILD/xloop_probe

# A RAM disk with ext4 holds the backing file: no virtual-disk noise.
modprobe brd rd_nr=1 rd_size=786432
mkfs.ext4 -q -F /dev/ram0
mkdir -p /bench
mount /dev/ram0 /bench
dd if=/dev/zero of=/bench/img bs=1M count=512 status=none
sync
modprobe loop

# fio_bw TARGET RW BS QD DIRECT: throughput in KiB/s (read + write).
fio_bw() {
	fio --name=b --filename="$1" --rw="$2" --bs="$3" --iodepth="$4" \
		--direct="$5" --ioengine=libaio --size=512M --runtime="$runtime" \
		--time_based --minimal 2>/dev/null |
		awk -F';' '{ print $7 + $48 }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

rows=("read 1M 16" "write 1M 16" "randread 4k 1" "randread 4k 16" "randwrite 4k 1" "randwrite 4k 16")
out=$PWD/results
: >"$out"
for mode in buffered direct; do
	dioflag=() losetup_dio=off rawdirect=0
	if [ $mode = direct ]; then
		dioflag=(dio) losetup_dio=on rawdirect=1
	fi
	xdev=$("$probe" attach /dev/xloop-control xloop /bench/img "${dioflag[@]}")
	ldev=$(losetup --direct-io=$losetup_dio -f --show /bench/img)
	for row in "${rows[@]}"; do
		read -r rw bs qd <<<"$row"
		for target in xloop loop raw; do
			case $target in
			xloop) dev=$xdev direct=1 ;;
			loop) dev=$ldev direct=1 ;;
			raw) dev=/bench/img direct=$rawdirect ;;
			esac
			vals=()
			for _ in $(seq "$repeat"); do
				echo 3 >/proc/sys/vm/drop_caches
				vals+=("$(fio_bw "$dev" "$rw" "$bs" "$qd" "$direct")")
			done
			echo "$mode $rw $bs $qd $target $(printf '%s\n' "${vals[@]}" | median) ${vals[*]}" >>"$out"
		done
	done
	"$probe" detach "$xdev"
	losetup -d "$ldev"
done
cat "$out"
echo TABLE
awk '
{ key = $1 " " $2 " " $3 " QD" $4; bw[key, $5] = $6; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
END {
	printf "%-28s %12s %12s %12s %10s %10s\n", "backing/rw/bs/qd (KiB/s)", "xloop", "loop.ko", "raw file", "x/loop", "x/raw"
	for (i = 1; i <= n; i++) {
		k = order[i]
		printf "%-28s %12d %12d %12d %10.2f %10.2f\n", k, bw[k, "xloop"], bw[k, "loop"], bw[k, "raw"],
			bw[k, "loop"] ? bw[k, "xloop"] / bw[k, "loop"] : 0, bw[k, "raw"] ? bw[k, "xloop"] / bw[k, "raw"] : 0
	}
}' "$out"
rmmod loop
umount /bench
rmmod brd
