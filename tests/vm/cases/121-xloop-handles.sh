#!/bin/bash
# Attachments bound to a handle (XLOOP_CTL_ATTACH, include/uapi/linux/xloop.h),
# with the images on ext4 as users keep them:
#  - xloop_handles' checks of the ABI (attach, diskseq, /proc/PID/fd name,
#    fdinfo, a handle's close detaching at once or at the device's last
#    close, EPOLLHUP, EBUSY for a re-bind, SIGKILL of the holder, a handle
#    passed over a unix socket), through /dev/xloop-control, through the
#    drop-in's /dev/loop-control, and from a 32-bit process;
#  - 200 rounds of a handle passed over a socket and closed by the receiver;
#  - xloop attach --handle: holds the device until SIGTERM, SIGINT or
#    SIGKILL, then it goes (at once, or at the unmount of what was mounted
#    meanwhile); exits by itself when someone else detaches it;
#  - xloop run: the command sees the image mounted at $XLOOP_MOUNT, in a
#    mount namespace of its own (not in init's table); what it writes is in
#    the image afterwards; its exit status is xloop's (127: not found); -r;
#    SIGTERM to xloop reaches the command (its trap's status comes back);
#    SIGKILL of xloop kills the command, what it left in the background and
#    a process under other credentials; each time the mount, the device and
#    the mount point are gone when it ends;
#  - xloop mount and xloop run, in turn, killed with SIGKILL at random moments
#    (before, during and after the attach and the mount), by 4 processes at
#    once, XLOOP_KILL_ROUNDS runs in all (default 1000): then no device is
#    bound and no mount is left but those xloop mount completed, which
#    unmount and go.
# rmmod is clean afterwards.
# xt-disk: 256
# xt-timeout: 1200
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
# shellcheck source=../backing-lib.sh
. "$XT_TOP/tests/vm/backing-lib.sh"
cleanup() {
	cd / || return
	pkill -KILL -f 'xloop attach --handle' 2>/dev/null || true
	mount | awk '$3 ~ /^\/tmp\/xt\// && $1 ~ /^\/dev\/x?loop/ { print $3 }' | xargs -r umount -l
	umount -l "$XT_TMP/b" 2>/dev/null || true
	xl_restore
}
trap cleanup EXIT
XLOOP=$XT_XLOOP
HANDLES=$XT_BUILD/xloop_handles
xl_fresh
backing_mount ext4 "$XT_TMP/b"
for w in 0 1 2 3; do
	truncate -s 16M "b/h$w.img"
	mkfs.minix -3 "b/h$w.img" >/dev/null || fail "mkfs.minix"
	mkdir -p "m$w"
done
img=$XT_TMP/b/h0.img
# gone DEV: wait up to 10 s for DEV to be detached.
gone() { poll_until 100 dev_unbound "$1"; }
# exited PID: the process is gone.
exited() { ! kill -0 "$1" 2>/dev/null; }
# running PATTERN...: a process runs whose command line matches each.
running() {
	local p
	for p; do pgrep -f "$p" >/dev/null || return 1; done
}
stopped() { ! pgrep -f "$1" >/dev/null; }

echo "== the ABI, native"
"$HANDLES" /dev/xloop-control xloop "$img" || fail "xloop_handles (native)"
[ -x "$XT_BUILD/xloop_handles32" ] || fail "xloop_handles32 not built (gcc-multilib missing?)"
"$XT_BUILD/xloop_handles32" /dev/xloop-control xloop "$img" ||
	fail "xloop_handles32 (compat ioctl)"
"$HANDLES" pass /dev/xloop-control xloop "$img" 200 || fail "passing handles"
no_device_bound xloop

echo "== xloop attach --handle"
# held DEV_FILE: start attach --handle in the background (pid in $held_pid),
# wait for it to print the device.
held() {
	rm -f "$1"
	"$XLOOP" attach --handle "$img" >"$1" 2>"$1.err" &
	held_pid=$!
	poll_until 100 test -s "$1" || true
	dev=$(cat "$1")
	[ -n "$dev" ] || fail "attach --handle printed no device: $(cat "$1.err")"
	dev_bound "$dev" || fail "$dev not bound while held"
}
held out
expect_eq "autoclear while held" 0 "$(cat "/sys/block/${dev#/dev/}/loop/autoclear")"
kill -TERM "$held_pid"
rc=0
wait "$held_pid" || rc=$?
expect_eq "exit status after SIGTERM" 0 "$rc"
! dev_bound "$dev" || fail "$dev still bound after its holder's SIGTERM"

held out
mount -t xminix "$dev" m0 || fail "mount the held device"
kill -INT "$held_pid"
wait "$held_pid" || fail "attach --handle: exit status after SIGINT"
dev_bound "$dev" || fail "$dev detached while mounted"
expect_eq "autoclear once the holder is gone" 1 \
	"$(cat "/sys/block/${dev#/dev/}/loop/autoclear")"
umount m0 || fail "umount"
gone "$dev" || fail "$dev still bound after the unmount"

held out
"$XLOOP" detach "$dev" || fail "xloop detach of a held device"
poll_until 100 exited "$held_pid" || fail "attach --handle still running after its device went"
wait "$held_pid" || fail "attach --handle: exit status after the detach"

held out
kill -KILL "$held_pid"
wait "$held_pid" 2>/dev/null || true
! dev_bound "$dev" || fail "$dev still bound after its holder's SIGKILL"

# The stock driver has no handles: a clear error, nothing bound.
stock_loop_load
rc=0
"$XLOOP" attach --driver loop --handle "$img" >out 2>err || rc=$?
expect_eq "attach --handle with loop.ko: exit status" 1 "$rc"
grep -q 'XLOOP_CTL_ATTACH.*no handles' err || fail "no clear error: $(cat err)"
no_device_bound loop
stock_loop_unload

echo "== xloop run"
# after_run: the device xloop run used is gone, and no mount of it is left.
after_run() {
	local d
	for d in /sys/block/xloop*; do
		gone "/dev/${d##*/}" || fail "${d##*/} still bound after xloop run ($1)"
	done
	! grep -q '/dev/xloop' /proc/*/mountinfo 2>/dev/null || fail "an xloop mount is left ($1)"
}
# The command's own words, expanded by its shell, not this one:
# shellcheck disable=SC2016
"$XLOOP" run "$img" -- sh -c 'echo ran >"$XLOOP_MOUNT/r"
	findmnt -n -o FSTYPE --mountpoint "$XLOOP_MOUNT" >"'"$XT_TMP"'/type"; sleep 2' &
run_pid=$!
poll_until 100 test -s type || true
expect_eq "xloop run: the type mounted" xminix "$(cat type)"
! grep -q /run/xloop-run /proc/1/mountinfo || fail "xloop run's mount is in init's table"
wait "$run_pid" || fail "xloop run"
after_run "a command that ended"
expect_eq "what the command wrote" ran "$("$XLOOP" cat "$img" /r)"
rc=0
"$XLOOP" run "$img" -- sh -c 'exit 7' || rc=$?
expect_eq "xloop run: the command's exit status" 7 "$rc"
rc=0
"$XLOOP" run "$img" -- /no/such/command 2>err || rc=$?
expect_eq "xloop run: a command not found" 127 "$rc"
rc=0
# shellcheck disable=SC2016
"$XLOOP" run -r "$img" -- sh -c 'touch "$XLOOP_MOUNT/w"' 2>err || rc=$?
expect_eq "xloop run -r: the write fails" 1 "$rc"
after_run "-r"
# SIGTERM to xloop reaches the command, whose own handler decides the status.
"$XLOOP" run "$img" -- sh -c 'trap "exit 42" TERM; sleep 61 & wait' &
run_pid=$!
poll_until 100 running '^sleep 61$' || true
kill -TERM "$run_pid"
rc=0
wait "$run_pid" || rc=$?
expect_eq "xloop run after SIGTERM: the command's own status" 42 "$rc"
! pgrep -f '^sleep 61$' >/dev/null || fail "the command's background child outlived xloop run"
after_run "SIGTERM"
# SIGKILL of xloop: the command, what it left in the background, and a
# process under other credentials (no parent-death signal there) all go.
"$XLOOP" run "$img" -- sh -c 'sleep 62 & setpriv --reuid=65534 --regid=65534 --clear-groups \
	sleep 63 & exec sleep 64' &
run_pid=$!
poll_until 100 running '^sleep 64$' '^sleep 63$' || true
pgrep -f '^sleep 63$' >/dev/null || fail "no command running under xloop run"
kill -KILL "$run_pid"
wait "$run_pid" 2>/dev/null || true
poll_until 50 stopped '^sleep 6[234]$' || fail "processes outlived xloop run's SIGKILL: $(pgrep -af '^sleep 6[234]$')"
after_run "SIGKILL"
[ -z "$(ls -A /run/xloop-run)" ] || fail "xloop run left $(ls /run/xloop-run) in /run/xloop-run"

echo "== the ABI, drop-in"
xl_dropin_load
"$HANDLES" /dev/loop-control loop "$img" || fail "xloop_handles (drop-in)"
xl_fresh

echo "== xloop mount and xloop run killed at random moments"
# How long a mount takes here with four at once, to spread the kills over
# it.
start=$(date +%s%N)
for w in 0 1 2 3; do "$XLOOP" mount "b/h$w.img" "m$w" & done
wait || true
mount_ms=$((($(date +%s%N) - start) / 1000000))
for w in 0 1 2 3; do umount "m$w" || fail "xloop mount (calibration) of h$w.img"; done
for d in /sys/block/xloop*; do
	gone "/dev/${d##*/}" || fail "${d##*/} still bound after xloop mount's unmount"
done
rounds=${XLOOP_KILL_ROUNDS:-1000}
echo "four mounts take ${mount_ms} ms; $rounds runs, killed within $((mount_ms * 3 / 2)) ms"
worker() {
	local w=$1 ms mounted=0 i t
	RANDOM=$((w * 7919 + 17))
	for i in $(seq $((rounds / 4))); do
		# At least 1 ms: timeout 0 would mean none.
		ms=$((RANDOM % (mount_ms * 3 / 2) + 1))
		t=$((ms / 1000)).$(printf %03d $((ms % 1000)))
		if [ $((i % 2)) = 0 ]; then
			timeout --foreground -s KILL "$t" "$XLOOP" run "b/h$w.img" -- sleep 0.1 \
				>/dev/null 2>&1 || true
			continue
		fi
		timeout --foreground -s KILL "$t" "$XLOOP" mount "b/h$w.img" "m$w" >/dev/null 2>&1 || true
		if mountpoint -q "m$w"; then
			mounted=$((mounted + 1))
			umount "m$w" || {
				echo "worker $w: umount failed"
				return 1
			}
		fi
	done
	echo "worker $w: $mounted of $((rounds / 8)) xloop mounts done before the kill"
}
pids=()
for w in 0 1 2 3; do
	worker "$w" >"worker$w.log" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a worker failed"; done
cat worker*.log
for d in /sys/block/xloop*; do
	gone "/dev/${d##*/}" || fail "${d##*/} still bound after the kills"
done
! grep -q '/dev/xloop' /proc/*/mountinfo 2>/dev/null || fail "mounts left: $(grep -h /dev/xloop /proc/*/mountinfo)"
[ -z "$(ls -A /run/xloop-run)" ] || fail "the killed runs left mount points in /run/xloop-run"
for w in 0 1 2 3; do
	fsck.minix -f "b/h$w.img" >fsck.log 2>&1 || {
		cat fsck.log
		fail "h$w.img not clean after the killed mounts"
	}
done
xl_unload
insmod "$XL_KO" || fail "insmod xloop"
