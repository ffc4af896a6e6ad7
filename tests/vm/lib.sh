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

# mkimage FILE SIZE: a sparse image file of SIZE (truncate syntax).
mkimage() {
	rm -f "$1"
	truncate -s "$2" "$1"
}
