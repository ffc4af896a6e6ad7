// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: the request path.
 *
 * Design, for speed: loop.ko hands every request to a per-cgroup worker that
 * serialises them.  xloop instead
 *   - tries a read or write right in ->queue_rq() with IOCB_NOWAIT when the
 *     caller's context allows it (no bio being submitted further up the
 *     stack, not in reclaim); the page cache or an async O_DIRECT submission
 *     then completes it with no context switch at all;
 *   - otherwise, or when the NOWAIT attempt would block or falls short, runs
 *     the request as its own work item on the device's unbound workqueue, so
 *     requests of one device proceed in parallel (queue depth is real
 *     concurrency);
 *   - in direct-I/O mode submits async kiocbs and completes from ->ki_complete.
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
#include <linux/slab.h>

#include "xloop.h"

/* Zero pages written per call when the backing file cannot zero a range. */
#define XLOOP_ZERO_BATCH 16

static void xloop_finish(struct xloop_cmd *cmd, blk_status_t status)
{
	cmd->status = status;
	blk_mq_complete_request(blk_mq_rq_from_pdu(cmd));
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
	 * fell short is finished by a worker, which may block.  So is a short
	 * blocking transfer that made progress: retry the rest.
	 */
	if (cmd->nowait || ret > 0) {
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

/* Start one read/write attempt for what is left of the request. */
static void xloop_rw(struct xloop_device *lo, struct xloop_cmd *cmd,
		     bool nowait)
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
	cmd->nowait = nowait;
	cmd->dio = lo->use_dio;
	if (cmd->dio) {
		cmd->iocb.ki_flags = IOCB_DIRECT;
		cmd->iocb.ki_complete = xloop_aio_complete;
	}
	if (nowait)
		cmd->iocb.ki_flags |= IOCB_NOWAIT;
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

static void xloop_workfn(struct work_struct *work)
{
	struct xloop_cmd *cmd = container_of(work, struct xloop_cmd, work);
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct xloop_device *lo = rq->q->queuedata;
	loff_t pos = ((loff_t)blk_rq_pos(rq) << SECTOR_SHIFT) + lo->offset;
	unsigned int old_flags = current->flags & PF_LOCAL_THROTTLE;
	unsigned int noio;

	/* Backing-file allocations must not recurse into block I/O. */
	noio = memalloc_noio_save();
	current->flags |= PF_LOCAL_THROTTLE;
	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		xloop_rw(lo, cmd, false);
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
	current->flags = (current->flags & ~PF_LOCAL_THROTTLE) | old_flags;
	memalloc_noio_restore(noio);
}

/*
 * May this read/write be tried right here?  Not when a bio is being
 * submitted further up (current->bio_list: bios the backing file system
 * submits would wait behind ours), not in reclaim, not for a task being
 * killed, not for a file that cannot do NOWAIT, and not for a write that a
 * file-size limit of the caller could cut short.
 */
static bool xloop_inline_ok(struct xloop_device *lo, struct request *rq)
{
	enum req_op op = req_op(rq);

	if (op != REQ_OP_READ && op != REQ_OP_WRITE)
		return false;
	if (current->bio_list || (current->flags & PF_MEMALLOC))
		return false;
	if (!(lo->backing->f_mode & FMODE_NOWAIT))
		return false;
	if (fatal_signal_pending(current))
		return false;
	return op == REQ_OP_READ || rlimit(RLIMIT_FSIZE) == RLIM_INFINITY;
}

static void xloop_rw_inline(struct xloop_device *lo, struct xloop_cmd *cmd)
{
	struct blk_plug *outer = current->plug;
	struct blk_plug plug;
	unsigned int noio;

	/*
	 * We may be called while the caller's plug is being flushed: collect
	 * the backing file's bios in a plug of our own and send them before
	 * returning, rather than adding them to the list being flushed.
	 */
	current->plug = NULL;
	blk_start_plug(&plug);
	noio = memalloc_noio_save();
	xloop_rw(lo, cmd, true);
	memalloc_noio_restore(noio);
	blk_finish_plug(&plug);
	current->plug = outer;
}

static blk_status_t xloop_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct xloop_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct xloop_device *lo = rq->q->queuedata;

	blk_mq_start_request(rq);
	/* Unlocked: state changes wait for a frozen queue, or fail I/O anyway. */
	if (data_race(lo->state) != XLOOP_BOUND)
		return BLK_STS_IOERR;
	if (op_is_write(req_op(rq)) && (lo->flags & LO_FLAGS_READ_ONLY))
		return BLK_STS_IOERR;
	cmd->bvec = NULL;
	cmd->iter_bvec = NULL;
	cmd->done = 0;
	cmd->status = BLK_STS_OK;
	if (xloop_inline_ok(lo, rq))
		xloop_rw_inline(lo, cmd);
	else
		queue_work(lo->wq, &cmd->work);
	return BLK_STS_OK;
}

static void xloop_complete_rq(struct request *rq)
{
	struct xloop_cmd *cmd = blk_mq_rq_to_pdu(rq);

	kfree(cmd->bvec);
	cmd->bvec = NULL;
	/* Keep what was transferred before a failure. */
	if (cmd->status != BLK_STS_OK && cmd->done)
		blk_update_request(rq, BLK_STS_OK, cmd->done);
	blk_mq_end_request(rq, cmd->status);
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
	.complete = xloop_complete_rq,
	.init_request = xloop_init_request,
};

/* The device's workqueue, made at its first bind and kept until it goes. */
int xloop_io_setup(struct xloop_device *lo)
{
	int active = min_t(int, lo->tag_set.queue_depth, WQ_MAX_ACTIVE);

	if (lo->wq)
		return 0;
	lo->wq = alloc_workqueue("xloop%d", WQ_UNBOUND | WQ_MEM_RECLAIM |
				 WQ_FREEZABLE | WQ_HIGHPRI, active, lo->number);
	return lo->wq ? 0 : -ENOMEM;
}

void xloop_io_cleanup(struct xloop_device *lo)
{
	if (lo->wq)
		destroy_workqueue(lo->wq);
	lo->wq = NULL;
}
