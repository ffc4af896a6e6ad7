# shellcheck shell=bash
# Helpers for VM test cases.  A case is a bash script in tests/vm/cases/ that
# sources this file, runs as root inside the test VM with its own scratch
# directory as the working directory, and passes by exiting 0.
#
# Environment from the harness:
#   XT_TOP     repository root (read-only)      XT_BUILD  build directory
#   XT_KVER    running kernel release           XT_MODDIR modules built for it
#   XT_XLOOP   the xloop command-line tool      XT_TMP    scratch directory (tmpfs)
#   XT_DISK    a virtio disk, for cases that ask for one (below)
#   XT_CASE    this case's name                 XT_BOOT   1, 2 after xt_power_cut, ...
# A line "# xt-timeout: SECONDS" in a case overrides the default time limit;
# "# xt-disk: MIB" asks for a scratch virtio-blk disk of that size.
set -euo pipefail

# fail MESSAGE: stop the case with a message naming what went wrong.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_fail COMMAND...: the command must exit non-zero.
expect_fail() {
	if "$@"; then
		fail "expected failure: $*"
	fi
}

# hang_limit N: a case's own limit for a hang (N seconds, tenths or rounds),
# scaled as its timeout is (XT_TIMEOUT_SCALE: a debug kernel runs the same
# work several times slower).
hang_limit() {
	echo $(($1 * ${XT_TIMEOUT_SCALE:-1}))
}

# mkimage FILE SIZE: a sparse image file of SIZE (truncate syntax).
mkimage() {
	rm -f "$1"
	truncate -s "$2" "$1"
}

# xt_power_cut: cut the power now, as a power failure does: QEMU exits at
# once, and nothing still in the guest's caches or queues reaches the disk.
# The kernel boots again on the same disk and runs this case once more, with
# XT_BOOT=2, to check what the disk kept (tests/vm/run.sh); a case with
# "# xt-power-cuts: N" may cut again, up to N times, and finds XT_BOOT=3...
# after the next ones.  The scratch
# directory is gone by then: what the second run needs goes in xt_state.
xt_power_cut() {
	echo "$XT_CASE" >"$XT_OUT/power-cut"
	# isa-debug-exit, as guest.sh ends a run: QEMU exits with status 253.
	printf '\176' | dd of=/dev/port bs=1 seek=244 count=1 status=none
	sleep 30
	fail "the power is still on after xt_power_cut"
}

# xt_state: a directory of this case's that outlives a power cut.
xt_state() {
	local dir=$XT_OUT/cases/$XT_CASE.state
	mkdir -p "$dir"
	echo "$dir"
}
