#!/bin/bash
# A forced remount read-only (sysrq-u) in the middle of writes, round after
# round: writers append 1 KiB records (a new zone each, with 1 KiB blocks)
# to files they create as they go, and note each record write(2) said was
# done; a directory load renames and removes beside them.  After the
# remount no write may succeed, every record that was said to be written
# must be in the image after an unmount and a mount (a write in flight
# during the remount either ends before its sync or fails), and both fsck
# tools pass the image.  XT_FORCED_ROUNDS rounds (default 6), each cut at
# a random moment.
# xt-disk: 256
# xt-timeout: 600
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
rounds=${XT_FORCED_ROUNDS:-6}
writers=4

grep -qw xminix /proc/filesystems || fail "xminix is not registered"
mkdir -p upper acks

# writer ID: records "ID FILE SEQ" padded to 1 KiB, 32 to a file; each one
# write(2) returned in full for goes to acks/ID as "FILE SEQ".  Ends at the
# first failed write.
cat >writer.py <<'PY'
import os, sys
wid, top, ack = sys.argv[1], sys.argv[2], sys.argv[3]
log = open(ack, "w", buffering=1)
def stop(how):
    open(ack + ".end", "w").write(how + "\n")
    sys.exit(0)
n = 0
while True:
    name = "%s/w%s-%d" % (top, wid, n)
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as e:
        stop("create: " + os.strerror(e.errno))
    for seq in range(32):
        rec = ("%s %d %d" % (wid, n, seq)).encode().ljust(1024, b".")
        try:
            if os.write(fd, rec) != len(rec):
                stop("short write")
        except OSError as e:
            stop("write: " + os.strerror(e.errno))
        log.write("%d %d\n" % (n, seq))
    os.close(fd)
    n += 1
PY

# check_acks ID: every record acks/ID names is in the file system, whole.
check_acks() {
	python3 - "$1" upper "acks/$1" <<'PY'
import sys
wid, top, ack = sys.argv[1:4]
last = {}
for line in open(ack):
    f, s = map(int, line.split())
    last[f] = s
for f, s in sorted(last.items()):
    name = "%s/w%s-%d" % (top, wid, f)
    try:
        data = open(name, "rb").read()
    except OSError as e:
        sys.exit("%s: written records lost: %s" % (name, e))
    for seq in range(s + 1):
        want = ("%s %d %d" % (wid, f, seq)).encode().ljust(1024, b".")
        if data[seq * 1024:(seq + 1) * 1024] != want:
            sys.exit("%s: record %d of %d said written, not in the image"
                     % (name, seq, s + 1))
print("writer %s: %d records in %d files, all there"
      % (wid, sum(s + 1 for s in last.values()), len(last)))
PY
}

for round in $(seq "$rounds"); do
	mkfs.minix -3 "$XT_DISK" >/dev/null || fail "mkfs.minix"
	mount -t xminix "$XT_DISK" upper || fail "round $round: mount"
	mkdir upper/d
	pids=()
	for w in $(seq "$writers"); do
		python3 writer.py "$w" upper "acks/$w" &
		pids+=($!)
	done
	(cd upper/d && exec timeout -k 5 "$(hang_limit 30)" stress-ng --temp-path . --dir 1 \
		--dir-dirs 32 --rename 1 --timeout 20s --quiet) >/dev/null 2>&1 &
	load=$!
	# Once every writer is writing, at a random moment.
	for w in $(seq "$writers"); do
		poll_until 300 test -s "acks/$w" || true
	done
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	sysrq_remount_ro upper || fail "round $round: not read-only after sysrq-u"
	# Writers stop at their first failed write: all of them must.
	for pid in "${pids[@]}"; do
		timeout "$(hang_limit 60)" tail --pid="$pid" -f /dev/null ||
			fail "round $round: a writer still writes after the forced remount"
	done
	kill "$load" 2>/dev/null || true
	wait "$load" || true
	umount upper || fail "round $round: umount"
	fsck.minix -f "$XT_DISK" >fsck.out 2>&1 ||
		{ cat fsck.out; fail "round $round: fsck.minix after the forced remount"; }
	"$XT_XLOOP" fsck -f "$XT_DISK" >fsck.out 2>&1 ||
		{ cat fsck.out; fail "round $round: xloop fsck after the forced remount"; }
	mount -t xminix -o ro "$XT_DISK" upper || fail "round $round: mount again"
	for w in $(seq "$writers"); do
		check_acks "$w" || fail "round $round: writer $w lost written records"
		how=$(cat "acks/$w.end" 2>/dev/null || true)
		echo "writer $w stopped at: $how"
		# Not a full disk, say: the remount must be what stopped it.
		[[ $how == *"Read-only file system" ]] ||
			fail "round $round: writer $w stopped at: $how"
		rm -f "acks/$w.end"
	done
	umount upper
	echo "round $round: clean, nothing written lost"
done
