#!/usr/bin/env bash
# Run VM test cases on target kernels under QEMU and report TAP.
#
#   run.sh [-k RELEASE]... [-c CASE]... [-d CASES_DIR] [-m MODULE.ko]... [-s VCPUS] [-o OUT]
#
#   -k  kernel release to boot (repeatable; default: every target kernel)
#   -c  case to run: a name or glob over case names without ".sh" (repeatable;
#       default: every case in CASES_DIR)
#   -d  directory of case scripts (default: tests/vm/cases)
#   -m  module to load before the cases (repeatable; default: every module
#       built for that kernel in $BUILD/modules/<release>/)
#   -o  output directory (default: $BUILD/vm); each kernel gets OUT/<release>/
#       with console.log, results.tap and per-case logs
#   -s  only the cases that ask for VCPUS virtual CPUs, in guests of that many
#       (a case says "# xt-smp: 1" when one is enough: it looks for no race;
#       the others ask for 2); without -s, every case in guests of XT_SMP
#
# A case that needs a real disk says "# xt-disk: MIB" and gets a virtio-blk disk
# of that size (the largest any selected case asks for), backed by a sparse
# host file opened O_DIRECT, as $XT_DISK (/dev/vda) in the guest.  XT_DISK_DIR
# puts that file elsewhere (default: the kernel's output directory) and
# XT_DISK_CACHE sets QEMU's cache mode (default none).
#
# A case may cut the power (xt_power_cut in lib.sh: QEMU exits at once, the
# guest flushes nothing).  The kernel is then booted again on the same disk,
# and the run goes on with that case, which finds XT_BOOT=2 and checks what
# the disk kept, followed by the cases not yet run.  A case that says
# "# xt-power-cuts: N" may cut N times (XT_BOOT=3 after the second...).
#
# Environment: BUILD (default build), XT_ACCEL (kvm|tcg, default: probed),
# XT_LIMIT (seconds for a whole boot, default: from the cases), XT_MEM (MiB,
# default 2048), XT_SMP (vCPUs per guest without -s, default 2),
# XT_CASE_TIMEOUT (default 120 s), XT_TIMEOUT_SCALE (every case's timeout
# multiplied; default 4 if a target kernel is a debug kernel, else 1),
# XT_JOBS (kernels booted at once, default: host CPUs / vCPUs per guest, at
# least 1, as memory allows; see below), XT_KERNEL_ARGS (appended to the
# guest kernel's command line, e.g. "slub_debug=FZPU" to catch slab
# corruption where it happens), XT_RECORD=1 (a record run, e.g. the stock
# minix.ko on corrupt images: an oops or a soft lockup does not panic the
# guest, and kernel warnings and taints are logged, not failed).
#
# A guest kernel that crashes before its first result is booted once more
# (see boot()).
#
# Prints one TAP line per step and case per kernel, and ends with
# "N passed, M failed" over all kernels.  Exit status 0 only if nothing failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac

kernels=() patterns=() modules=() cases_dir=$here/cases out='' vcpus='' split=''
while getopts 'k:c:d:m:o:s:h' opt; do
	case $opt in
	k) kernels+=("$OPTARG") ;;
	c) patterns+=("$OPTARG") ;;
	d) cases_dir=$(cd "$OPTARG" && pwd) ;;
	m) modules+=("$(realpath "$OPTARG")") ;;
	o) out=$OPTARG ;;
	s) vcpus=$OPTARG split=1 ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
out=${out:-$build/vm}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ ${#kernels[@]} -gt 0 ] || mapfile -t kernels < <("$top/scripts/kernels.sh")
[ ${#kernels[@]} -gt 0 ] || { echo "vm: no target kernels; run 'make deps'" >&2; exit 2; }

# positive_int NAME VALUE: VALUE goes into arithmetic; refuse anything else.
positive_int() {
	[[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "vm: $1 must be a positive integer" >&2; exit 2; }
}
[ -z "$split" ] || positive_int "-s" "$vcpus"

# shellcheck source=case-header.sh
. "$here/case-header.sh"

# is_debug_kernel RELEASE: the kernel make debug-kernel builds (KASAN, lockdep).
is_debug_kernel() {
	case $1 in *-xloop-debug) return 0 ;; esac
	return 1
}

# Select cases: every *.sh in the directory, filtered by the patterns and -s.
cases=()
for path in "$cases_dir"/*.sh; do
	[ -e "$path" ] || continue
	name=$(basename "$path" .sh)
	if [ -n "$split" ]; then
		want=$(case_header "$path" smp '[^ ]*')
		# Anything else would leave the case out of both of make check's parts.
		case ${want:-2} in
		1 | 2) ;;
		*) echo "vm: $name: xt-smp must be 1 or 2, not '$want'" >&2; exit 2 ;;
		esac
		[ "${want:-2}" = "$vcpus" ] || continue
	fi
	if [ ${#patterns[@]} -eq 0 ]; then
		cases+=("$path")
		continue
	fi
	for p in "${patterns[@]}"; do
		# shellcheck disable=SC2053 # the pattern is a glob on purpose
		if [[ $name == $p || $name == $p-* ]]; then
			cases+=("$path")
			break
		fi
	done
done
if [ ${#cases[@]} -eq 0 ] && { [ ${#patterns[@]} -gt 0 ] || [ -n "$split" ]; }; then
	what=${patterns[*]-}
	[ -z "$split" ] || what="${what:+$what, }xt-smp: $vcpus"
	echo "vm: no case matches: $what (in $cases_dir)" >&2
	exit 2
fi

mem=${XT_MEM:-2048}
# SMP guests find races a uniprocessor guest cannot.
smp=${vcpus:-${XT_SMP:-2}}
positive_int XT_SMP "$smp"
case_timeout=${XT_CASE_TIMEOUT:-120}
# A debug kernel (KASAN, lockdep) runs the same case several times slower;
# one factor for the whole run, 4 if any of its kernels is a debug kernel.
scale=1
for k in "${kernels[@]}"; do if is_debug_kernel "$k"; then scale=4; fi; done
scale=${XT_TIMEOUT_SCALE:-$scale}
positive_int XT_TIMEOUT_SCALE "$scale"
accel=$("$here/accel.sh")
# The whole boot's limit: boot allowance plus every case's own limit
# (XT_LIMIT overrides it).
limit=90
for c in ${cases[@]+"${cases[@]}"}; do
	t=$(case_header "$c" timeout)
	limit=$((limit + ${t:-$case_timeout} * scale + 15))
done
limit=${XT_LIMIT:-$limit}
disk_mib=0
for c in ${cases[@]+"${cases[@]}"}; do
	d=$(case_header "$c" disk)
	[ "${d:-0}" -gt "$disk_mib" ] && disk_mib=$d
done

# boot_once RELEASE [CASE]: one VM run; leaves OUT/RELEASE/{console.log,
# results.tap,qemu.rc}.  With CASE, the boot after a power cut in that case:
# it runs CASE and the cases after it, appending to what is there, on the disk
# the cut left.  The disk is removed unless the guest cut the power again.
boot_once() {
	local release=$1 resume=${2:-} dir=$out/$1 initrd=$build/vm/initrd-$1.cpio.gz
	local vmlinuz=/boot/vmlinuz-$1 mods=() rc=0 disk=() img run=() c found=
	if [ -z "$resume" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		run=(${cases[@]+"${cases[@]}"})
	else
		for c in "${cases[@]}"; do
			[ "$(basename "$c" .sh)" = "$resume" ] && found=1
			[ -n "$found" ] && run+=("$c")
		done
	fi
	if [ ! -f "$initrd" ] || [ "$initrd" -ot "$here/init" ] || [ "$initrd" -ot "$here/mkinitramfs.sh" ]; then
		"$here/mkinitramfs.sh" "$release" "$initrd"
	fi
	if [ ${#modules[@]} -gt 0 ]; then
		mods=("${modules[@]}")
	else
		for ko in "$build/modules/$release"/*.ko; do
			[ -e "$ko" ] && mods+=("$ko")
		done
	fi
	{
		echo "XT_TOP=$(printf %q "$top")"
		echo "XT_BUILD=$(printf %q "$build")"
		echo "XT_KVER=$(printf %q "$release")"
		echo "XT_MODULES=$(printf %q "${mods[*]-}")"
		echo "XT_CASES=$(printf %q "${run[*]-}")"
		echo "XT_RESUME=$(printf %q "$resume")"
		echo "XT_RESUME_BOOT=$((${3:-1} + 1))"
		echo "XT_CASE_TIMEOUT=$case_timeout"
		echo "XT_TIMEOUT_SCALE=$scale"
		echo "XT_DISK_MIB=$disk_mib"
		echo "XT_RECORD=$(printf %q "${XT_RECORD:-}")"
	} >"$dir/plan.env"
	img=${XT_DISK_DIR:-$dir}/xt-disk-$release-$$.img
	# A record run lives through an oops (it kills only the task that hit it).
	# A kernel spinning on a guest's only vCPU stops its case's timeout too:
	# a soft lockup panics instead, and the report shows the console.
	local oops_panic=" oops=panic softlockup_panic=1" cpu=max
	[ -z "${XT_RECORD:-}" ] || oops_panic=
	# -cpu max offers 5-level paging.  6.12 with KASAN then reports a false
	# "wild-memory-access" for an interrupt taken while identify_cpu() has
	# cleared the CPU's feature bits (LA57 among them, which KASAN's shadow
	# bounds read): seen once in a suite's boots.  The debug kernel's CPU
	# has no LA57 (4-level paging); the Debian kernels keep 5.
	if is_debug_kernel "$release"; then cpu=max,la57=off; fi
	# tsc=reliable: the clocksource watchdog must not judge the TSC.  On a
	# busy host a vCPU stalls between the watchdog's reads, the TSC is marked
	# unstable, and sched_clock with it, which patches a static branch in
	# sched_clock_cpu() while the other vCPU runs it.  Under TCG that
	# patching can oops (seen as "Oops: int3" in sched_clock_cpu() on 6.12;
	# switching a hot static key in a loop reproduces it, and hangs 6.1).
	# Under TCG the guest's TSC is the host's, read by QEMU; under KVM it is
	# the hardware's: either is as reliable as the host's.
	local clock=" tsc=reliable"
	if [ "$disk_mib" -gt 0 ]; then
		[ -n "$resume" ] || truncate -s "${disk_mib}M" "$img"
		disk=(-drive "file=$img,format=raw,if=virtio,cache=${XT_DISK_CACHE:-none},aio=threads")
	fi
	timeout -k 5 "$limit" qemu-system-x86_64 \
		-machine q35,accel="$accel" -cpu "$cpu" -smp "$smp" -m "$mem" \
		-nodefaults -no-reboot -display none \
		-bios /usr/share/qemu/qboot.rom \
		-chardev file,id=console,path="$dir/console.log",append=on -serial chardev:console \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev local,id=xtout,path="$dir",security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=xtout,mount_tag=xtout \
		${disk[@]+"${disk[@]}"} \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=5 printk.time=1 panic=-1${oops_panic}${clock} xt.stage2=$here/guest.sh${XT_KERNEL_ARGS:+ $XT_KERNEL_ARGS}" \
		>>"$dir/qemu.out" 2>&1 || rc=$?
	echo "$rc" >"$dir/qemu.rc"
	[ -f "$dir/power-cut" ] || rm -f "$img"
}

# qemu_end STATUS: how a boot's QEMU ended, from its exit status: "hung"
# (killed by timeout), "crashed" (the guest reset without writing an exit
# code to isa-debug-exit, which makes the status odd) or "exited".
qemu_end() {
	if [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; then
		echo hung
	elif [ $(($1 & 1)) -eq 0 ]; then
		echo crashed
	else
		echo exited
	fi
}

# boot RELEASE: boot_once, and once more if the guest kernel crashed before
# its first result (in its own initcalls: QEMU's TCG has been seen to run a
# stale int3 of the kernel's own code patching there, no module loaded).
# That crash cannot be ours; one after the first result always fails the run.
# The first boot's console is kept as console-crashed-boot.log.
#
# Then, while a case cut the power, the boot after the cut (once a case, or
# as often as its "# xt-power-cuts: N" line allows).
boot() {
	local release=$1 dir=$out/$1 keep=$out/.$1-crashed-boot.log start cut allowed
	start=$(date +%s.%N)
	boot_once "$release"
	[ -f "$dir/qemu.rc" ] || return 0
	if [ "$(qemu_end "$(cat "$dir/qemu.rc")")" = crashed ] && [ ! -s "$dir/results.tap" ]; then
		mv "$dir/console.log" "$keep"
		boot_once "$release"
		mv "$keep" "$dir/console-crashed-boot.log"
	fi
	declare -A cuts=()
	while [ -f "$dir/power-cut" ]; do
		cut=$(cat "$dir/power-cut")
		rm -f "$dir/power-cut"
		allowed=
		[ -z "$cut" ] || allowed=$(case_header "$cases_dir/$cut.sh" power-cuts 2>/dev/null || true)
		cuts[${cut:-?}]=$((${cuts[${cut:-?}]:-0} + 1))
		# A case that cuts more often than it says ends the run.
		if [ -z "$cut" ] || [ "${cuts[$cut]}" -gt "${allowed:-1}" ]; then
			echo "not ok - ${cut:-power-cut} # cut the power again after booting again" >>"$dir/results.tap"
			break
		fi
		echo "xt: power cut in $cut: booting again" >>"$dir/console.log"
		boot_once "$release" "$cut" "${cuts[$cut]}"
	done
	rm -f "$dir/power-cut" "${XT_DISK_DIR:-$dir}/xt-disk-$release-$$.img"
	echo "$(date +%s.%N) $start" | awk '{ printf "%.1f\n", $1 - $2 }' >"$dir/seconds"
}

# report RELEASE: print this kernel's TAP lines; add failures for a crash, a
# hang, a case with no result, or a warning class anywhere on the console.
report() {
	local release=$1 dir=$out/$1 rc end line c name
	if [ ! -f "$dir/qemu.rc" ]; then
		tap_line "not ok" "$release: guest finished # VM setup failed before boot"
		return 0
	fi
	rc=$(cat "$dir/qemu.rc")
	echo "# $release: $(cat "$dir/seconds") s under $accel, console: $dir/console.log"
	# The slowest cases, to keep an eye on the suite's time.
	for c in "$dir"/cases/*.seconds; do
		if [ -f "$c" ]; then echo "$(cat "$c") $(basename "$c" .seconds)"; fi
	done | sort -rn | awk 'NR <= 5 { s = s (NR > 1 ? ", " : "") $2 " " $1 " s" } END { if (s != "") print "# slowest: " s }'
	local patterns
	patterns=$(grep -Ev '^#|^$' "$here/warning-classes.txt")
	if [ -f "$dir/console-crashed-boot.log" ]; then
		echo "# $release: booted twice: the first boot crashed before its first result ($dir/console-crashed-boot.log):"
		grep -m 3 -E -e "$patterns" "$dir/console-crashed-boot.log" | sed 's/^/#   /'
	fi
	touch "$dir/results.tap"
	while IFS= read -r line; do
		case $line in
		"ok - "*) tap_line ok "$release: ${line#ok - }" ;;
		"not ok - "*) tap_line "not ok" "$release: ${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$dir/results.tap"
	for c in ${cases[@]+"${cases[@]}"}; do
		name=$(basename "$c" .sh)
		grep -Eq "^(not )?ok - $name( |\$)" "$dir/results.tap" ||
			tap_line "not ok" "$release: $name # no result"
	done
	if [ -n "${XT_RECORD:-}" ]; then
		tap_line ok "$release: console clean # SKIP record run: $(grep -Ec -e "$patterns" "$dir/console.log") warning lines"
	elif grep -Eq -e "$patterns" "$dir/console.log" 2>/dev/null; then
		tap_line "not ok" "$release: console clean # kernel warning on the console"
		grep -E -e "$patterns" "$dir/console.log" | head -n 5 | sed 's/^/#   /'
	else
		tap_line ok "$release: console clean"
	fi
	end=$(qemu_end "$rc")
	if [ "$end" = hung ]; then
		tap_line "not ok" "$release: guest finished # hung: killed after ${limit}s"
	elif [ "$end" = crashed ]; then
		tap_line "not ok" "$release: guest finished # crashed: no exit code (qemu status $rc)"
	elif ! grep -q '^done ' "$dir/status" 2>/dev/null; then
		tap_line "not ok" "$release: guest finished # exit code $((rc >> 1)) without a status"
	else
		tap_line ok "$release: guest finished"
		return 0
	fi
	tail -n 30 "$dir/console.log" | sed 's/^/#   /'
	[ -s "$dir/qemu.out" ] && sed 's/^/#   qemu: /' "$dir/qemu.out"
	return 0
}

n=0 passed=0 failed=0
tap_line() {
	n=$((n + 1))
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	echo "$1 $n - $2"
}

# Never more vCPUs than host CPUs: a guest's vCPUs wait on each other (IPIs,
# cross-CPU TLB flushes), so under TCG a vCPU thread the host has descheduled
# stalls the rest.  Two 2-vCPU guests on 2 host CPUs ran
# 401-xminix-parity in 357 s and 361 s at once, against 95 s alone.
# Memory caps it too.
fit=$(awk -v per=$((mem + 512)) '/^MemAvailable:/ { print int($2 / 1024 / per) }' /proc/meminfo)
jobs=$(($(nproc) / smp))
[ "$jobs" -le "$fit" ] || jobs=$fit
jobs=${XT_JOBS:-$jobs}
[ "$jobs" -ge 1 ] || jobs=1
running=0
for release in "${kernels[@]}"; do
	[ -f "/boot/vmlinuz-$release" ] || { echo "vm: no /boot/vmlinuz-$release" >&2; exit 2; }
	boot "$release" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait
for release in "${kernels[@]}"; do
	report "$release"
done
echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
