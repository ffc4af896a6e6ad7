#!/bin/bash
# Images where users keep them, read and written with direct I/O (tmpfs on
# 6.1 has none: the device uses the page cache there, as loop.ko does):
# a partitioned image in a file on ext4 (journalled, relatime), ext4 without
# a journal, XFS, btrfs and tmpfs, with ext4, XFS and Minix (through this
# product's xminix.ko) on its partition,
# under metadata changes after sync and drop_caches (the pattern that hit
# "kernel BUG at fs/jbd2/transaction.c" when xloop.ko did backing I/O inside
# the upper file system's journal handle) and a parallel stress-ng load; then
# fsck of the upper file system and a read-back after a remount (see
# backing-lib.sh).  The harness fails the run on any kernel warning.
# xt-disk: 1024
# xt-timeout: 1200
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../backing-lib.sh
. "$XT_TOP/tests/vm/backing-lib.sh"
trap backing_cleanup EXIT
xl_fresh
backing_matrix dio
