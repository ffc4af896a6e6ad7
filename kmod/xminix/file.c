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

static int xminix_writepages(struct address_space *mapping,
			     struct writeback_control *wbc)
{
	return mpage_writepages(mapping, wbc, xminix_get_block);
}

/* A write that failed past the end may have left zones there: free them. */
static void xminix_write_failed(struct address_space *mapping, loff_t to)
{
	struct inode *inode = mapping->host;

	if (to > inode->i_size) {
		truncate_pagecache(inode, inode->i_size);
		xminix_truncate(inode);
	}
}

static int xminix_write_begin(struct file *file, struct address_space *mapping,
			      loff_t pos, unsigned int len,
			      struct xminix_write_page **pagep, void **fsdata)
{
	int err = block_write_begin(mapping, pos, len, pagep, xminix_get_block);

	if (unlikely(err))
		xminix_write_failed(mapping, pos + len);
	return err;
}

static sector_t xminix_bmap(struct address_space *mapping, sector_t block)
{
	return generic_block_bmap(mapping, block, xminix_get_block);
}

const struct address_space_operations xminix_aops = {
	.dirty_folio = block_dirty_folio,
	.invalidate_folio = block_invalidate_folio,
	.read_folio = xminix_read_folio,
	.writepages = xminix_writepages,
	.write_begin = xminix_write_begin,
	.write_end = generic_write_end,
	.migrate_folio = buffer_migrate_folio,
	.bmap = xminix_bmap,
	/* O_DIRECT opens, and its I/O goes through the page cache. */
	.direct_IO = noop_direct_IO,
	.is_partially_uptodate = block_is_partially_uptodate,
};

const struct file_operations xminix_file_operations = {
	.llseek = generic_file_llseek,
	.read_iter = generic_file_read_iter,
	.write_iter = generic_file_write_iter,
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
};

const struct inode_operations xminix_special_inode_operations = {
	.setattr = xminix_setattr,
	.getattr = xminix_getattr,
};
