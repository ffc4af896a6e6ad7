#!/bin/bash
# Stacked images, as test farms nest them: an image in a file on ext4 or XFS
# that lives in another image attached through xloop.ko, on every backing
# file system of 114 (ext4 with and without a journal, XFS, btrfs, tmpfs), in
# buffered and direct-I/O mode, with ext4, XFS and Minix on top, under the
# same loads as 114 and 115 (see backing-lib.sh): the upper device's backing
# I/O is itself a file system's I/O through the lower device.  The setups
# hold every pair of those dimensions (STACKED_SETUPS); XT_STACKED=full runs
# every combination.  tmpfs takes no O_DIRECT before 6.6: on 6.1 its lower
# device is buffered in direct-I/O mode (expect_dio checks which).
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
