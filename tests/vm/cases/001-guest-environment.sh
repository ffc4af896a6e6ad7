#!/bin/bash
# The guest sees the host's tools and this checkout's build, and can write.
# xt-smp: 1
. "$XT_LIB"

expect_eq "running kernel" "$XT_KVER" "$(uname -r)"
for tool in mkfs.minix fsck.minix losetup mount fio; do
	command -v "$tool" >/dev/null || fail "$tool missing in the guest"
done
[ -x "$XT_XLOOP" ] || fail "$XT_XLOOP not built"
"$XT_XLOOP" --version >/dev/null || fail "$XT_XLOOP --version failed"
# The scratch directory is writable and private to this case.
echo hello >probe
expect_eq "scratch file" hello "$(cat probe)"
# The stock loop and minix drivers of this kernel are the test oracles.
modprobe loop || fail "stock loop module does not load"
modprobe minix || fail "stock minix module does not load"
grep -q '^loop ' /proc/modules || grep -q loop /lib/modules/"$XT_KVER"/modules.builtin ||
	fail "loop driver not present"
rmmod minix loop 2>/dev/null || true
