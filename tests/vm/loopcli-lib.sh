# shellcheck shell=bash
# Helpers for the xloop tool's VM cases (tests/vm/cases/2xx-*.sh), sourced
# after $XT_LIB and kmod-lib.sh.  The same scenario runs through util-linux
# losetup and through `xloop`, against the stock loop.ko (the oracle) and
# against xloop.ko in native and drop-in mode; the cases diff what each run
# leaves behind.
#
# A "mode" names who drives which driver:
#   losetup        util-linux losetup on whatever owns /dev/loop*
#   xloop:loop     xloop --driver loop (stock loop.ko, or xloop drop-in)
#   xloop:xloop    xloop --driver xloop (xloop.ko, native or drop-in)

XLOOP=$XT_XLOOP

# lc_attach MODE [--device DEV] ARGS... FILE: attach; prints "rc=N dev=DEV".
lc_attach() {
	local mode=$1 dev='' out rc=0
	shift
	if [ "$1" = --device ]; then
		dev=$2
		shift 2
	fi
	case $mode in
	losetup)
		if [ -n "$dev" ]; then
			losetup "${@:1:$#-1}" "$dev" "${@: -1}" 2>>attach.err && out=$dev || rc=$?
		else
			out=$(losetup -f --show "$@" 2>>attach.err) || rc=$?
		fi
		;;
	xloop:*)
		out=$("$XLOOP" attach --driver "${mode#xloop:}" ${dev:+--device "$dev"} "$@" 2>>attach.err) || rc=$?
		;;
	esac
	echo "rc=$rc dev=${out:-}"
}

# lc_detach_all MODE: detach every device of the mode's driver.
lc_detach_all() {
	case $1 in
	losetup) losetup -D ;;
	xloop:*) "$XLOOP" detach --all --driver "${1#xloop:}" ;;
	esac
}

# lc_detach MODE DEV...: detach named devices.
lc_detach() {
	local mode=$1
	shift
	case $mode in
	losetup) losetup -d "$@" ;;
	xloop:*) "$XLOOP" detach "$@" ;;
	esac
}

# lc_list MODE ARGS...: the list command of the mode.
lc_list() {
	local mode=$1
	shift
	case $mode in
	losetup) losetup -l "$@" ;;
	xloop:*) "$XLOOP" list --driver "${mode#xloop:}" "$@" ;;
	esac
}

# lc_block DEV: the block layer's view (size, sector size, read-only) and
# the partitions, read from sysfs with shell builtins (no process per read).
lc_block() {
	local name=${1#/dev/} size ss ro p
	read -r size <"/sys/block/$name/size"
	read -r ss <"/sys/block/$name/queue/logical_block_size"
	read -r ro <"/sys/block/$name/ro"
	echo "$1: bytes=$((size * 512)) ss=$ss ro=$ro"
	for p in /sys/block/"$name"/"$name"p*; do
		[ -e "$p/size" ] || continue
		read -r size <"$p/size"
		echo "$1: partition ${p##*/} bytes=$((size * 512))"
	done
}

# lc_state MODE DEV...: what the bound devices show through the mode's list
# command (sorted: /sys/block order is a hash of the names; losetup -l takes
# at most one device), and DEV... through the block layer.
lc_state() {
	local mode=$1 dev
	shift
	lc_list "$mode" -n --raw -O NAME,AUTOCLEAR,BACK-FILE,BACK-INO,OFFSET,PARTSCAN,RO,SIZELIMIT,DIO,LOG-SEC | sort
	for dev; do
		lc_block "$dev"
	done
}

# lc_names: xloopN names read as loopN, so native runs compare with stock ones.
lc_names() {
	sed -E 's#/dev/xloop([0-9])#/dev/loop\1#g; s#\bxloop([0-9])#loop\1#g'
}

# lc_bound PREFIX: how many disks of this prefix have a backing file.
lc_bound() {
	local d n=0
	for d in /sys/block/"$1"[0-9]*; do
		[ -e "$d/loop/backing_file" ] && n=$((n + 1))
	done
	echo "$n"
}

# lc_stock_runs SESSION WHAT: on loop.ko (left loaded), SESSION through
# losetup (losetup.out, the oracle) and through xloop --driver loop; the two
# must print the same.  SESSION takes MODE and the disk name prefix.
lc_stock_runs() {
	local session=$1 what=$2
	stock_loop_load
	"$session" losetup loop >losetup.out 2>&1
	"$session" xloop:loop loop >xloop-stock.out 2>&1
	cat xloop-stock.out
	diff -u losetup.out xloop-stock.out || fail "$what: xloop differs from losetup on loop.ko"
}

# lc_xloop_runs SESSION WHAT [EXPECTED_6_12]: SESSION through xloop on
# xloop.ko native (names read xloopN as loopN) and drop-in; each must print
# what losetup.out holds.  Lines tagged [6.12] show behaviour 6.12 changed:
# xloop.ko has it on every kernel, so on 6.1 they are held to the file
# EXPECTED_6_12 (what 6.12's loop.ko prints) instead (kmod-lib's oracle_diff).
lc_xloop_runs() {
	local session=$1 what=$2 expected=${3:-}
	lc_native_load
	"$session" xloop:xloop xloop >native.out 2>&1
	lc_names <native.out >native.cmp
	oracle_diff losetup.out native.cmp "$expected" || fail "$what on xloop.ko (native)"
	lc_dropin_load
	"$session" xloop:xloop loop >dropin.out 2>&1
	oracle_diff losetup.out dropin.out "$expected" || fail "$what on xloop.ko (drop-in)"
	no_device_bound loop
}

# lc_dropin_load / lc_native_load: xloop in the wanted mode, no stock loop.ko.
lc_dropin_load() {
	xl_dropin_load
}
lc_native_load() {
	if grep -q '^loop ' /proc/modules; then rmmod loop; fi
	xl_reload
}

# lc_run NAME COMMAND...: "NAME rc=N" and the command's stdout.
lc_run() {
	local name=$1 out rc=0
	shift
	out=$("$@" 2>>run.err) || rc=$?
	echo "$name rc=$rc"
	[ -z "$out" ] || printf '%s\n' "$out"
}

# lc_dev "rc=N dev=DEV": the DEV of an lc_attach result.
lc_dev() {
	echo "${1#*dev=}"
}
