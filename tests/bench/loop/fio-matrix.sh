#!/bin/bash
# Guest side of bench-loop.sh (a VM case): the fio matrix.
#
# The backing file lives on ext4 on a virtio disk (the host file opened
# O_DIRECT), as a test farm's images live on a real disk, and on tmpfs, where
# the raw file's own I/O is nearly free and what is measured is the drivers'
# own price (XB_BACKING picks; tmpfs on 6.1 has no O_DIRECT, so no direct
# rows there).
# Every cell runs the same fio job; the devices are driven with O_DIRECT (so
# their own page cache does not count), the raw file with O_DIRECT in the
# direct-I/O rows and through the page cache in the buffered rows, which is
# what each device does with it.  Repeats go round the targets in turn,
# so a slow phase of the host hits all of them alike; the table shows medians
# (see the note at the end for the ratios).  With XB_AB (bench-loop.sh), the
# xloop.ko of another revision runs as one more target, "xloopB": the module
# is swapped (detach, rmmod, insmod, attach) whenever the other one is due.
# A control, "loop2", runs loop.ko's device a second time in each repeat
# (XB_CONTROL=0 leaves it out): the column "lo/lo" is loop.ko against itself,
# how far apart two runs of one driver land on that row in this boot, the
# spread to read x/loop against.  It costs a fifth more time.
#
# At queue depth 1 every request pays the block layer's own price (bio,
# request, tag, completion), which the raw file does not.  So the QD1 rows
# also run two references, and the table a column "raw+blk": the x/raw of a
# driver that added the block layer's price, and nothing else, to the raw
# file's own path, the median over the repeats of
# t_raw / (t_raw + t_nullb - t_base), where nullb is null_blk (a block device
# that does no I/O, no I/O scheduler: the block layer's price plus fio's) and
# base the same job on /dev/null or /dev/zero (fio's and the system call's own
# price).  Not a bound: xloop's path into the backing file skips parts of the
# system call's (the user copy, fsnotify), and can come out above it.  It is
# as noisy as the samples it is made of.
# xt-disk: 1400
# xt-timeout: 4000
. "$XT_LIB"
# shellcheck source=../../vm/kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# bench-loop.sh leaves XB_RUNTIME, XB_REPEAT, XB_SIZE_MIB, XB_ROWS, XB_BACKING,
# XB_AB and XB_CONTROL here.
# shellcheck source=/dev/null
. "$XT_BUILD/bench-params.env"
runtime=${XB_RUNTIME:-3}
repeat=${XB_REPEAT:-3}
size=${XB_SIZE_MIB:-512}
only=${XB_ROWS:-.}
backings=${XB_BACKING:-ext4 tmpfs}
probe=$XT_BUILD/xloop_probe
ab=${XB_AB:-}
control=${XB_CONTROL:-1}
ab_ko=$XT_BUILD/bench-ab/build/modules/$XT_KVER/xloop.ko

modprobe loop
modprobe null_blk nr_devices=1 queue_mode=2 irqmode=0 completion_nsec=0 no_sched=1 ||
	fail "modprobe null_blk"
wait_for /dev/nullb0 || fail "no /dev/nullb0"
mkfs.ext4 -q -F "$XT_DISK"
mkdir -p /bench /bench-tmpfs
mount "$XT_DISK" /bench
mount -t tmpfs -o size=$((size + 64))M tmpfs /bench-tmpfs
# Written, not sparse: every block is allocated and initialised, as in a used image.
for dir in /bench /bench-tmpfs; do
	dd if=/dev/zero of=$dir/img bs=1M count="$size" conv=fsync status=none
done

# cpu_busy: the clock ticks every CPU spent not idle (user, system, interrupts).
cpu_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

# fio_run TARGET RW BS QD DIRECT: "throughput CPU", the throughput in KiB/s
# (read + write) and the CPU time the whole guest spent per request, in
# microseconds: what a request costs, apart from the time the CPUs sat idle
# waiting (for the disk, or for a wakeup to arrive).
fio_run() {
	local before res after bs_kib=${3%k}
	[[ $3 != *M ]] || bs_kib=$((${3%M} * 1024))
	before=$(cpu_busy)
	res=$(fio --name=b --filename="$1" --rw="$2" --bs="$3" --iodepth="$4" \
		--direct="$5" --ioengine=libaio --size="${size}M" --runtime="$runtime" \
		--time_based --minimal 2>/dev/null) || return 1
	after=$(cpu_busy)
	# The terse line (version 3) only; none is a failure.
	awk -F';' -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" -v bs="$bs_kib" '$1 == 3 {
		ops = ($6 + $47) / bs
		printf "%d %.1f\n", $7 + $48, ops ? ticks * 1e6 / hz / ops : 0
		found = 1
	}
	END { exit !found }' <<<"$res"
}

# xloop_attach: bind an xloop device to /bench/img in this mode; sets xdev.
xloop_attach() {
	wait_for /dev/xloop-control || fail "no /dev/xloop-control"
	xdev=$("$probe" attach /dev/xloop-control xloop "$img" "${dioflag[@]}") ||
		fail "xloop attach $img"
}

# xloop_load A|B: this tree's xloop.ko (A) or revision XB_AB's (B), loaded afresh.
loaded=A
xloop_load() {
	local ko=$XL_KO
	[ "$1" = A ] || ko=$ab_ko
	xl_unload
	insmod "$ko" || fail "insmod $ko"
	loaded=$1
}

# xloop_use A|B: xdev backed by that module.
xloop_use() {
	[ "$loaded" = "$1" ] && return
	"$probe" detach "$xdev" || fail "detach $xdev"
	xloop_load "$1"
	xloop_attach
}

rows=("read 1M 16" "write 1M 16" "randread 4k 1" "randread 4k 16" "randwrite 4k 1" "randwrite 4k 16")
targets=(xloop loop raw)
[ "$control" = 0 ] || targets+=(loop2)
if [ -n "$ab" ]; then
	[ -f "$ab_ko" ] || fail "no xloop.ko of $ab for $XT_KVER ($ab_ko)"
	targets+=(xloopB)
fi
out=$PWD/results
: >"$out"
for backing in $backings; do
img=/bench/img
[ "$backing" = ext4 ] || img=/bench-$backing/img
for mode in buffered direct; do
	dioflag=() losetup_dio=off rawdirect=0
	if [ $mode = direct ]; then
		dioflag=(dio) losetup_dio=on rawdirect=1
		# No O_DIRECT on this file system (tmpfs before 6.6): no direct rows.
		dd if="$img" of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null || continue
	fi
	xloop_attach
	ldev=$(losetup --direct-io=$losetup_dio -f --show "$img")
	expect_eq "loop.ko direct I/O" $rawdirect "$(cat "/sys/block/${ldev#/dev/}/loop/dio")"
	expect_eq "xloop direct I/O" $rawdirect "$(cat "/sys/block/${xdev#/dev/}/loop/dio")"
	for row in "${rows[@]}"; do
		read -r rw bs qd <<<"$row"
		[[ "$backing $mode $row" =~ $only ]] || continue
		declare -A vals=() cpus=()
		row_targets=("${targets[@]}")
		[ "$qd" != 1 ] || row_targets+=(nullb base)
		nrow=${#row_targets[@]}
		for r in $(seq "$repeat"); do
			for i in $(seq 0 $((nrow - 1))); do
				# Rotate the order from one repeat to the next.
				target=${row_targets[$(((i + r) % nrow))]}
				case $target in
				xloop) xloop_use A && dev=$xdev direct=1 ;;
				xloopB) xloop_use B && dev=$xdev direct=1 ;;
				loop | loop2) dev=$ldev direct=1 ;;
				raw) dev=$img direct=$rawdirect ;;
				nullb) dev=/dev/nullb0 direct=1 ;;
				base)
					dev=/dev/null direct=0
					if [[ $rw == *read ]]; then dev=/dev/zero; fi
					;;
				esac
				sync
				echo 3 >/proc/sys/vm/drop_caches
				res=$(fio_run "$dev" "$rw" "$bs" "$qd" "$direct") ||
					fail "fio $rw $bs QD$qd on $dev"
				read -r kib cpu <<<"$res"
				vals[$target]+="$kib "
				cpus[$target]+="$cpu "
			done
		done
		# One line per target: its samples, in the order of the repeats;
		# then the drivers' CPU time per request.
		for target in "${row_targets[@]}"; do
			echo "$backing-$mode $rw $bs $qd $target ${vals[$target]}" >>"$out"
		done
		for target in xloop loop; do
			echo "$backing-$mode $rw $bs $qd cpu-$target ${cpus[$target]}" >>"$out"
		done
		unset vals cpus
	done
	"$probe" detach "$xdev"
	losetup -d "$ldev"
done
done
# Leave the harness's own module loaded.
[ "$loaded" = A ] || xloop_load A
cat "$out"
echo TABLE
[ -z "$ab" ] || echo "xloop@B: xloop.ko at $ab"
# Throughputs: medians.  Ratios: the median of each repeat's ratio, the
# targets of a repeat having run back to back (a slow phase of the
# host then cancels out instead of landing on one target's samples), and in
# how many repeats xloop was ahead: under TCG one run of a target differs
# from the next by up to 30% alone, so where two targets meet the same limit
# (the disk) a ratio just under 1 with xloop ahead in about half the repeats
# is a tie; behind in all of them, it is slower (sign test).  The last three
# columns: the guest's CPU time per request (median, microseconds) with xloop
# and with loop.ko, and their ratio (the median of each repeat's): what the
# drivers cost apart from idle time, which under TCG is mostly the price of
# waking a halted virtual CPU.
awk '
function median(v, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return v[int((n + 1) / 2)]
}
function bw(k, a,    i, v) {
	for (i = 1; i <= n_rep[k]; i++)
		v[i] = rep[k, a, i]
	return median(v, n_rep[k])
}
function ratio(k, a, b,    i, r) {
	for (i = 1; i <= n_rep[k]; i++)
		r[i] = rep[k, b, i] ? rep[k, a, i] / rep[k, b, i] : 0
	return median(r, n_rep[k])
}
# "median ahead/repeats" for a against b.
function versus(k, a, b,    i, w) {
	for (i = 1; i <= n_rep[k]; i++)
		w += rep[k, a, i] > rep[k, b, i]
	return sprintf("%.2f %d/%d", ratio(k, a, b), w, n_rep[k])
}
# The raw file plus the block layer (see the top of this file).
function raw_blk(k,    i, r, tr, tn, tb) {
	if (!((k, "nullb", 1) in rep))
		return "-"
	for (i = 1; i <= n_rep[k]; i++) {
		r[i] = 0
		if (!rep[k, "raw", i] || !rep[k, "nullb", i] || !rep[k, "base", i])
			continue
		tr = 1 / rep[k, "raw", i]
		tn = 1 / rep[k, "nullb", i]
		tb = 1 / rep[k, "base", i]
		r[i] = tr / (tr + tn - tb)
	}
	return sprintf("%.2f", median(r, n_rep[k]))
}
{
	if ($5 == "xloopB") ab = 1
	if ($5 == "loop2") control = 1
	key = $1 " " $2 " " $3 " QD" $4
	if (!(key in seen)) { seen[key] = 1; order[++n] = key }
	n_rep[key] = NF - 5
	for (i = 6; i <= NF; i++) rep[key, $5, i - 5] = $i
}
END {
	printf "%-34s %12s %12s %12s", "fs-mode rw bs qd (KiB/s)", "xloop", "loop.ko", "raw file"
	if (ab) printf " %12s", "xloop@B"
	printf " %12s", "x/loop"
	if (control) printf " %12s", "lo/lo"
	printf " %12s %8s", "x/raw", "raw+blk"
	if (ab) printf " %12s", "x/B"
	printf " %9s %9s %8s\n", "us/req x", "us/req lo", "cpu x/lo"
	for (i = 1; i <= n; i++) {
		k = order[i]
		printf "%-34s %12d %12d %12d", k, bw(k, "xloop"), bw(k, "loop"), bw(k, "raw")
		if (ab) printf " %12d", bw(k, "xloopB")
		printf " %12s", versus(k, "xloop", "loop")
		if (control) printf " %12s", versus(k, "loop", "loop2")
		printf " %12s %8s", versus(k, "xloop", "raw"), raw_blk(k)
		if (ab) printf " %12s", versus(k, "xloop", "xloopB")
		printf " %9.1f %9.1f %8.2f\n", bw(k, "cpu-xloop"), bw(k, "cpu-loop"), ratio(k, "cpu-xloop", "cpu-loop")
	}
}' "$out"
umount /bench /bench-tmpfs
rmmod loop null_blk
