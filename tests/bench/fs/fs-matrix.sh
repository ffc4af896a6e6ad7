#!/bin/bash
# Guest side of bench-fs.sh (a VM case): tests/bench/fs/fs_matrix.py on the
# VM's virtio disk (the host file opened O_DIRECT).
# xt-disk: 1024
# xt-timeout: 3000
. "$XT_LIB"
# shellcheck source=/dev/null
. "$XT_BUILD/bench-fs-params.env"
modprobe minix || fail "modprobe minix"
grep -qw xminix /proc/filesystems || fail "xminix is not registered"
python3 "$XT_TOP/tests/bench/fs/fs_matrix.py" "$XT_DISK" "${XB_FS_REPEAT:-3}" ||
	fail "fs_matrix.py"
rmmod minix
