#!/bin/bash
# Reads the page cache holds are done by the queue's worker itself, not handed
# to a worker of their own, on a file that takes no IOCB_NOWAIT reads (tmpfs),
# also after drop_caches.  drop_caches cannot drop tmpfs pages, but it sets
# PG_reclaim on every one of them, and PG_reclaim is the readahead mark's
# bit: taken for a mark, it sent the image's reads to workers of their own.
# Counted with the workqueue's tracepoint: the executions of
# xloop_cmd_workfn, the request's own worker, while fio reads 16 at a time
# (submitted together and reaped together, so the queue's worker finds them
# queued together whatever the scheduler does).  The control: reads of a
# sparse image's holes, which the page cache does not hold, are handed on,
# all but the last of each batch (the count can tell).
# One vCPU: enabling a tracepoint patches kernel text, which under TCG can
# oops a second vCPU running it (see tests/vm/run.sh, tsc=reliable).
# xt-smp: 1
. "$XT_LIB"
# shellcheck source=../kmod-lib.sh
. "$XT_TOP/tests/vm/kmod-lib.sh"
trace=/sys/kernel/tracing
event=$trace/events/workqueue/workqueue_execute_start/enable
reads=4096
cleanup() {
	set +e
	echo 0 >"$event"
	xl_restore
	if mountpoint -q back; then umount -l back; fi
	return 0
}
trap cleanup EXIT
xl_fresh
mountpoint -q "$trace" || mount -t tracefs nodev "$trace" || fail "mount tracefs"
mkdir back
mount -t tmpfs -o size=160M tmpfs back || fail "mount tmpfs"
# Written, not sparse: every page is in the page cache.
dd if=/dev/zero of=back/img bs=1M count=64 status=none || fail "write back/img"
truncate -s 64M back/sparse || fail "make back/sparse"

# handed_off DEV: how many of $reads random 4 KiB reads of DEV, 16 at a time,
# went to a worker of their own.
handed_off() {
	: >"$trace/trace"
	echo 1 >"$event"
	fio --name=cached --filename="$1" --rw=randread --bs=4k --iodepth=16 \
		--iodepth_batch_submit=16 --iodepth_batch_complete_min=16 \
		--direct=1 --ioengine=libaio --io_size=$((reads * 4))k \
		--output=/dev/null || fail "fio randread on $1"
	echo 0 >"$event"
	grep -c -w 'function xloop_cmd_workfn' "$trace/trace" || true
}

dev=$("$XL_PROBE" attach /dev/xloop-control xloop back/img) || fail "attach back/img"
sparse=$("$XL_PROBE" attach /dev/xloop-control xloop back/sparse) || fail "attach back/sparse"
holes=$(handed_off "$sparse")
warm=$(handed_off "$dev")
drop_caches
dropped=$(handed_off "$dev")
echo "reads handed on, of $reads: holes $holes, cached $warm, cached after drop_caches $dropped"
[ "$holes" -ge $((reads / 2)) ] ||
	fail "only $holes of $reads reads of holes were handed on: the count cannot tell"
# None should be (none waits for anything); at most 1%.
most=$((reads / 100))
[ "$warm" -le "$most" ] || fail "$warm of $reads cached reads were handed on"
[ "$dropped" -le "$most" ] ||
	fail "$dropped of $reads cached reads were handed on after drop_caches"
"$XL_PROBE" detach "$dev" || fail "detach $dev"
"$XL_PROBE" detach "$sparse" || fail "detach $sparse"
