// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: the request path.
 *
 * Design, for speed: loop.ko hands every request to a per-cgroup worker that
 * serialises them.  xloop instead (details at xloop_issue_rw()):
 *   - runs the device's only request right in ->queue_rq() or
 *     ->queue_rqs(), in the submitter's context, and lets it block (queue
 *     depth 1: a worker could only add a context switch), when the context
 *     allows it (not in reclaim, enough stack left) -- but not a buffered
 *     read from a submitter that has shown it could send more;
 *   - at depth, tries reads and writes with IOCB_NOWAIT first (buffered
 *     I/O in the submitter's context, direct reads from one dispatch
 *     worker, which also issues direct writes and shares the copying of
 *     big cached reads), each call's or batch's backing I/O under one
 *     plug; what would block goes to a work item of its own, so requests
 *     of one device wait for the disk in parallel (queue depth is real
 *     concurrency) -- except buffered writes to a file that takes no
 *     IOCB_NOWAIT writes (ext4): one writer work item writes those in turn;
 *   - in direct-I/O mode submits async kiocbs, completed from ->ki_complete;
 *   - ends each request in the context that finished its backing I/O (a
 *     task, or the backing disk's completion interrupt), rather than
 *     through blk_mq_complete_request(): from a task that raises
 *     BLOCK_SOFTIRQ and wakes ksoftirqd (two more context switches), from
 *     an interrupt it costs a second softirq round or an IPI to the
 *     submitting CPU, per request.
 * FLUSH, DISCARD and WRITE_ZEROES always run in a work item.
 *
 * Each device has a workqueue of its own, as in loop.ko: the workers of a
 * device stacked on another wait for the lower device's requests, and under
 * one shared max_active limit enough waiting upper workers would leave the
 * lower device none (a deadlock).
 */
#include <linux/blk-mq.h>
#include <linux/falloc.h>
#include <linux/resource.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>

#include "xloop.h"

/*
 * Stack an inline read/write must leave free when it starts: the backing
 * file system's path down to its disk's driver, with allocations, runs on it.
 */
#define XLOOP_INLINE_STACK (8 * 1024)

/*
 * At depth, the largest buffered read that may fill the page cache in the
 * submitter's context: doing it for a larger one (allocating, zeroing,
 * reading) is work better spread over workers on every CPU, while the
 * submitter moves on.  Larger reads still take what is cached at once.
 */
#define XLOOP_INLINE_BYTES (64 * 1024)

/*
 * One in this many lone buffered reads and writes tests for an asynchronous
 * submitter, and at most one in this many milliseconds: a probe costs the
 * submitter a hand-off to a worker, and for 4 KiB writes at queue depth 1,
 * which take the page cache's time only, one in 64 cost 10% of their rate
 * (6.12); limited to one in 30 ms, nothing measurable.
 */
#define XLOOP_PROBE 64
#define XLOOP_PROBE_GAP_MS 30

/*
 * Big buffered reads at depth the dispatch worker may hold at a time: it
 * copies them from the page cache on another CPU while the submitter copies
 * the next ones itself.  Two, so it has the next at hand as one ends (one:
 * 1.5x loop.ko for cached 1 MiB reads 16 deep on 6.12, two: 1.9x; four: no
 * better than two).
 */
#define XLOOP_SHARED_READS 2

/* Zero pages written per call when the backing file cannot zero a range. */
#define XLOOP_ZERO_BATCH 16

/* End the request, in any context (see the top of this file). */
static void xloop_finish(struct xloop_cmd *cmd, blk_status_t status)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct xloop_device *lo = rq->q->queuedata;

	kfree(cmd->bvec);
	cmd->bvec = NULL;
	/* Keep what was transferred before a failure. */
	if (status != BLK_STS_OK && cmd->done)
		blk_update_request(rq, BLK_STS_OK, cmd->done);
	atomic_dec(&lo->inflight);
	blk_mq_end_request(rq, status);
}

static void xloop_build_iter(struct xloop_cmd *cmd, struct iov_iter *iter,
			     unsigned int dir)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);

	iov_iter_bvec(iter, dir, cmd->iter_bvec, cmd->nr_bvec, blk_rq_bytes(rq));
	/* A split bio may start in the middle of its first bvec. */
	iter->iov_offset = cmd->iter_offset;
	iov_iter_advance(iter, cmd->done);
}

/* Point the command at the request's data, copying bvecs of multi-bio requests. */
static int xloop_map_data(struct xloop_cmd *cmd)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct req_iterator it;
	struct bio_vec bv, *p;
	unsigned int nr = 0;

	rq_for_each_bvec(bv, rq, it)
		nr++;
	cmd->nr_bvec = nr;
	if (rq->bio == rq->biotail) {
		cmd->iter_bvec = __bvec_iter_bvec(rq->bio->bi_io_vec,
						  rq->bio->bi_iter);
		cmd->iter_offset = rq->bio->bi_iter.bi_bvec_done;
		return 0;
	}
	p = kmalloc_array(nr, sizeof(*p), GFP_NOIO);
	if (!p)
		return -ENOMEM;
	cmd->bvec = p;
	cmd->iter_bvec = p;
	cmd->iter_offset = 0;
	nr = 0;
	rq_for_each_bvec(bv, rq, it)
		p[nr++] = bv;
	return 0;
}

/* Zero the part of a read that the backing file could not provide. */
static void xloop_zero_rest(struct xloop_cmd *cmd)
{
	struct iov_iter iter;

	xloop_build_iter(cmd, &iter, ITER_DEST);
	iov_iter_zero(iov_iter_count(&iter), &iter);
}

static blk_status_t xloop_errno_status(long err)
{
	switch (err) {
	case -EOPNOTSUPP:
		return BLK_STS_NOTSUPP;
	case -ENOSPC:
		return BLK_STS_NOSPC;
	default:
		return BLK_STS_IOERR;
	}
}

/* One read/write attempt has ended with @cmd->ret; decide what follows. */
static void xloop_rw_done(struct xloop_cmd *cmd)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct xloop_device *lo = rq->q->queuedata;
	bool write = req_op(rq) == REQ_OP_WRITE;
	long ret = cmd->ret;

	if (write)
		kiocb_end_write(&cmd->iocb);
	if (ret > 0)
		cmd->done += ret;
	if (cmd->done == blk_rq_bytes(rq)) {
		xloop_finish(cmd, BLK_STS_OK);
		return;
	}
	/*
	 * A NOWAIT attempt that would block, could not be done that way or
	 * fell short is finished by a worker, which may block.  So is one in
	 * the submitter's context that did not finish (a signal for the
	 * submitter must not fail a request), and a short blocking transfer
	 * that made progress: retry the rest.
	 */
	if (cmd->nowait && write && ret == -EOPNOTSUPP)
		WRITE_ONCE(lo->nowait_write_fails, true);
	if (cmd->nowait || cmd->in_caller || ret > 0) {
		cmd->nowait = false;
		cmd->noio = false;
		cmd->in_caller = false;
		queue_work(lo->wq, &cmd->work);
		return;
	}
	if (ret < 0) {
		xloop_finish(cmd, xloop_errno_status(ret));
		return;
	}
	/* Nothing more to read (the file shrank): zeroes, and an I/O error. */
	if (!write)
		xloop_zero_rest(cmd);
	xloop_finish(cmd, BLK_STS_IOERR);
}

static void xloop_rw_put(struct xloop_cmd *cmd)
{
	if (atomic_dec_and_test(&cmd->ref))
		xloop_rw_done(cmd);
}

static void xloop_aio_complete(struct kiocb *iocb, long ret)
{
	struct xloop_cmd *cmd = container_of(iocb, struct xloop_cmd, iocb);

	cmd->ret = ret;
	xloop_rw_put(cmd);
}

/*
 * Start one read/write attempt for what is left of the request, as
 * @cmd->nowait and @cmd->in_caller say.
 */
static void xloop_rw(struct xloop_device *lo, struct xloop_cmd *cmd)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	bool write = req_op(rq) == REQ_OP_WRITE;
	struct file *file = lo->backing;
	struct iov_iter iter;
	ssize_t ret;

	if (!cmd->iter_bvec && xloop_map_data(cmd)) {
		xloop_finish(cmd, BLK_STS_RESOURCE);
		return;
	}
	xloop_build_iter(cmd, &iter, write ? ITER_SOURCE : ITER_DEST);

	memset(&cmd->iocb, 0, sizeof(cmd->iocb));
	cmd->iocb.ki_filp = file;
	cmd->iocb.ki_pos = ((loff_t)blk_rq_pos(rq) << SECTOR_SHIFT) +
			   lo->offset + cmd->done;
	cmd->iocb.ki_ioprio = req_get_ioprio(rq);
	if (lo->use_dio) {
		cmd->iocb.ki_flags = IOCB_DIRECT;
		cmd->iocb.ki_complete = xloop_aio_complete;
	}
	if (cmd->nowait)
		cmd->iocb.ki_flags |= IOCB_NOWAIT;
	if (cmd->noio)
		cmd->iocb.ki_flags |= IOCB_NOIO;
	/* One reference for this submitter, one for the completion. */
	atomic_set(&cmd->ref, 2);
	if (write) {
		kiocb_start_write(&cmd->iocb);
		ret = file->f_op->write_iter(&cmd->iocb, &iter);
	} else {
		ret = file->f_op->read_iter(&cmd->iocb, &iter);
	}
	if (ret != -EIOCBQUEUED)
		xloop_aio_complete(&cmd->iocb, ret);
	xloop_rw_put(cmd);
}

static blk_status_t xloop_flush(struct xloop_device *lo)
{
	return vfs_fsync(lo->backing, 0) ? BLK_STS_IOERR : BLK_STS_OK;
}

/* Write zeroes through the file when it cannot zero a range itself. */
static int xloop_write_zero_pages(struct xloop_device *lo, loff_t pos, u64 len)
{
	struct file *file = lo->backing;
	struct bio_vec bv[XLOOP_ZERO_BATCH];
	struct iov_iter iter;
	struct kiocb iocb;
	size_t chunk;
	ssize_t ret;
	int i;

	for (i = 0; i < XLOOP_ZERO_BATCH; i++) {
		bv[i].bv_page = ZERO_PAGE(0);
		bv[i].bv_len = PAGE_SIZE;
		bv[i].bv_offset = 0;
	}
	while (len) {
		chunk = min_t(u64, len, XLOOP_ZERO_BATCH * PAGE_SIZE);
		iov_iter_bvec(&iter, ITER_SOURCE, bv,
			      DIV_ROUND_UP(chunk, PAGE_SIZE), chunk);
		/*
		 * Our own kiocb, as for writes: at @pos even if the file was
		 * opened O_APPEND, and direct only when the device is.  Not
		 * vfs_iter_write(), which takes the freeze protection itself
		 * on 6.12 and honours O_APPEND.
		 */
		init_sync_kiocb(&iocb, file);
		iocb.ki_pos = pos;
		iocb.ki_flags = lo->use_dio ? IOCB_DIRECT : 0;
		file_start_write(file);
		ret = file->f_op->write_iter(&iocb, &iter);
		file_end_write(file);
		if (ret <= 0)
			return ret ? ret : -EIO;
		pos += ret;
		len -= ret;
	}
	return 0;
}

static blk_status_t xloop_fallocate(struct xloop_device *lo,
				    struct request *rq, loff_t pos)
{
	struct file *file = lo->backing;
	u64 len = blk_rq_bytes(rq);
	bool zeroes = req_op(rq) == REQ_OP_WRITE_ZEROES;
	int mode = FALLOC_FL_PUNCH_HOLE;
	int ret = -EOPNOTSUPP;

	/* Zeroing that must keep the blocks allocated: ZERO_RANGE. */
	if (zeroes && (rq->cmd_flags & REQ_NOUNMAP))
		mode = FALLOC_FL_ZERO_RANGE;
	/* vfs_fallocate(): no change to a frozen, append-only or swap file. */
	if (file->f_op->fallocate)
		ret = vfs_fallocate(file, mode | FALLOC_FL_KEEP_SIZE, pos, len);
	/* Zeroes are owed even where the file system cannot punch or zero. */
	if (zeroes && (ret == -EOPNOTSUPP || ret == -EINVAL))
		ret = xloop_write_zero_pages(lo, pos, len);
	if (!ret)
		return BLK_STS_OK;
	return ret == -EOPNOTSUPP ? BLK_STS_NOTSUPP : BLK_STS_IOERR;
}

/* What a task saves while it does backing-file I/O as a worker does. */
struct xloop_io_ctx {
	unsigned int noio;
	unsigned int throttle;
};

/*
 * Backing-file I/O as a worker does it: allocations must not recurse into
 * block I/O, and dirty pages of the backing file throttle us only against
 * its own device.
 */
static void xloop_io_enter(struct xloop_io_ctx *ctx)
{
	ctx->noio = memalloc_noio_save();
	ctx->throttle = current->flags & PF_LOCAL_THROTTLE;
	current->flags |= PF_LOCAL_THROTTLE;
}

static void xloop_io_leave(const struct xloop_io_ctx *ctx)
{
	current->flags = (current->flags & ~PF_LOCAL_THROTTLE) | ctx->throttle;
	memalloc_noio_restore(ctx->noio);
}

static void xloop_workfn(struct work_struct *work)
{
	struct xloop_cmd *cmd = container_of(work, struct xloop_cmd, work);
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct xloop_device *lo = rq->q->queuedata;
	loff_t pos = ((loff_t)blk_rq_pos(rq) << SECTOR_SHIFT) + lo->offset;
	struct xloop_io_ctx ctx;

	xloop_io_enter(&ctx);
	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		xloop_rw(lo, cmd);
		break;
	case REQ_OP_FLUSH:
		xloop_finish(cmd, xloop_flush(lo));
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		xloop_finish(cmd, xloop_fallocate(lo, rq, pos));
		break;
	default:
		xloop_finish(cmd, BLK_STS_NOTSUPP);
		break;
	}
	xloop_io_leave(&ctx);
}

/*
 * Is there room on this task's stack for the backing file's whole I/O path
 * under ours?  It runs nested (see xloop_caller_enter()), so stacked devices
 * go inline only as deep as the stack allows and use workers below that.
 */
static bool xloop_stack_room(void)
{
	unsigned long here = (unsigned long)&here;

	if (!object_is_on_stack(&here))
		return false;
	return here - (unsigned long)task_stack_page(current) >
	       XLOOP_INLINE_STACK;
}

/*
 * May this read/write run right here, in the submitter's context?  Not in
 * reclaim, not without stack to spare, not for a task being killed, and not
 * for a write that a file-size limit of the caller could cut short.
 */
static bool xloop_caller_ok(struct request *rq)
{
	if ((current->flags & PF_MEMALLOC) || !xloop_stack_room())
		return false;
	if (fatal_signal_pending(current))
		return false;
	return req_op(rq) == REQ_OP_READ || rlimit(RLIMIT_FSIZE) == RLIM_INFINITY;
}

/* May this read/write be tried with IOCB_NOWAIT? */
static bool xloop_nowait_ok(struct xloop_device *lo, struct request *rq)
{
	if (!(lo->backing->f_mode & FMODE_NOWAIT))
		return false;
	return req_op(rq) == REQ_OP_READ || !READ_ONCE(lo->nowait_write_fails);
}

/*
 * The submitter's context, set up for backing-file I/O while one call of
 * ->queue_rq() or ->queue_rqs() runs reads and writes in it.
 */
struct xloop_caller {
	bool entered;
	bool plugged;
	struct bio_list *outer_bios;
	struct blk_plug *outer_plug;
	struct blk_plug plug;
	struct xloop_io_ctx ctx;
};

static void xloop_caller_enter(struct xloop_caller *c)
{
	if (c->entered)
		return;
	c->entered = true;
	/*
	 * When a bio is being submitted further up, the bios the backing file
	 * system submits would be queued behind it until we return, and
	 * anything that waits for one (a metadata read) would wait forever:
	 * submit them at once instead, nested, as a stacking driver's worker
	 * would.  xloop_stack_room() has made sure that fits.
	 *
	 * We are usually called while the caller's plug is being flushed:
	 * keep the backing file's bios out of the list being flushed
	 * (xloop_caller_plug() says where they go).
	 *
	 * The rest as in a worker (xloop_io_enter()).
	 */
	c->outer_bios = current->bio_list;
	c->outer_plug = current->plug;
	xloop_plug_forget_time();
	current->bio_list = NULL;
	current->plug = NULL;
	xloop_io_enter(&c->ctx);
}

/*
 * Before an attempt in the submitter's context: @nowait attempts, which do
 * not sleep, collect their backing I/O in our plug, sent as one batch when
 * the call ends.  One that may sleep runs unplugged: a plug flushed by
 * schedule() hands its requests to kblockd (another context switch before
 * the read it waits for even starts), while without one the backing file
 * system's own plug sends them before it waits.
 */
static void xloop_caller_plug(struct xloop_caller *c, bool nowait)
{
	xloop_caller_enter(c);
	if (nowait && !c->plugged)
		blk_start_plug(&c->plug);
	else if (!nowait && c->plugged)
		blk_finish_plug(&c->plug);
	c->plugged = nowait;
}

static void xloop_caller_leave(struct xloop_caller *c)
{
	if (!c->entered)
		return;
	xloop_io_leave(&c->ctx);
	if (c->plugged)
		blk_finish_plug(&c->plug);
	current->plug = c->outer_plug;
	current->bio_list = c->outer_bios;
}

/* Has the device had more than one request in flight in the last second? */
static bool xloop_depth_seen(struct xloop_device *lo)
{
	return time_before(jiffies, READ_ONCE(lo->depth_seen) + HZ);
}

/* Queue @cmd for the dispatch worker. */
static void xloop_dispatch(struct xloop_device *lo, struct xloop_cmd *cmd)
{
	if (llist_add(&cmd->node, &lo->pending))
		queue_work(lo->wq, &lo->dispatch_work);
}

/* Run @cmd right here, in the submitter's context, as @cmd->nowait says. */
static void xloop_run_here(struct xloop_device *lo, struct xloop_cmd *cmd,
			   struct xloop_caller *c)
{
	xloop_caller_plug(c, cmd->nowait);
	cmd->in_caller = true;
	xloop_rw(lo, cmd);
}

/*
 * Submit the reads and writes collected on @lo->pending, each batch under
 * one plug, until no more come.  Reads with IOCB_NOWAIT: one that would wait
 * (for a writer's lock, for cached pages to be written back) goes to a worker
 * of its own instead of holding up the batch.  Writes without: what a direct
 * write waits for is mostly the file's timestamp update, due at every clock
 * tick, which costs less done right here than a hand-off to another worker.
 */
static void xloop_dispatch_workfn(struct work_struct *work)
{
	struct xloop_device *lo = container_of(work, struct xloop_device,
					       dispatch_work);
	struct llist_node *list;
	struct xloop_cmd *cmd, *next;
	struct xloop_io_ctx ctx;
	struct blk_plug plug;

	xloop_io_enter(&ctx);
	while ((list = llist_del_all(&lo->pending))) {
		blk_start_plug(&plug);
		/* _safe: a request may end, and come back, once submitted. */
		llist_for_each_entry_safe(cmd, next, llist_reverse_order(list),
					  node) {
			bool shared = cmd->shared;

			cmd->nowait = req_op(blk_mq_rq_from_pdu(cmd)) ==
				      REQ_OP_READ;
			cmd->in_caller = false;
			xloop_rw(lo, cmd);
			if (shared)
				atomic_dec(&lo->shared_reads);
		}
		blk_finish_plug(&plug);
	}
	xloop_io_leave(&ctx);
}

/*
 * Write the buffered writes collected on @lo->writes, in turn, until no more
 * come.  Blocking: the file system takes no IOCB_NOWAIT writes, and lets one
 * writer at a time in anyway.  One task taking them in turn keeps the
 * submitter free to queue the next while this one copies (a pipeline over
 * two CPUs, as loop.ko's worker makes), where a work item per request would
 * only queue on the file's lock.  Written in the submitter's context, 1 MiB
 * writes sent 16 deep went one at a time (0.80-0.95x loop.ko on 6.12; this
 * way 0.98-1.12x).
 */
static void xloop_write_workfn(struct work_struct *work)
{
	struct xloop_device *lo = container_of(work, struct xloop_device,
					       write_work);
	struct llist_node *list;
	struct xloop_cmd *cmd, *next;
	struct xloop_io_ctx ctx;

	xloop_io_enter(&ctx);
	while ((list = llist_del_all(&lo->writes))) {
		/* _safe: a request may end, and come back, once written. */
		llist_for_each_entry_safe(cmd, next, llist_reverse_order(list),
					  node) {
			cmd->nowait = false;
			cmd->in_caller = false;
			xloop_rw(lo, cmd);
		}
	}
	xloop_io_leave(&ctx);
}

/* Queue @cmd, a buffered write, for the writer work item. */
static void xloop_queue_write(struct xloop_device *lo, struct xloop_cmd *cmd)
{
	if (llist_add(&cmd->node, &lo->writes))
		queue_work(lo->wq, &lo->write_work);
}

/*
 * Is this lone request of a submitter that has not had two in flight in the
 * last second the one in XLOOP_PROBE that must not block?  Run here, it would
 * hold an asynchronous submitter (aio, io_uring, a file system's readahead)
 * to one request at a time, even one served from the page cache: only a
 * request that returns at once lets it show it has more.
 */
static bool xloop_probe_due(struct xloop_device *lo)
{
	unsigned long now = jiffies;

	/* Unlocked: a lost update only moves the next probe. */
	if (data_race(++lo->probe) < XLOOP_PROBE ||
	    now - READ_ONCE(lo->probe_at) <
	    msecs_to_jiffies(XLOOP_PROBE_GAP_MS))
		return false;
	WRITE_ONCE(lo->probe, 0);
	WRITE_ONCE(lo->probe_at, now);
	return true;
}

/*
 * Start a lone buffered read or write of a submitter that has not had two
 * requests in flight in the last second: it runs right here and may block
 * (the submitter is most likely synchronous, and would only wait for a
 * worker), but for the probe (xloop_probe_due()), which goes to the worker
 * that takes such requests at depth: the dispatch worker for a read, the
 * writer for a write.
 */
static void xloop_issue_lone_buffered(struct xloop_device *lo,
				      struct xloop_cmd *cmd, bool read,
				      struct xloop_caller *c)
{
	if (!xloop_probe_due(lo))
		xloop_run_here(lo, cmd, c);
	else if (read)
		xloop_dispatch(lo, cmd);
	else
		xloop_queue_write(lo, cmd);
}

/*
 * Start a buffered read at depth from a file that takes IOCB_NOWAIT reads
 * (@big: beyond XLOOP_INLINE_BYTES).  A big read goes to the dispatch worker
 * if it holds fewer than XLOOP_SHARED_READS, so two CPUs copy from the page
 * cache; the rest run here with IOCB_NOWAIT (a big one also IOCB_NOIO, see
 * XLOOP_INLINE_BYTES): what is cached is copied at once, a miss is finished
 * by a worker.  The dispatch worker reads with IOCB_NOWAIT as well.
 */
static void xloop_issue_buffered_read(struct xloop_device *lo,
				      struct xloop_cmd *cmd, bool big,
				      struct xloop_caller *c)
{
	if (big && atomic_add_unless(&lo->shared_reads, 1, XLOOP_SHARED_READS)) {
		cmd->shared = true;
		cmd->noio = true;
		xloop_dispatch(lo, cmd);
		return;
	}
	cmd->nowait = true;
	cmd->noio = big;
	xloop_run_here(lo, cmd, c);
}

/*
 * Start a buffered write at depth (@nowait: the file may take it with
 * IOCB_NOWAIT): tried here with IOCB_NOWAIT, or, when the file takes no such
 * writes, queued for the writer work item.
 */
static void xloop_issue_buffered_write(struct xloop_device *lo,
				       struct xloop_cmd *cmd, bool nowait,
				       struct xloop_caller *c)
{
	if (!nowait) {
		xloop_queue_write(lo, cmd);
		return;
	}
	cmd->nowait = true;
	xloop_run_here(lo, cmd, c);
}

/*
 * Start a read or write.  @alone: it is the device's only request, so it
 * runs right here and may block (the submitter would only wait for it in
 * another task); buffered I/O as xloop_issue_lone_buffered() says.  At
 * depth:
 *   - direct I/O goes to the dispatch work item, which submits it (reads
 *     with IOCB_NOWAIT): issuing async direct I/O is CPU work, and the worker
 *     does it on another CPU while the submitter prepares the next
 *     requests (a pipeline, as loop.ko's worker makes);
 *   - buffered I/O runs here with IOCB_NOWAIT, but for big reads and writes
 *     that would block on the file (xloop_issue_buffered_read() and
 *     xloop_issue_buffered_write()); what would block goes to a worker of
 *     its own, so requests wait for the disk in parallel.
 */
static void xloop_issue_rw(struct xloop_device *lo, struct xloop_cmd *cmd,
			   bool alone, struct xloop_caller *c)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	bool nowait = xloop_nowait_ok(lo, rq);
	bool big = blk_rq_bytes(rq) > XLOOP_INLINE_BYTES;
	bool read = req_op(rq) == REQ_OP_READ;
	/* Buffered, and not a read from a file that takes no NOWAIT reads. */
	bool buffered = !lo->use_dio && (!read || nowait);

	if (!alone && lo->use_dio && nowait) {
		xloop_dispatch(lo, cmd);
		return;
	}
	if (!xloop_caller_ok(rq)) {
		queue_work(lo->wq, &cmd->work);
		return;
	}
	if (buffered && alone && !xloop_depth_seen(lo)) {
		xloop_issue_lone_buffered(lo, cmd, read, c);
		return;
	}
	if (buffered && read) {
		xloop_issue_buffered_read(lo, cmd, big, c);
		return;
	}
	if (buffered) {
		xloop_issue_buffered_write(lo, cmd, nowait, c);
		return;
	}
	/* Direct I/O, or a read from a file that takes no IOCB_NOWAIT reads. */
	if (alone)
		xloop_run_here(lo, cmd, c);
	else
		queue_work(lo->wq, &cmd->work);
}

/* Start one request; @last: no more follow in this call. */
static blk_status_t xloop_queue_one(struct request *rq, bool last,
				    struct xloop_caller *c)
{
	struct xloop_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct xloop_device *lo = rq->q->queuedata;
	enum req_op op = req_op(rq);
	unsigned long now;
	int inflight;

	blk_mq_start_request(rq);
	/* Unlocked: state changes wait for a frozen queue, or fail I/O anyway. */
	if (data_race(lo->state) != XLOOP_BOUND)
		return BLK_STS_IOERR;
	if (op_is_write(op) && (lo->flags & LO_FLAGS_READ_ONLY))
		return BLK_STS_IOERR;
	cmd->bvec = NULL;
	cmd->iter_bvec = NULL;
	cmd->done = 0;
	cmd->nowait = false;
	cmd->noio = false;
	cmd->in_caller = false;
	cmd->shared = false;
	inflight = atomic_inc_return(&lo->inflight);
	now = jiffies;
	/* Written once a tick at most: the line is shared by every submitter. */
	if (inflight > 1 && READ_ONCE(lo->depth_seen) != now)
		WRITE_ONCE(lo->depth_seen, now);
	if (op == REQ_OP_READ || op == REQ_OP_WRITE)
		xloop_issue_rw(lo, cmd, inflight == 1 && last, c);
	else
		queue_work(lo->wq, &cmd->work);
	return BLK_STS_OK;
}

static blk_status_t xloop_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct xloop_caller c = { };
	blk_status_t status = xloop_queue_one(bd->rq, bd->last, &c);

	xloop_caller_leave(&c);
	return status;
}

/* A plug's worth of requests: their backing I/O goes out as one batch. */
static void xloop_queue_rqs(xloop_rq_list *rqlist)
{
	struct xloop_caller c = { };
	struct request *rq;
	blk_status_t status;

	/* Popped before it starts: a started request may end and be reused. */
	while ((rq = xloop_rq_list_pop(rqlist))) {
		status = xloop_queue_one(rq, xloop_rq_list_empty(rqlist), &c);
		if (status != BLK_STS_OK)
			blk_mq_end_request(rq, status);
	}
	xloop_caller_leave(&c);
}

static int xloop_init_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx, unsigned int numa_node)
{
	struct xloop_cmd *cmd = blk_mq_rq_to_pdu(rq);

	INIT_WORK(&cmd->work, xloop_workfn);
	return 0;
}

const struct blk_mq_ops xloop_mq_ops = {
	.queue_rq = xloop_queue_rq,
	.queue_rqs = xloop_queue_rqs,
	.init_request = xloop_init_request,
};

/*
 * The device's workqueue, made at its first bind and kept until it goes.
 * Not WQ_HIGHPRI, as loop.ko's is not: with it, direct 4 KiB random writes
 * at queue depth 16 on 6.1 ran at 0.86-0.90x loop.ko, without it at
 * 1.00-1.11x (side by side in each of three boots).  Likely cause: a nice
 * -20 dispatch worker preempts the submitter at each request queued to it,
 * so it takes one request per wakeup instead of a batch under one plug.
 */
int xloop_io_setup(struct xloop_device *lo)
{
	int active = min_t(int, lo->tag_set.queue_depth, WQ_MAX_ACTIVE);

	if (lo->wq)
		return 0;
	lo->depth_seen = jiffies - 2 * HZ;
	init_llist_head(&lo->pending);
	INIT_WORK(&lo->dispatch_work, xloop_dispatch_workfn);
	init_llist_head(&lo->writes);
	INIT_WORK(&lo->write_work, xloop_write_workfn);
	lo->wq = alloc_workqueue("xloop%d", WQ_UNBOUND | WQ_MEM_RECLAIM |
				 WQ_FREEZABLE, active, lo->number);
	return lo->wq ? 0 : -ENOMEM;
}

void xloop_io_cleanup(struct xloop_device *lo)
{
	if (lo->wq)
		destroy_workqueue(lo->wq);
	lo->wq = NULL;
}
