# shellcheck shell=bash
# Helpers for the cases that put images where users keep them (sourced after
# $XT_LIB and kmod-lib.sh): a backing file system on the scratch disk, a
# partitioned image in it, attached through xloop.ko or the stock loop.ko, a
# file system on the image's partition, and the loads users put on it.

# Backing file systems as users have them: default mount options (relatime),
# ext4 with its journal and without, XFS, btrfs, tmpfs.
BACKING_TYPES=(ext4 ext4-nojournal xfs btrfs tmpfs)
# File systems users put in images (XFS needs 300 MiB at least); Minix
# through this product's xminix.ko (the stock minix.ko has its turn in the
# stacked matrix).
UPPER_TYPES=(ext4 xfs xminix)
UPPER_IMAGE_SIZE=320M

# backing_mount TYPE DIR: a fresh TYPE file system on $XT_DISK (tmpfs: in
# RAM) mounted at DIR with default options.
backing_mount() {
	local type=$1 dir=$2
	mkdir -p "$dir"
	case $type in
	ext4) mkfs.ext4 -q -F "$XT_DISK" ;;
	ext4-nojournal) mkfs.ext4 -q -F -O ^has_journal "$XT_DISK" ;;
	xfs) mkfs.xfs -q -f "$XT_DISK" ;;
	btrfs) mkfs.btrfs -q -f "$XT_DISK" >/dev/null ;;
	tmpfs) mount -t tmpfs -o size=768M tmpfs "$dir" && return 0 ;;
	*) fail "backing_mount: unknown type $type" ;;
	esac || fail "mkfs $type on $XT_DISK"
	mount "$XT_DISK" "$dir" || fail "mount $type ($XT_DISK) at $dir"
}

# backing_umount DIR: unmount, retrying while a detached device lets go.
backing_umount() {
	poll_until 60 umount "$1" 2>/dev/null && return 0
	fuser -vm "$1" >&2 || true
	fail "umount $1: still busy"
}

# image_make FILE: a sparse image of UPPER_IMAGE_SIZE with one partition
# from 1 MiB to the end.
image_make() {
	rm -f "$1"
	truncate -s "$UPPER_IMAGE_SIZE" "$1" || fail "truncate $1"
	echo 'start=2048, type=83' | sfdisk -q "$1" >/dev/null || fail "sfdisk $1"
}

# image_attach DRIVER FILE MODE [sync]: attach FILE with partition scanning
# through DRIVER (xloop or loop) in MODE (buffered or dio), the backing file
# opened O_SYNC with "sync"; prints the device.
image_attach() {
	local driver=$1 file=$2 mode=$3 sync=${4:-} opts=(partscan) dev
	[ "$mode" = dio ] && opts+=(dio)
	[ "$sync" = sync ] && opts+=(sync)
	dev=$("$XL_PROBE" attach "/dev/$driver-control" "$driver" "$file" "${opts[@]}") ||
		fail "attach $file through $driver ($mode)"
	expect_dio "$dev" "$mode" "$file"
	echo "$dev"
}

# image_detach DEV: detach, then wait until the device has let go.
image_detach() {
	"$XL_PROBE" detach "$1" || fail "detach $1"
	poll_until 50 dev_unbound "$1" || fail "$1 still bound after detach"
}

# part_of DEV: DEV's first partition node, once it exists.
part_of() {
	local p=${1}p1
	wait_for "$p" || fail "no partition node $p"
	echo "$p"
}

# upper_mkfs TYPE DEV / upper_fsck TYPE DEV: make and check TYPE on DEV.
upper_mkfs() {
	case $1 in
	ext4) mkfs.ext4 -q -F "$2" ;;
	xfs) mkfs.xfs -q -f "$2" ;;
	minix | xminix) mkfs.minix -3 "$2" >/dev/null ;;
	esac || fail "mkfs $1 on $2"
}

upper_fsck() {
	local out=fsck-$1.log
	case $1 in
	ext4) e2fsck -f -n "$2" >"$out" 2>&1 ;;
	xfs) xfs_repair -n "$2" >"$out" 2>&1 ;;
	minix) fsck.minix -f "$2" >"$out" 2>&1 ;;
	xminix) fsck.minix -f "$2" >"$out" 2>&1 && "$XT_XLOOP" fsck -f "$2" >>"$out" 2>&1 ;;
	esac || {
		cat "$out" >&2
		fail "fsck of $1 on $2 found errors"
	}
}

upper_mount() {
	[ "$1" = minix ] && { modprobe minix || fail "no minix.ko"; }
	[ "$1" != xminix ] || grep -qw xminix /proc/filesystems || fail "xminix is not registered"
	mount -t "$1" "$2" "$3" || fail "mount $1 $2 at $3"
}

# load_metadata DIR: the pattern that crashed xloop.ko on ext4 backing: files
# written, everything dropped from the caches, then metadata changes whose
# reads go through the device while the upper file system has a
# transaction open (chmod, touch, rm, rename, mkdir after sync and
# drop_caches), with the backing file's atime due for update.
load_metadata() {
	local d=$1 i
	mkdir -p "$d/meta/sub/deeper"
	# Files of 1-12 KiB, written by the shell itself (a process costs
	# ~70 ms under emulation).
	for i in $(seq 12); do
		printf '%*s' $((i * 1024)) x >"$d/meta/f$i"
	done
	drop_caches
	chmod 600 "$d"/meta/f* || fail "chmod after drop_caches"
	drop_caches
	touch "$d"/meta/f* || fail "touch after drop_caches"
	drop_caches
	mv "$d"/meta/f1* "$d/meta/sub/" || fail "rename after drop_caches"
	drop_caches
	rm -f "$d"/meta/f* || fail "rm after drop_caches"
	mkdir "$d/meta/sub/deeper/new" || fail "mkdir after drop_caches"
	drop_caches
	ls -lR "$d/meta" >/dev/null || fail "ls -lR after drop_caches"
}

# load_parallel DIR SECONDS: several writers and metadata stressors at once
# while caches are dropped, as a busy test farm does.
load_parallel() {
	local d=$1 secs=$2 dropper rc=0
	mkdir -p "$d/stress"
	(
		while :; do
			drop_caches
			sleep 0.5
		done
	) &
	dropper=$!
	# The stressors stop after SECS; the limit is for a hang (a debug
	# kernel takes several times longer to wind down: hang_limit).
	timeout -k 10 "$(hang_limit $((secs + 60)))" stress-ng --temp-path "$d/stress" \
		--hdd 2 --hdd-bytes 4M --dir 1 --dir-dirs 64 --rename 1 \
		--chmod 1 --link 1 --link-ops 200 --timeout "${secs}s" --quiet || rc=$?
	kill "$dropper"
	# The dropper's own status is SIGTERM's.
	wait "$dropper" 2>/dev/null || true
	[ "$rc" -ne 124 ] || fail "stress-ng on $d did not finish in time"
	[ "$rc" -eq 0 ] || fail "stress-ng on $d failed (exit $rc)"
}

# data_put DIR / data_check DIR: random data written through the upper file
# system, and read back after a remount (checksums kept in the case's
# scratch directory).
data_put() {
	head -c 4M /dev/urandom >"$1/data" || fail "write $1/data"
	md5sum <"$1/data" >data.md5
}

data_check() {
	md5sum <"$1/data" | cmp -s - data.md5 || fail "$1/data differs after remount"
}

# exercise DRIVER BACKDIR UPPER MODE: the whole user story on one setup: a
# partitioned image in BACKDIR, attached in MODE, UPPER made on its
# partition, loaded, unmounted, checked, remounted and read back, detached.
exercise() {
	local driver=$1 back=$2 upper=$3 mode=$4 img=$2/img dev part
	echo "== ${SECONDS}s $driver: $upper on $(basename "$back") ($mode)"
	image_make "$img"
	dev=$(image_attach "$driver" "$img" "$mode")
	part=$(part_of "$dev")
	step mkfs
	upper_mkfs "$upper" "$part"
	mkdir -p upper
	upper_mount "$upper" "$part" upper
	data_put upper
	step metadata
	load_metadata upper
	step parallel
	load_parallel upper "${XT_LOAD_SECONDS:-3}"
	step fsck
	umount upper || fail "umount $upper on $part"
	upper_fsck "$upper" "$part"
	upper_mount "$upper" "$part" upper
	drop_caches
	data_check upper
	umount upper
	image_detach "$dev"
	rm -f "$img"
	step end
}

# step NAME: where an exercise is, and when (the case log's profile).
step() {
	echo "   ${SECONDS}s $1"
}

# backing_matrix MODE: exercise() through the stock loop.ko on ext4 first
# (the script itself is known good), then through xloop.ko on every backing
# file system with every upper file system.  XT_BACKING / XT_UPPER (in
# $BUILD/xloop-knobs.env) pick a subset.
backing_matrix() {
	local mode=$1 b u types uppers
	# shellcheck disable=SC2206 # word lists on purpose
	types=(${XT_BACKING:-${BACKING_TYPES[@]}})
	# shellcheck disable=SC2206
	uppers=(${XT_UPPER:-${UPPER_TYPES[@]}})
	backing_mount ext4 back
	stock_loop_load
	exercise loop back ext4 "$mode"
	stock_loop_unload
	backing_umount back
	for b in "${types[@]}"; do
		backing_mount "$b" back
		for u in "${uppers[@]}"; do
			exercise xloop back "$u" "$mode"
		done
		backing_umount back
	done
	no_device_bound xloop
}

# backing_cleanup: for a case's EXIT trap.
backing_cleanup() {
	if mountpoint -q upper; then umount upper; fi
	if mountpoint -q mid; then umount mid; fi
	xl_restore
	if mountpoint -q back; then umount back; fi
	return 0
}

# The stacked setups: the bottom (backing) file system, the mode of both
# devices, the middle file system (in the lower image, holding the upper
# image) and the upper file systems ("minix" is the stock minix.ko here;
# xminix has its turn in 114 and 115).  Every backing file system and mode
# of 114 and 115 is a bottom, and every pair of values of two dimensions
# (bottom and upper, bottom and mode, upper and middle, ...) is in at least
# one exercise: 15 exercises on 10 lower images instead of the 60 of the
# whole product, which XT_STACKED=full (in $BUILD/xloop-knobs.env) runs.
STACKED_SETUPS=(
	'ext4 buffered ext4 ext4,minix'
	'ext4 dio xfs xfs'
	'ext4-nojournal buffered ext4 xfs'
	'ext4-nojournal dio xfs ext4,minix'
	'xfs buffered xfs ext4,minix'
	'xfs dio ext4 xfs'
	'btrfs buffered xfs xfs'
	'btrfs dio ext4 ext4,minix'
	'tmpfs buffered ext4 ext4,minix'
	'tmpfs dio xfs xfs'
)
STACKED_MIDDLES=(ext4 xfs)
STACKED_UPPERS=(ext4 xfs minix)

# stacked_setups: STACKED_SETUPS, or with XT_STACKED=full every bottom,
# mode and middle with every upper.
stacked_setups() {
	local b mode mid uppers
	if [ "${XT_STACKED:-}" != full ]; then
		printf '%s\n' "${STACKED_SETUPS[@]}"
		return
	fi
	uppers=$(
		IFS=,
		echo "${STACKED_UPPERS[*]}"
	)
	for b in "${BACKING_TYPES[@]}"; do
		for mode in buffered dio; do
			for mid in "${STACKED_MIDDLES[@]}"; do
				echo "$b $mode $mid $uppers"
			done
		done
	done
}

# stacked_matrix: exercise() one level up: the upper image in a file on
# the middle file system, in an image attached through xloop.ko, on the
# bottom file system; both devices in the same mode (stacked_setups).
stacked_matrix() {
	local b mode mid uppers u lower setups setup
	mapfile -t setups <<<"$(stacked_setups)"
	for setup in "${setups[@]}"; do
		read -r b mode mid uppers <<<"$setup"
		echo "== lower: $mid on $b ($mode)"
		backing_mount "$b" back
		truncate -s 700M back/lower.img
		lower=$(image_attach xloop back/lower.img "$mode")
		upper_mkfs "$mid" "$lower"
		mkdir -p mid
		mount "$lower" mid || fail "mount $mid ($lower) at mid"
		for u in ${uppers//,/ }; do
			exercise xloop mid "$u" "$mode"
		done
		umount mid || fail "umount mid"
		upper_fsck "$mid" "$lower"
		image_detach "$lower"
		rm -f back/lower.img
		backing_umount back
	done
	no_device_bound xloop
}
