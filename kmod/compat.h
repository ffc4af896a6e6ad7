/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xloop and xminix: every difference between the kernel APIs of the target
 * kernels (Debian 6.1 and 6.12) lives here, as static inline wrappers, so
 * that the rest of both modules is free of version conditionals.
 *
 * Where Debian's 6.1 carries a backport (kiocb_start_write, ITER_SOURCE,
 * timer_shutdown_sync) both kernels share the call and nothing is needed.
 */
#ifndef XLOOP_COMPAT_H
#define XLOOP_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/version.h>

/* The largest request, in sectors: loop's historic 2560 (1.25 MiB). */
#define XLOOP_MAX_HW_SECTORS 2560u

/* The queue limits xloop manages, applied in one go. */
struct xloop_limits {
	unsigned int block_size;	/* logical = physical = io_min */
	bool write_cache;
	bool rotational;
	unsigned int max_discard_sectors;
	unsigned int max_write_zeroes_sectors;
	unsigned int discard_granularity;
};

/* 6.5: block_device_operations take a blk_mode_t; open gets the gendisk. */
#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
#define xloop_mode_t		blk_mode_t
#define XLOOP_MODE_WRITE	BLK_OPEN_WRITE
#define XLOOP_MODE_EXCL		BLK_OPEN_EXCL
#else
#define xloop_mode_t		fmode_t
#define XLOOP_MODE_WRITE	FMODE_WRITE
#define XLOOP_MODE_EXCL		FMODE_EXCL
#endif

/* The driver's open and release, behind the wrappers below. */
int xloop_open(struct gendisk *disk, xloop_mode_t mode);
void xloop_release(struct gendisk *disk);

#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
static inline int xloop_bdops_open(struct gendisk *disk, blk_mode_t mode)
{
	return xloop_open(disk, mode);
}

static inline void xloop_bdops_release(struct gendisk *disk)
{
	xloop_release(disk);
}

static inline int xloop_prepare_to_claim(struct block_device *bdev,
					 void *holder)
{
	return bd_prepare_to_claim(bdev, holder, NULL);
}
#else
static inline int xloop_bdops_open(struct block_device *bdev, fmode_t mode)
{
	return xloop_open(bdev->bd_disk, mode);
}

static inline void xloop_bdops_release(struct gendisk *disk, fmode_t mode)
{
	xloop_release(disk);
}

static inline int xloop_prepare_to_claim(struct block_device *bdev,
					 void *holder)
{
	return bd_prepare_to_claim(bdev, holder);
}
#endif

#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
/* 6.9-6.11: queue limits are set through struct queue_limits only. */
static inline struct gendisk *xloop_alloc_disk(struct blk_mq_tag_set *set,
					       void *queuedata)
{
	struct queue_limits lim = {
		.max_hw_sectors = XLOOP_MAX_HW_SECTORS,
	};

	return blk_mq_alloc_disk(set, &lim, queuedata);
}

static inline int xloop_apply_limits(struct request_queue *q,
				     const struct xloop_limits *l)
{
	struct queue_limits lim = queue_limits_start_update(q);

	lim.logical_block_size = l->block_size;
	lim.physical_block_size = l->block_size;
	lim.io_min = l->block_size;
	lim.features &= ~(BLK_FEAT_WRITE_CACHE | BLK_FEAT_ROTATIONAL);
	if (l->write_cache)
		lim.features |= BLK_FEAT_WRITE_CACHE;
	if (l->rotational)
		lim.features |= BLK_FEAT_ROTATIONAL;
	lim.max_hw_discard_sectors = l->max_discard_sectors;
	lim.max_write_zeroes_sectors = l->max_write_zeroes_sectors;
	lim.discard_granularity = l->max_discard_sectors ?
				  l->discard_granularity : 0;
	return queue_limits_commit_update(q, &lim);
}

/* 6.12: no events argument, and no partition rescan is scheduled. */
static inline void xloop_media_change(struct gendisk *disk)
{
	disk_force_media_change(disk);
}
#else
static inline struct gendisk *xloop_alloc_disk(struct blk_mq_tag_set *set,
					       void *queuedata)
{
	struct gendisk *disk = blk_mq_alloc_disk(set, queuedata);

	if (!IS_ERR(disk))
		blk_queue_max_hw_sectors(disk->queue, XLOOP_MAX_HW_SECTORS);
	return disk;
}

static inline int xloop_apply_limits(struct request_queue *q,
				     const struct xloop_limits *l)
{
	blk_queue_logical_block_size(q, l->block_size);
	blk_queue_physical_block_size(q, l->block_size);
	blk_queue_io_min(q, l->block_size);
	blk_queue_write_cache(q, l->write_cache, false);
	if (l->rotational)
		blk_queue_flag_clear(QUEUE_FLAG_NONROT, q);
	else
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_max_discard_sectors(q, l->max_discard_sectors);
	q->limits.discard_granularity = l->max_discard_sectors ?
					l->discard_granularity : 0;
	blk_queue_max_write_zeroes_sectors(q, l->max_write_zeroes_sectors);
	return 0;
}

/*
 * 6.1 also schedules a partition rescan at the next open; 6.12 does not,
 * and xloop follows 6.12 (partitions change only when asked for).
 */
static inline void xloop_media_change(struct gendisk *disk)
{
	disk_force_media_change(disk, DISK_EVENT_MEDIA_CHANGE);
	clear_bit(GD_NEED_PART_SCAN, &disk->state);
}
#endif

/*
 * Does the file take buffered writes with IOCB_NOWAIT (returning -EAGAIN
 * where it would block)?  6.9 moved the capability from f_mode to the
 * file_operations' fop_flags.
 */
#ifdef FOP_BUFFER_WASYNC
static inline bool xloop_file_nowait_buffered_write(struct file *file)
{
	return file->f_op->fop_flags & FOP_BUFFER_WASYNC;
}
#else
static inline bool xloop_file_nowait_buffered_write(struct file *file)
{
	return file->f_mode & FMODE_BUF_WASYNC;
}
#endif

/*
 * xminix: the file system's side.  6.3 passes a struct mnt_idmap where 6.1
 * passed a struct user_namespace; the idmap-free calls use the identity.
 */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#define xminix_idmap		mnt_idmap
#define XMINIX_NOP_IDMAP	(&nop_mnt_idmap)
#else
#define xminix_idmap		user_namespace
#define XMINIX_NOP_IDMAP	(&init_user_ns)
#endif

/* 6.6: generic_fillattr() takes the request mask. */
static inline void xminix_fillattr(struct xminix_idmap *idmap, u32 request_mask,
				   struct inode *inode, struct kstat *stat)
{
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
	generic_fillattr(idmap, request_mask, inode, stat);
#else
	generic_fillattr(idmap, inode, stat);
#endif
}

/*
 * 6.7 hid atime and mtime behind accessors (Debian's 6.1 has the ctime ones
 * already).  Minix keeps whole seconds.
 */
static inline time64_t xminix_get_atime(const struct inode *inode)
{
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
	return inode_get_atime_sec(inode);
#else
	return inode->i_atime.tv_sec;
#endif
}

static inline time64_t xminix_get_mtime(const struct inode *inode)
{
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
	return inode_get_mtime_sec(inode);
#else
	return inode->i_mtime.tv_sec;
#endif
}

static inline void xminix_set_atime(struct inode *inode, time64_t sec)
{
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
	inode_set_atime(inode, sec, 0);
#else
	inode->i_atime.tv_sec = sec;
	inode->i_atime.tv_nsec = 0;
#endif
}

static inline void xminix_set_mtime(struct inode *inode, time64_t sec)
{
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
	inode_set_mtime(inode, sec, 0);
#else
	inode->i_mtime.tv_sec = sec;
	inode->i_mtime.tv_nsec = 0;
#endif
}

/* Now, as the new mtime and ctime of a changed directory. */
static inline void xminix_touch_mc(struct inode *inode)
{
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
#else
	inode->i_mtime = inode_set_ctime_current(inode);
#endif
}

/* A new inode's atime, mtime and ctime: now. */
static inline void xminix_init_times(struct inode *inode)
{
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
	simple_inode_init_ts(inode);
#else
	inode->i_mtime = inode_set_ctime_current(inode);
	inode->i_atime = inode->i_mtime;
#endif
}

/* 6.12: ->write_begin() hands back a folio, not a page. */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#define xminix_write_page	folio
#else
#define xminix_write_page	page
#endif

/* 6.12: __block_write_begin() and block_write_end() take the folio. */
static inline int xminix_block_write_begin(struct folio *folio, loff_t pos,
					   unsigned int len,
					   get_block_t *get_block)
{
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
	return __block_write_begin(folio, pos, len, get_block);
#else
	return __block_write_begin(&folio->page, pos, len, get_block);
#endif
}

static inline void xminix_block_write_end(struct folio *folio, loff_t pos,
					  unsigned int len)
{
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
	block_write_end(NULL, folio->mapping, pos, len, len, folio, NULL);
#else
	block_write_end(NULL, folio->mapping, pos, len, len, &folio->page, NULL);
#endif
}

/* 6.5: generic_file_splice_read() gave way to filemap_splice_read(). */
#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
#define xminix_splice_read	filemap_splice_read
#else
#define xminix_splice_read	generic_file_splice_read
#endif

#endif /* XLOOP_COMPAT_H */
