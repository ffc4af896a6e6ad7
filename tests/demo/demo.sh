#!/bin/bash
# shellcheck disable=SC2016 # command lines are single-quoted to be shown verbatim
# The demo, run inside the test VM: a disk image becomes a block device
# (xloop.ko), gets a Minix filesystem, is mounted through xminix.ko, written,
# listed, unmounted, detached, checked, and read back offline.  Every
# command is shown before it runs.
. "$XT_LIB"
export PATH=$XT_BUILD:$PATH

# show 'COMMAND LINE': print it as typed, then run it.
show() {
	printf '\n$ %s\n' "$1"
	eval "$1"
}

show 'xloop --version'
show 'truncate -s 32M disk.img'
dev=$(xloop attach disk.img)
printf '\n$ xloop attach disk.img\n%s\n' "$dev"
show 'xloop list'
show "xloop mkfs -3 $dev"
mkdir -p /mnt/demo
show 'grep minix /proc/filesystems'
show "mount -t xminix $dev /mnt/demo"
show 'grep /mnt/demo /proc/mounts'
show "echo 'Hello from xloop' > /mnt/demo/hello.txt"
show 'mkdir /mnt/demo/docs'
show 'seq 1 2000 > /mnt/demo/docs/numbers.txt'
show 'ln -s ../hello.txt /mnt/demo/docs/greeting'
show 'ls -l /mnt/demo /mnt/demo/docs'
show 'cat /mnt/demo/docs/greeting'
show 'df -h /mnt/demo'
show 'umount /mnt/demo'
show "xloop detach $dev"
show 'xloop list'
show 'xloop fsck -f disk.img; echo "exit status $?"'
show 'fsck.minix -f disk.img; echo "exit status $?"'
show 'xloop ls -l disk.img /'
show 'xloop cat disk.img /hello.txt'
show 'xloop cat disk.img /docs/numbers.txt | tail -n 2'
[ "$(xloop cat disk.img /hello.txt)" = "Hello from xloop" ] || fail "read back differs"
