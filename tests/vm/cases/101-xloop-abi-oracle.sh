#!/bin/bash
# Every loop ioctl, flag, size rule and sysfs attribute, and their errno
# values: the scripted probe runs against the stock loop.ko and against
# xloop.ko (native mode) on the same kernel, and the outputs must match.
# The 32-bit build of the probe does the same through the compat path.
# xt-timeout: 240
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
xl_restore_on_exit

run_both() { # PROBE TAG
	local probe=$1 tag=$2
	mkdir -p "stock$tag" "xloop$tag"
	stock_loop_load
	"$probe" abi /dev/loop-control loop "$PWD/stock$tag" >"stock$tag.out" ||
		fail "probe failed against loop.ko"
	stock_loop_unload
	xl_fresh
	"$probe" abi /dev/xloop-control xloop "$PWD/xloop$tag" >"xloop$tag.out" ||
		fail "probe failed against xloop.ko"
	cat "xloop$tag.out"
	oracle_diff "stock$tag.out" "xloop$tag.out" expected-612
	no_device_bound xloop
}

cat >expected-612 <<'END'
[6.12] configure block 1000 offset overflow: EOVERFLOW
[6.12] get_status64 after clr_fd: ENXIO
[6.12] open after clr_fd: ENXIO
[6.12] clr_fd twice: ENXIO
[6.12] perm ro set_status: EPERM
[6.12] backing procfs set_fd: EINVAL
[6.12] backing procfs: 0
[6.12] backing procfs: ENXIO
[6.12] backing procfs change_fd: EINVAL
END

run_both "$XL_PROBE" 64
if [ -x "$XL_PROBE32" ]; then
	run_both "$XL_PROBE32" 32
	# The compat path must see what the native path sees, except that an
	# unknown ioctl is ENOTTY there (-ENOIOCTLCMD), as with loop.ko.
	grep -v 'unknown ioctl' xloop64.out >native.cmp
	grep -v 'unknown ioctl' xloop32.out >compat.cmp
	diff -u native.cmp compat.cmp || fail "32-bit and 64-bit results differ"
else
	fail "xloop_probe32 not built (gcc-multilib missing?)"
fi
