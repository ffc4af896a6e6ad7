// SPDX-License-Identifier: GPL-2.0
/*
 * xminix: regular files and symbolic links through the page cache, mapped
 * by xminix_get_block(); the generic helpers do the rest.
 */
#include "xminix.h"

#include <linux/mpage.h>
#include <linux/pagemap.h>

static int xminix_read_folio(struct file *file, struct folio *folio)
{
	return block_read_full_folio(folio, xminix_get_block);
}

/* Readahead in bios of many blocks where zones are contiguous. */
static void xminix_readahead(struct readahead_control *rac)
{
	mpage_readahead(rac, xminix_get_block);
}

static int xminix_writepages(struct address_space *mapping,
			     struct writeback_control *wbc)
{
	if (xminix_stopped(mapping->host->i_sb))
		return -EROFS;
	return mpage_writepages(mapping, wbc, xminix_get_block);
}

/*
 * A write that failed, or copied less than ->write_begin() mapped, may have
 * left zones past the end: free them, so that no later extension shows
 * their old contents and fsck finds none there.
 */
static void xminix_write_failed(struct address_space *mapping, loff_t to)
{
	struct inode *inode = mapping->host;

	if (to > inode->i_size) {
		truncate_pagecache(inode, inode->i_size);
		xminix_truncate(inode);
	}
}

/*
 * A write(2) changes the image one page at a time, each page a change of
 * its own (xminix_change_begin()) from ->write_begin() to ->write_end():
 * between them nothing faults, and only the cleanup of a failed or short
 * copy waits for writeback (of the page at the end), so a remount to
 * read-only waits for at most one page per writer, never for a writer
 * throttled in balance_dirty_pages() or stalled on its source buffer.
 * Only writes through a file come here with @file set; page_symlink()
 * passes none and is inside its own change already.
 */
static int xminix_write_begin(struct file *file, struct address_space *mapping,
			      loff_t pos, unsigned int len,
			      struct xminix_write_page **pagep, void **fsdata)
{
	struct super_block *sb = mapping->host->i_sb;
	int err;

	if (file) {
		err = xminix_change_begin(sb);
		if (err)
			return err;
	}
	err = block_write_begin(mapping, pos, len, pagep, xminix_get_block);
	if (unlikely(err)) {
		xminix_write_failed(mapping, pos + len);
		if (file)
			xminix_change_end(sb);
	}
	return err;
}

static int xminix_write_end(struct file *file, struct address_space *mapping,
			    loff_t pos, unsigned int len, unsigned int copied,
			    struct xminix_write_page *page, void *fsdata)
{
	int ret = generic_write_end(file, mapping, pos, len, copied, page,
				    fsdata);

	/*
	 * A short copy (the source page went between the fault-in and the
	 * copy): the caller retries, or fails with EFAULT, in a change of
	 * its own, which a remount to read-only may refuse.
	 */
	xminix_write_failed(mapping, pos + len);
	if (file)
		xminix_change_end(mapping->host->i_sb);
	return ret;
}

/*
 * A write through a descriptor opened before a remount to read-only fails
 * here before it changes the file's times; ->write_begin() decides for
 * each page.
 */
static ssize_t xminix_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	if (xminix_read_only(inode->i_sb))
		return -EROFS;
	return generic_file_write_iter(iocb, from);
}

/*
 * O_DIRECT, between the user's pages and zones the file already has.  A
 * direct write allocates nothing and never moves the end of the file: what
 * would (a hole, the end) comes back unwritten and the generic code writes
 * it through the page cache, as one change per page (above).  So a direct
 * write holds no change open while it pins the caller's pages.
 */
static int xminix_get_block_mapped(struct inode *inode, sector_t block,
				   struct buffer_head *bh, int create)
{
	return xminix_get_block(inode, block, bh, 0);
}

static ssize_t xminix_direct_io(struct kiocb *iocb, struct iov_iter *iter)
{
	struct inode *inode = iocb->ki_filp->f_mapping->host;

	if (iov_iter_rw(iter) == WRITE &&
	    iocb->ki_pos + iov_iter_count(iter) > i_size_read(inode))
		return 0;
	return blockdev_direct_IO(iocb, inode, iter, xminix_get_block_mapped);
}

static sector_t xminix_bmap(struct address_space *mapping, sector_t block)
{
	return generic_block_bmap(mapping, block, xminix_get_block);
}

const struct address_space_operations xminix_aops = {
	.dirty_folio = block_dirty_folio,
	.invalidate_folio = block_invalidate_folio,
	.read_folio = xminix_read_folio,
	.readahead = xminix_readahead,
	.writepages = xminix_writepages,
	.write_begin = xminix_write_begin,
	.write_end = xminix_write_end,
	.migrate_folio = buffer_migrate_folio,
	.bmap = xminix_bmap,
	.direct_IO = xminix_direct_io,
	.is_partially_uptodate = block_is_partially_uptodate,
};

const struct file_operations xminix_file_operations = {
	.llseek = generic_file_llseek,
	.read_iter = generic_file_read_iter,
	.write_iter = xminix_write_iter,
	.mmap = generic_file_mmap,
	.fsync = generic_file_fsync,
	.splice_read = xminix_splice_read,
	.splice_write = iter_file_splice_write,
};

const struct inode_operations xminix_file_inode_operations = {
	.setattr = xminix_setattr,
	.getattr = xminix_getattr,
};

const struct inode_operations xminix_symlink_inode_operations = {
	.get_link = page_get_link,
	.getattr = xminix_getattr,
	.setattr = xminix_setattr,
};

const struct inode_operations xminix_special_inode_operations = {
	.setattr = xminix_setattr,
	.getattr = xminix_getattr,
};
