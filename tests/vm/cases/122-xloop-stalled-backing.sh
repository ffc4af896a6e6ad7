#!/bin/bash
# A hung file system stalls only the bind that reaches it.  A stock loop.ko
# device is bound to a file on a FUSE file system whose server then stops
# answering (stall_fuse.py; nothing cached, so every path walk asks it).  An
# xloop bind onto that loop device follows loop.ko's chain by its backing
# file's path (xloop_chain.c) and so waits on the server; meanwhile binds of
# other devices (onto a file, onto another stock loop device and LOOP_CHANGE_FD,
# which take the global lock) and detaches must go through.  A second stalled
# bind killed with SIGKILL ends, its device left unbound; the first completes
# once the server answers again.
# xt-timeout: 300
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# After a failure: the server answers again (a request it holds keeps even a
# killed caller waiting, and that bind then completes), the binds end, the
# devices go, then the file system and its server, each step whatever the
# last one did.
cleanup() {
	set +e
	rm -f ctl/stall
	for pid in ${stalled:-} ${killed:-}; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	xl_restore
	if mountpoint -q fuse; then
		umount -l fuse
	fi
	[ -z "${server:-}" ] || kill "$server" 2>/dev/null
	wait
	return 0
}
trap cleanup EXIT
xl_fresh
modprobe loop
# Up to 30 s for what the server does (a Python start under emulation can
# take 5).
wait_long() {
	poll_until 300 test -e "$1"
}
# waits_on_fuse PID: the task sleeps in a FUSE request (up to 30 s).
waits_on_fuse() {
	poll_until 300 grep -q request_wait_answer "/proc/$1/stack" 2>/dev/null
}

truncate -s 8M fuse-img plain other spare
printf 'stalled-backing\n' | dd of=fuse-img conv=notrunc status=none
stall_fuse_start fuse-img
ld=$(losetup -f --show fuse/img) || fail "losetup on the FUSE file"
ld_other=$(losetup -f --show other) || fail "losetup other"
for n in 4 5 6 7; do
	"$XL_PROBE" ctl /dev/xloop-control add $n >/dev/null
	wait_for /dev/xloop$n || fail "no /dev/xloop$n"
done
# The walk of a healthy chain through the FUSE file works.  The two devices
# the stalled binds use are bound once first: a device keeps its workqueue from then on, so later binds
# create no thread (kthread_create() gives up when the caller is killed,
# which would fail a killed bind whatever the walk did).
for n in 4 7; do
	"$XL_PROBE" attach /dev/xloop-control xloop "$ld" ro on=/dev/xloop$n >/dev/null ||
		fail "bind onto $ld before the stall"
	"$XL_PROBE" detach /dev/xloop$n
done

# The server stops answering; the next bind onto $ld waits on it.
touch ctl/stall
"$XL_PROBE" attach /dev/xloop-control xloop "$ld" ro on=/dev/xloop4 >stalled.out 2>&1 &
stalled=$!
wait_long ctl/stalled || fail "the bind onto $ld never reached the FUSE server"
case $(cat ctl/stalled) in
"1 LOOKUP" | "3 GETATTR") ;;
*) fail "the server holds an unexpected request: $(cat ctl/stalled)" ;;
esac

# Everything else goes on.  Each step has 60 s (they take well under one).
within() {
	timeout "$(hang_limit 60)" "$@" || fail "while a bind waits on a hung FUSE server: '$*' failed or hung ($?)"
}
within "$XL_PROBE" attach /dev/xloop-control xloop plain on=/dev/xloop5 >/dev/null
within "$XL_PROBE" attach /dev/xloop-control xloop "$ld_other" ro on=/dev/xloop6 >/dev/null
expect_eq "LOOP_CHANGE_FD during the stall" "change_fd: 0" "$(timeout "$(hang_limit 60)" "$XL_PROBE" changefd /dev/xloop6 spare)"
within dd if=/dev/xloop5 of=/dev/null bs=1M status=none
ld_more=$(within losetup -f --show spare)
within losetup -d "$ld_more"
within "$XL_PROBE" detach /dev/xloop5
within "$XL_PROBE" detach /dev/xloop6
kill -0 "$stalled" 2>/dev/null || fail "the stalled bind ended while the server was hung: $(cat stalled.out)"

# A second bind onto $ld queues behind the held request; SIGKILL ends it.
"$XL_PROBE" attach /dev/xloop-control xloop "$ld" ro on=/dev/xloop7 >killed.out 2>&1 &
killed=$!
waits_on_fuse "$killed" || fail "the second bind did not wait on the server: $(cat killed.out)"
grep -q xloop_check_chain "/proc/$killed/stack" || fail "the second bind waits elsewhere: $(cat "/proc/$killed/stack")"
kill -9 "$killed"
timeout "$(hang_limit 10)" tail --pid="$killed" -f /dev/null || fail "a bind waiting on a hung FUSE server ignores SIGKILL"
wait "$killed" || true
killed=
dev_unbound /dev/xloop7 || fail "the killed bind left /dev/xloop7 bound"

# The server answers again: the first bind completes.
rm ctl/stall
timeout "$(hang_limit 60)" tail --pid="$stalled" -f /dev/null || fail "the stalled bind did not finish after the server came back"
wait "$stalled" || fail "the stalled bind failed: $(cat stalled.out)"
stalled=
expect_eq "the stalled bind's device" /dev/xloop4 "$(cat stalled.out)"
expect_eq "its backing file" "$ld" "$(cat /sys/block/xloop4/loop/backing_file)"
expect_eq "data through xloop -> loop -> FUSE" stalled-backing "$(head -c 15 /dev/xloop4)"
"$XL_PROBE" detach /dev/xloop4
losetup -d "$ld" "$ld_other"
sleep 0.3
umount fuse
wait "$server" || fail "the FUSE server failed"
server=
rmmod loop
no_device_bound xloop
