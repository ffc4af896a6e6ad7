// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: the request path.
 *
 * Every access to the backing file runs in a worker of the device's own
 * workqueue, never in ->queue_rq()'s caller.  That caller may be inside a
 * file system transaction of the device's user (ext4 keeps its journal
 * handle in current->journal_info, and a backing file on ext4 would start a
 * nested one: "kernel BUG at fs/jbd2/transaction.c"), be kblockd, carry the
 * submitter's credentials, memcg and plug, or be in the middle of a bio
 * submission further up (current->bio_list).  Workers run with
 * PF_MEMALLOC_NOIO (their allocations must not recurse into the device) and
 * PF_LOCAL_THROTTLE (dirty pages of the backing file throttle them only
 * against its own device), on behalf of the request's cgroups
 * (xloop_cgroup.h).
 *
 * The paths:
 *  - reads and writes go to their cgroup's queue (struct xloop_queue), whose
 *    work item takes them in turn, as loop.ko's per-cgroup worker does.
 *    Direct I/O it submits as asynchronous kiocbs under one plug, completed
 *    by the backing device.  Buffered I/O it tries with IOCB_NOWAIT where the
 *    file says it takes that (compat.h): what the page cache can do at once
 *    is done there, and what would block goes to a work item of the
 *    request's own, so a device's requests wait for the disk side by side
 *    rather than one after another.  A read of a file that takes no
 *    IOCB_NOWAIT (tmpfs, FUSE) it does itself where the page cache holds
 *    every page of it, and hands on where it does not.  The last request of
 *    a batch, with nothing waiting behind it, it does itself either way.
 *  - buffered writes the file takes only blocking (ext4 and tmpfs have no
 *    IOCB_NOWAIT buffered writes; O_SYNC, O_DSYNC) the queue's worker does
 *    itself, in order, as loop.ko does: they take the file's inode lock one
 *    at a time anyway, and workers of their own would only queue up on it.
 *  - flushes, discards and write-zeroes go straight to a work item of their
 *    own, which may block.
 *  - requests end through blk_mq_complete_request(), from the context that
 *    finished their backing I/O (a worker, or the backing device's completion
 *    through ->ki_complete), as loop.ko's do: the block layer ends them on
 *    the CPU that submitted them where the queue asks for it (rq_affinity).
 *
 * Each device has a workqueue of its own, as in loop.ko: the workers of a
 * device stacked on another wait for the lower device's requests, and under
 * one shared max_active limit enough waiting upper workers would leave the
 * lower device none (a deadlock).
 */
#include <linux/blk-mq.h>
#include <linux/falloc.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "xloop.h"
#include "xloop_cgroup.h"

/* A cgroup's queue unused for this long is freed (loop.ko: the same). */
#define XLOOP_QUEUE_IDLE (60 * HZ)

/*
 * End the request.  Any context (a worker, the backing device's completion):
 * through blk_mq_complete_request(), as loop.ko does, so that the request
 * ends on the CPU that submitted it where rq_affinity asks for that (the
 * submitter's completion, fio's or a file system's, then runs where its
 * task and data are rather than in the worker), and the upper layers'
 * completions of stacked devices run one after another from the block
 * softirq instead of nested on an interrupt's stack.
 */
static void xloop_finish(struct xloop_cmd *cmd, blk_status_t status)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);

	kfree(cmd->bvec);
	cmd->bvec = NULL;
	if (cmd->memcg)
		css_put(cmd->memcg);
	cmd->memcg = NULL;
	cmd->status = status;
	blk_mq_complete_request(rq);
}

/*
 * ->complete, for xloop_finish(): the block softirq, or the caller of
 * blk_mq_complete_request() itself where the request may end there.
 */
static void xloop_complete_rq(struct request *rq)
{
	struct xloop_cmd *cmd = blk_mq_rq_to_pdu(rq);

	/* Keep what was transferred before a failure. */
	if (cmd->status != BLK_STS_OK && cmd->done)
		blk_update_request(rq, BLK_STS_OK, cmd->done);
	blk_mq_end_request(rq, cmd->status);
}

/* Where @rq starts in the backing file, in bytes. */
static loff_t xloop_rq_pos(const struct xloop_device *lo,
			   const struct request *rq)
{
	return ((loff_t)blk_rq_pos(rq) << SECTOR_SHIFT) + lo->offset;
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

/*
 * Point the command at the request's data, copying the bvecs of a multi-bio
 * request.  Task context (a worker).
 */
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

static bool xloop_backing_is_reg(struct file *file)
{
	return S_ISREG(file_inode(file)->i_mode);
}

/*
 * One read/write attempt has ended with @cmd->ret; decide what follows.  Any
 * context: a worker, or ->ki_complete in the backing device's completion.
 */
static void xloop_rw_done(struct xloop_cmd *cmd)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct xloop_device *lo = rq->q->queuedata;
	bool write = req_op(rq) == REQ_OP_WRITE;
	long ret = cmd->ret;

	if (cmd->write_started)
		kiocb_end_write(&cmd->iocb);
	cmd->write_started = false;
	if (ret > 0)
		cmd->done += ret;
	if (cmd->done == blk_rq_bytes(rq)) {
		xloop_finish(cmd, BLK_STS_OK);
		return;
	}
	/*
	 * An IOCB_NOWAIT attempt that would block, could not be done that way
	 * or fell short, and a short transfer that made progress: the rest is
	 * done by the request's own worker, which may block.
	 */
	if (cmd->nowait || ret > 0) {
		cmd->nowait = false;
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

/* ->ki_complete: the backing device's completion context, or a worker. */
static void xloop_aio_complete(struct kiocb *iocb, long ret)
{
	struct xloop_cmd *cmd = container_of(iocb, struct xloop_cmd, iocb);

	cmd->ret = ret;
	xloop_rw_put(cmd);
}

/*
 * The kiocb flags every read and write of @lo carries: direct I/O as the
 * device is set, and the synchronous-write flags of the backing file's open
 * (O_SYNC, O_DSYNC), so a write-through image stays write-through.  Not
 * O_APPEND: a device writes where its sectors are.
 */
static int xloop_iocb_flags(struct xloop_device *lo)
{
	int flags = iocb_flags(lo->backing) & (IOCB_DSYNC | IOCB_SYNC);

	if (lo->use_dio)
		flags |= IOCB_DIRECT;
	return flags;
}

/*
 * Take the backing file system's freeze protection for a write to a regular
 * file (a block device has none); an IOCB_NOWAIT attempt does not wait for a
 * frozen file system.  Task context.
 */
static bool xloop_start_write(struct xloop_cmd *cmd)
{
	struct kiocb *iocb = &cmd->iocb;
	struct super_block *sb = file_inode(iocb->ki_filp)->i_sb;

	if (!xloop_backing_is_reg(iocb->ki_filp))
		return true;
	if (!(iocb->ki_flags & IOCB_NOWAIT)) {
		kiocb_start_write(iocb);
	} else {
		if (!sb_start_write_trylock(sb))
			return false;
		/* Released to lockdep as kiocb_start_write() does: ends elsewhere. */
		__sb_writers_release(sb, SB_FREEZE_WRITE);
	}
	cmd->write_started = true;
	return true;
}

/*
 * Would a read that finds @folio start the next readahead window there?  The
 * readahead mark is the same page flag as PG_reclaim, which reclaim and
 * drop_caches set on dirty folios and folios under writeback; the readahead
 * code itself takes it for a mark only on a folio not under writeback.  A
 * file whose page cache cannot read folios in has no readahead at all: on
 * tmpfs (no ->read_folio, no ->readahead) the flag is only ever PG_reclaim,
 * set on every page of an image by one drop_caches.
 */
static bool xloop_folio_starts_readahead(const struct address_space *mapping,
					 struct folio *folio)
{
	if (!mapping->a_ops->read_folio && !mapping->a_ops->readahead)
		return false;
	return folio_test_readahead(folio) && !folio_test_writeback(folio);
}

/*
 * Does the page cache hold every page @cmd's read wants, up to date, with no
 * readahead due?  Asked of a file that takes no IOCB_NOWAIT: a read that
 * finds them so is done from memory (tmpfs waits only for a page in swap,
 * which is not in the cache); one that does not would wait for the file's
 * disk or server, or start the next readahead window's reads itself.  What
 * the page cache cannot tell, the read may still wait for, as loop.ko's
 * would: a page gone since this look, FUSE's or NFS's revalidation of the
 * file.  Task context.
 */
static bool xloop_read_cached(struct xloop_device *lo, struct xloop_cmd *cmd)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	loff_t pos = xloop_rq_pos(lo, rq);
	pgoff_t next = pos >> PAGE_SHIFT;
	pgoff_t last = (pos + blk_rq_bytes(rq) - 1) >> PAGE_SHIFT;
	struct address_space *mapping = lo->backing->f_mapping;
	struct folio_batch batch;
	bool cached = true;
	unsigned int i;

	folio_batch_init(&batch);
	while (cached && next <= last) {
		pgoff_t start = next;

		/* Present folios only: a gap, or a page in swap, ends the run. */
		if (!filemap_get_folios(mapping, &start, last, &batch))
			return false;
		for (i = 0; i < folio_batch_count(&batch); i++) {
			struct folio *folio = batch.folios[i];

			if (folio->index > next || !folio_test_uptodate(folio) ||
			    xloop_folio_starts_readahead(mapping, folio)) {
				cached = false;
				break;
			}
			next = folio->index + folio_nr_pages(folio);
		}
		/* Not folio_batch_release(): it drains the LRU caches each time. */
		for (i = 0; i < folio_batch_count(&batch); i++)
			folio_put(batch.folios[i]);
		folio_batch_init(&batch);
	}
	return cached;
}

/*
 * Start one read/write attempt for what is left of the request, with
 * IOCB_NOWAIT if @cmd->nowait.  Task context: a worker of the device.
 */
static void xloop_rw(struct xloop_device *lo, struct xloop_cmd *cmd)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	bool write = req_op(rq) == REQ_OP_WRITE;
	struct file *file = lo->backing;
	struct iov_iter iter;
	ssize_t ret;

	if (!cmd->iter_bvec && xloop_map_data(cmd)) {
		xloop_finish(cmd, BLK_STS_IOERR);
		return;
	}
	xloop_build_iter(cmd, &iter, write ? ITER_SOURCE : ITER_DEST);

	memset(&cmd->iocb, 0, sizeof(cmd->iocb));
	cmd->iocb.ki_filp = file;
	cmd->iocb.ki_pos = xloop_rq_pos(lo, rq) + cmd->done;
	cmd->iocb.ki_ioprio = req_get_ioprio(rq);
	cmd->iocb.ki_flags = xloop_iocb_flags(lo);
	if (lo->use_dio)
		cmd->iocb.ki_complete = xloop_aio_complete;
	/*
	 * Without IOCB_NOIO, a NOWAIT read that misses would still start the
	 * readahead, file system metadata reads included, right here.
	 */
	if (cmd->nowait)
		cmd->iocb.ki_flags |= IOCB_NOWAIT | (write ? 0 : IOCB_NOIO);
	/* One reference for this submitter, one for the completion. */
	atomic_set(&cmd->ref, 2);
	if (write) {
		ret = -EAGAIN;
		if (xloop_start_write(cmd))
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

/*
 * DISCARD punches a hole, WRITE_ZEROES zeroes the range (keeping it
 * allocated with REQ_NOUNMAP), as loop.ko does.  Where the file system
 * cannot do one of them, the request fails with EOPNOTSUPP, quietly: the
 * block layer then writes zeroes itself where its caller allows a fallback,
 * and BLKDEV_ZERO_NOFALLBACK callers hear EOPNOTSUPP.  (6.12's loop also
 * drops the limit then; changing the queue limits from a request in flight
 * can deadlock against a sysfs limits update, which freezes the queue.)
 * Without fallocate, neither is advertised (xloop_update_limits()).
 * Task context: the request's own worker.
 */
static blk_status_t xloop_fallocate(struct xloop_device *lo,
				    struct request *rq, loff_t pos)
{
	struct file *file = lo->backing;
	int mode = FALLOC_FL_PUNCH_HOLE;
	int ret = -EOPNOTSUPP;

	if (req_op(rq) == REQ_OP_WRITE_ZEROES && (rq->cmd_flags & REQ_NOUNMAP))
		mode = FALLOC_FL_ZERO_RANGE;
	/* vfs_fallocate(): no change to a frozen, append-only or swap file. */
	if (file->f_op->fallocate)
		ret = vfs_fallocate(file, mode | FALLOC_FL_KEEP_SIZE, pos,
				    blk_rq_bytes(rq));
	if (!ret)
		return BLK_STS_OK;
	if (ret == -EOPNOTSUPP) {
		/* Expected, and handled by the caller: no error in the log. */
		rq->rq_flags |= RQF_QUIET;
		return BLK_STS_NOTSUPP;
	}
	return BLK_STS_IOERR;
}

/* What a worker saves while it does backing-file I/O for a request. */
struct xloop_io_ctx {
	unsigned int noio;
	unsigned int throttle;
	struct mem_cgroup *memcg;
};

/*
 * Task context (a worker): set up for backing-file I/O on @memcg's behalf.
 * @memcg gets a reference of its own while it is the active one: the request
 * holding the other may end before xloop_io_leave().
 */
static void xloop_io_enter(struct xloop_io_ctx *ctx,
			   struct cgroup_subsys_state *memcg)
{
	ctx->noio = memalloc_noio_save();
	ctx->throttle = current->flags & PF_LOCAL_THROTTLE;
	current->flags |= PF_LOCAL_THROTTLE;
	if (memcg)
		css_get(memcg);
	ctx->memcg = xloop_memcg_enter(memcg);
}

static void xloop_io_leave(const struct xloop_io_ctx *ctx,
			   struct cgroup_subsys_state *memcg)
{
	xloop_memcg_leave(memcg, ctx->memcg);
	if (memcg)
		css_put(memcg);
	current->flags = (current->flags & ~PF_LOCAL_THROTTLE) | ctx->throttle;
	memalloc_noio_restore(ctx->noio);
}

/*
 * The request's own worker: a read or write that may block, a flush, a
 * discard or write-zeroes.  Task context (a worker of the device).
 */
static void xloop_cmd_workfn(struct work_struct *work)
{
	struct xloop_cmd *cmd = container_of(work, struct xloop_cmd, work);
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct xloop_device *lo = rq->q->queuedata;
	struct cgroup_subsys_state *memcg = cmd->memcg;
	loff_t pos = xloop_rq_pos(lo, rq);
	struct xloop_io_ctx ctx;

	xloop_blkcg_associate(cmd->blkcg);
	xloop_io_enter(&ctx, memcg);
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
	xloop_io_leave(&ctx, memcg);
	xloop_blkcg_associate(NULL);
}

/*
 * May the queue worker try @cmd, a buffered read or write, without blocking,
 * doing at once what the page cache allows?  Any read: with IOCB_NOWAIT, or
 * where the file takes none, after xloop_read_cached().  A write only where
 * the file takes IOCB_NOWAIT writes, and not one it makes synchronous
 * (O_SYNC, O_DSYNC): that would wait for the disk.
 */
static bool xloop_try_nowait(struct xloop_device *lo, struct xloop_cmd *cmd)
{
	struct file *file = lo->backing;

	if (req_op(blk_mq_rq_from_pdu(cmd)) == REQ_OP_READ)
		return true;
	return (file->f_mode & FMODE_NOWAIT) &&
	       xloop_file_nowait_buffered_write(file) &&
	       !(xloop_iocb_flags(lo) & (IOCB_DSYNC | IOCB_SYNC));
}

/*
 * Is nothing waiting on @q behind the request its worker is at?  Then that
 * request is the worker's to do itself, blocking if it must, as loop.ko's
 * worker does (a NOWAIT attempt could only hand it on to another worker, a
 * second hand-off), and @q->blocking sends what comes meanwhile to workers of
 * their own.  Under the lock: a request is either seen here or sees the flag.
 */
static bool xloop_queue_block(struct xloop_queue *q)
{
	struct xloop_device *lo = q->lo;

	bool alone;

	spin_lock_irq(&lo->queues_lock);
	alone = llist_empty(&q->cmds);
	WRITE_ONCE(q->blocking, alone);
	spin_unlock_irq(&lo->queues_lock);
	return alone;
}

/*
 * How the queue's worker takes @cmd, the @last of its batch if so: with what
 * xloop_rw() is to do set, or, if this returns false, handed on to the
 * request's own worker.  A buffered request it may try without blocking
 * (xloop_try_nowait()) it tries so, but for the last while nothing else waits
 * (xloop_queue_block()), and a read of a file that takes no IOCB_NOWAIT only
 * where the page cache holds it; the others it does blocking.
 */
static bool xloop_queue_take(struct xloop_queue *q, struct xloop_cmd *cmd,
			     bool last)
{
	struct xloop_device *lo = q->lo;

	if (!cmd->may_nowait) {
		WRITE_ONCE(q->blocking, !lo->use_dio);
		return true;
	}
	if (lo->backing->f_mode & FMODE_NOWAIT) {
		cmd->nowait = !last || !xloop_queue_block(q);
		return true;
	}
	if (xloop_read_cached(lo, cmd) || (last && xloop_queue_block(q)))
		return true;
	queue_work(lo->wq, &cmd->work);
	return false;
}

/*
 * A cgroup's queue: its reads and writes in turn, until no more come, a
 * batch of direct I/O under one plug, buffered ones as xloop_queue_take()
 * says.  Task context (a worker of the device), on behalf of the queue's
 * cgroup (every request on it has that blkcg).
 */
static void xloop_queue_workfn(struct work_struct *work)
{
	struct xloop_queue *q = container_of(work, struct xloop_queue, work);
	struct xloop_device *lo = q->lo;
	struct llist_node *list;
	struct xloop_cmd *cmd, *next;
	struct xloop_io_ctx ctx;
	struct blk_plug plug;

	xloop_blkcg_associate(q->blkcg);
	while ((list = llist_del_all(&q->cmds))) {
		/*
		 * Plugged only for direct I/O, which does not wait for its I/O.  A
		 * buffered request may wait for the I/O it starts, and a plug
		 * flushed by that sleep dispatches it from kblockd instead.
		 */
		bool plugged = READ_ONCE(lo->use_dio);

		if (plugged)
			blk_start_plug(&plug);
		/* _safe: a request may end, and come back, once started. */
		llist_for_each_entry_safe(cmd, next, llist_reverse_order(list),
					  node) {
			struct cgroup_subsys_state *memcg = cmd->memcg;
			/* Not @next: past the last entry, it is not NULL. */
			bool last = !cmd->node.next;

			if (xloop_queue_take(q, cmd, last)) {
				xloop_io_enter(&ctx, memcg);
				xloop_rw(lo, cmd);
				xloop_io_leave(&ctx, memcg);
				WRITE_ONCE(q->blocking, false);
			}
			/*
			 * The submitter a request's end woke may be waiting for
			 * this CPU (loop.ko's worker: the same).
			 */
			cond_resched();
		}
		if (plugged)
			blk_finish_plug(&plug);
	}
	xloop_blkcg_associate(NULL);
}

static struct xloop_queue *xloop_queue_alloc(struct xloop_device *lo,
					     struct cgroup_subsys_state *blkcg,
					     gfp_t gfp)
{
	struct xloop_queue *q = kzalloc(sizeof(*q), gfp);

	if (!q)
		return NULL;
	q->lo = lo;
	q->blkcg = blkcg;
	if (blkcg)
		css_get(blkcg);
	init_llist_head(&q->cmds);
	INIT_WORK(&q->work, xloop_queue_workfn);
	RB_CLEAR_NODE(&q->node);
	return q;
}

/* @q is off the tree: wait for its work to finish, then free it.  May sleep. */
static void xloop_queue_free(struct xloop_queue *q)
{
	flush_work(&q->work);
	if (q->blkcg)
		css_put(q->blkcg);
	kfree(q);
}

/*
 * The queue for @blkcg's requests on @lo, made on first use; the root queue
 * for none, or when there is no memory for a new one (loop.ko: the same).
 * Called from ->queue_rq() (may not sleep) with @lo->queues_lock held.
 */
static struct xloop_queue *xloop_queue_of(struct xloop_device *lo,
					  struct cgroup_subsys_state *blkcg)
{
	struct rb_node **link = &lo->queues.rb_node, *parent = NULL;
	struct xloop_queue *q;

	if (!blkcg)
		return lo->root_queue;
	while (*link) {
		parent = *link;
		q = rb_entry(parent, struct xloop_queue, node);
		if (q->blkcg == blkcg)
			return q;
		link = (unsigned long)blkcg < (unsigned long)q->blkcg ?
		       &parent->rb_left : &parent->rb_right;
	}
	q = xloop_queue_alloc(lo, blkcg, GFP_NOWAIT | __GFP_NOWARN);
	if (!q)
		return NULL;
	rb_link_node(&q->node, parent, link);
	rb_insert_color(&q->node, &lo->queues);
	if (!delayed_work_pending(&lo->reap_work))
		schedule_delayed_work(&lo->reap_work, XLOOP_QUEUE_IDLE);
	return q;
}

/*
 * Put a read or write on its cgroup's queue, or to its own worker while the
 * queue's is busy with a request it may block on, if it is one the queue's
 * worker would try without blocking.  ->queue_rq()'s context.
 */
static void xloop_queue_rw(struct xloop_device *lo, struct xloop_cmd *cmd)
{
	struct xloop_queue *q;
	unsigned long flags;

	spin_lock_irqsave(&lo->queues_lock, flags);
	q = xloop_queue_of(lo, cmd->blkcg);
	if (!q) {
		/* As the root cgroup's, then. */
		q = lo->root_queue;
		cmd->blkcg = NULL;
		if (cmd->memcg)
			css_put(cmd->memcg);
		cmd->memcg = NULL;
	}
	q->last_used = jiffies;
	if (cmd->may_nowait && READ_ONCE(q->blocking))
		queue_work(lo->wq, &cmd->work);
	else if (llist_add(&cmd->node, &q->cmds))
		queue_work(lo->wq, &q->work);
	spin_unlock_irqrestore(&lo->queues_lock, flags);
}

/*
 * Free the cgroups' queues that had no request for XLOOP_QUEUE_IDLE, and
 * look again later while some remain.  Task context (the system workqueue).
 */
static void xloop_reap_workfn(struct work_struct *work)
{
	struct xloop_device *lo = container_of(to_delayed_work(work),
					       struct xloop_device, reap_work);
	struct xloop_queue *q, *n;
	struct rb_node *node, *next;
	LIST_HEAD(idle);

	spin_lock_irq(&lo->queues_lock);
	/* In order, the next taken first: erasing may rebalance the tree. */
	for (node = rb_first(&lo->queues); node; node = next) {
		next = rb_next(node);
		q = rb_entry(node, struct xloop_queue, node);
		if (llist_empty(&q->cmds) &&
		    time_after(jiffies, q->last_used + XLOOP_QUEUE_IDLE)) {
			rb_erase(node, &lo->queues);
			list_add(&q->idle, &idle);
		}
	}
	if (!RB_EMPTY_ROOT(&lo->queues))
		schedule_delayed_work(&lo->reap_work, XLOOP_QUEUE_IDLE);
	spin_unlock_irq(&lo->queues_lock);
	list_for_each_entry_safe(q, n, &idle, idle)
		xloop_queue_free(q);
}

/* Start one request.  Not in task context necessarily; must not sleep. */
static blk_status_t xloop_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct xloop_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct xloop_device *lo = rq->q->queuedata;
	enum req_op op = req_op(rq);

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
	cmd->write_started = false;
	cmd->blkcg = xloop_rq_blkcg(rq);
	cmd->memcg = xloop_memcg_get(cmd->blkcg);
	cmd->may_nowait = !lo->use_dio && xloop_try_nowait(lo, cmd);
	if (op == REQ_OP_READ || op == REQ_OP_WRITE)
		xloop_queue_rw(lo, cmd);
	else
		queue_work(lo->wq, &cmd->work);
	return BLK_STS_OK;
}

static int xloop_init_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx, unsigned int numa_node)
{
	struct xloop_cmd *cmd = blk_mq_rq_to_pdu(rq);

	INIT_WORK(&cmd->work, xloop_cmd_workfn);
	return 0;
}

const struct blk_mq_ops xloop_mq_ops = {
	.queue_rq = xloop_queue_rq,
	.complete = xloop_complete_rq,
	.init_request = xloop_init_request,
};

/*
 * The device's workqueue and root queue, made at its first bind and kept
 * until it goes.  Not WQ_HIGHPRI, as loop.ko's is not.  Called under
 * lo->mutex.
 */
int xloop_io_setup(struct xloop_device *lo)
{
	int active = min_t(int, lo->tag_set.queue_depth, WQ_MAX_ACTIVE);

	if (lo->wq)
		return 0;
	lo->queues = RB_ROOT;
	spin_lock_init(&lo->queues_lock);
	INIT_DELAYED_WORK(&lo->reap_work, xloop_reap_workfn);
	lo->root_queue = xloop_queue_alloc(lo, NULL, GFP_KERNEL);
	if (!lo->root_queue)
		return -ENOMEM;
	lo->wq = alloc_workqueue("xloop%d", WQ_UNBOUND | WQ_MEM_RECLAIM |
				 WQ_FREEZABLE, active, lo->number);
	if (!lo->wq) {
		kfree(lo->root_queue);
		lo->root_queue = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * The device is being unbound, its queue frozen: free the cgroups' queues
 * (they hold their cgroups).  Task context.
 */
void xloop_io_unbind(struct xloop_device *lo)
{
	struct xloop_queue *q, *n;
	struct rb_root queues;

	if (!lo->wq)
		return;
	cancel_delayed_work_sync(&lo->reap_work);
	spin_lock_irq(&lo->queues_lock);
	queues = lo->queues;
	lo->queues = RB_ROOT;
	spin_unlock_irq(&lo->queues_lock);
	rbtree_postorder_for_each_entry_safe(q, n, &queues, node)
		xloop_queue_free(q);
}

void xloop_io_cleanup(struct xloop_device *lo)
{
	if (!lo->wq)
		return;
	xloop_io_unbind(lo);
	destroy_workqueue(lo->wq);
	lo->wq = NULL;
	kfree(lo->root_queue);
	lo->root_queue = NULL;
}
