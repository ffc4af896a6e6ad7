#!/bin/bash
# Stacked images, as test farms nest them: an image in a file on ext4 that
# lives in another image attached through xloop.ko, on ext4 and on btrfs, in
# buffered and direct-I/O mode, with ext4 and Minix on top, under the same
# loads as 114 and 115 (see backing-lib.sh): the upper device's backing I/O
# is itself a file system's I/O through the lower device.
# xt-disk: 1024
# xt-timeout: 1200
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../backing-lib.sh
. "$XT_TOP/tests/vm/backing-lib.sh"
trap backing_cleanup EXIT
xl_fresh
stacked_matrix
