// SPDX-License-Identifier: GPL-2.0
/*
 * xminix: inodes between the inode table and memory, their attributes and
 * their end.  What the table says is checked on the way in: a number within
 * s_ninodes, a link count, a known file type, a size the type and the file
 * system allow.  Task context throughout.
 */
#include <linux/uidgid.h>
#include <linux/writeback.h>

#include "xminix.h"

/* The inode table block of @ino and the slot in it. */
static struct buffer_head *xminix_raw_inode(struct super_block *sb,
					    unsigned long ino, void **raw)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);
	unsigned long idx = ino - 1;
	struct buffer_head *bh;

	bh = sb_bread(sb, xminix_inode_table_block(&sbi->geo) +
			  idx / sbi->inodes_per_block);
	if (!bh)
		return NULL;
	*raw = bh->b_data + (idx % sbi->inodes_per_block) *
			    xminix_inode_size(sbi->geo.version);
	return bh;
}

void xminix_set_inode_ops(struct inode *inode, dev_t rdev)
{
	if (S_ISREG(inode->i_mode)) {
		inode->i_op = &xminix_file_inode_operations;
		inode->i_fop = &xminix_file_operations;
		inode->i_mapping->a_ops = &xminix_aops;
	} else if (S_ISDIR(inode->i_mode)) {
		inode->i_op = &xminix_dir_inode_operations;
		inode->i_fop = &xminix_dir_operations;
		inode->i_mapping->a_ops = &xminix_aops;
	} else if (S_ISLNK(inode->i_mode)) {
		inode->i_op = &xminix_symlink_inode_operations;
		inode_nohighmem(inode);
		inode->i_mapping->a_ops = &xminix_aops;
	} else {
		inode->i_op = &xminix_special_inode_operations;
		init_special_inode(inode, inode->i_mode, rdev);
	}
}

/* Is what the table holds for @inode possible?  Else say what is wrong. */
static const char *xminix_inode_fault(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	const struct xminix_geometry *geo = &xminix_sb(sb)->geo;
	umode_t mode = inode->i_mode;

	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		return "unknown file type";
	}
	if (inode->i_size < 0 || inode->i_size > sb->s_maxbytes)
		return "size beyond the largest file";
	if (S_ISDIR(mode) && inode->i_size % xminix_sb(sb)->dirent_size)
		return "directory size not a multiple of its entry size";
	if (S_ISDIR(mode) &&
	    inode->i_size < 2 * (loff_t)xminix_sb(sb)->dirent_size)
		return "directory without room for . and ..";
	/* Its scans read every page up to the size: bound it by the disk. */
	if (S_ISDIR(mode) &&
	    inode->i_size > (loff_t)xminix_data_zones(geo) << sb->s_blocksize_bits)
		return "directory larger than the data zones";
	if (S_ISLNK(mode) &&
	    (inode->i_size < 1 || inode->i_size >= sb->s_blocksize))
		return "symbolic link of impossible length";
	return NULL;
}

struct inode *xminix_iget(struct super_block *sb, unsigned long ino)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct xminix_inode_info *xi;
	struct buffer_head *bh;
	struct inode *inode;
	const char *fault;
	unsigned int i;
	void *raw;

	if (ino < 1 || ino > sbi->geo.ninodes) {
		xminix_corrupt(sb, 0, "inode number %lu out of range 1..%u",
			       ino, sbi->geo.ninodes);
		return ERR_PTR(-EFSCORRUPTED);
	}
	inode = iget_locked(sb, ino);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW))
		return inode;
	xi = xminix_i(inode);
	bh = xminix_raw_inode(sb, ino, &raw);
	if (!bh) {
		iget_failed(inode);
		return ERR_PTR(-EIO);
	}
	if (sbi->geo.version == 1) {
		struct xminix_inode *r = raw;

		inode->i_mode = le16_to_cpu(r->i_mode);
		i_uid_write(inode, le16_to_cpu(r->i_uid));
		i_gid_write(inode, r->i_gid);
		set_nlink(inode, r->i_nlinks);
		inode->i_size = le32_to_cpu(r->i_size);
		xminix_set_mtime(inode, le32_to_cpu(r->i_time));
		xminix_set_atime(inode, le32_to_cpu(r->i_time));
		inode_set_ctime(inode, le32_to_cpu(r->i_time), 0);
		for (i = 0; i < XMINIX_V1_ZONES; i++)
			xi->i_zone[i] = le16_to_cpu(r->i_zone[i]);
		xi->i_zone[XMINIX_V1_ZONES] = 0;
	} else {
		struct xminix2_inode *r = raw;

		inode->i_mode = le16_to_cpu(r->i_mode);
		i_uid_write(inode, le16_to_cpu(r->i_uid));
		i_gid_write(inode, le16_to_cpu(r->i_gid));
		set_nlink(inode, le16_to_cpu(r->i_nlinks));
		inode->i_size = le32_to_cpu(r->i_size);
		xminix_set_mtime(inode, le32_to_cpu(r->i_mtime));
		xminix_set_atime(inode, le32_to_cpu(r->i_atime));
		inode_set_ctime(inode, le32_to_cpu(r->i_ctime), 0);
		for (i = 0; i < XMINIX_V2_ZONES; i++)
			xi->i_zone[i] = le32_to_cpu(r->i_zone[i]);
	}
	brelse(bh);
	if (inode->i_nlink == 0)
		fault = "no links: a directory entry names a free inode";
	else if (!xminix_inode_in_use(sb, ino))
		fault = "in use, but free in the inode bitmap";
	else
		fault = xminix_inode_fault(inode);
	if (fault) {
		xminix_corrupt(sb, ino, "%s", fault);
		iget_failed(inode);
		return ERR_PTR(-EFSCORRUPTED);
	}
	inode->i_blocks = 0;
	xminix_set_inode_ops(inode, old_decode_dev(xi->i_zone[0]));
	unlock_new_inode(inode);
	return inode;
}

/* Write @inode into its slot of the inode table (the buffer; sync if asked). */
int xminix_write_inode(struct inode *inode, struct writeback_control *wbc)
{
	struct super_block *sb = inode->i_sb;
	struct xminix_inode_info *xi = xminix_i(inode);
	u16 uid = fs_high2lowuid(i_uid_read(inode));
	u16 gid = fs_high2lowgid(i_gid_read(inode));
	bool special = S_ISCHR(inode->i_mode) || S_ISBLK(inode->i_mode);
	struct buffer_head *bh;
	unsigned int i;
	int err = 0;
	void *raw;

	if (xminix_stopped(sb))
		return -EROFS;
	bh = xminix_raw_inode(sb, inode->i_ino, &raw);
	if (!bh)
		return -EIO;
	if (xminix_sb(sb)->geo.version == 1) {
		struct xminix_inode *r = raw;

		r->i_mode = cpu_to_le16(inode->i_mode);
		r->i_uid = cpu_to_le16(uid);
		r->i_gid = (u8)gid;
		r->i_nlinks = (u8)inode->i_nlink;
		r->i_size = cpu_to_le32(inode->i_size);
		r->i_time = cpu_to_le32(xminix_get_mtime(inode));
		/* A device keeps its number in zone 0; the rest stay as found. */
		if (special)
			r->i_zone[0] = cpu_to_le16(old_encode_dev(inode->i_rdev));
		else
			for (i = 0; i < XMINIX_V1_ZONES; i++)
				r->i_zone[i] = cpu_to_le16(xi->i_zone[i]);
	} else {
		struct xminix2_inode *r = raw;

		r->i_mode = cpu_to_le16(inode->i_mode);
		r->i_uid = cpu_to_le16(uid);
		r->i_gid = cpu_to_le16(gid);
		r->i_nlinks = cpu_to_le16(inode->i_nlink);
		r->i_size = cpu_to_le32(inode->i_size);
		r->i_mtime = cpu_to_le32(xminix_get_mtime(inode));
		r->i_atime = cpu_to_le32(xminix_get_atime(inode));
		r->i_ctime = cpu_to_le32(inode_get_ctime(inode).tv_sec);
		if (special)
			r->i_zone[0] = cpu_to_le32(old_encode_dev(inode->i_rdev));
		else
			for (i = 0; i < XMINIX_V2_ZONES; i++)
				r->i_zone[i] = cpu_to_le32(xi->i_zone[i]);
	}
	mark_buffer_dirty(bh);
	if (wbc->sync_mode == WB_SYNC_ALL && buffer_dirty(bh)) {
		sync_dirty_buffer(bh);
		if (buffer_req(bh) && !buffer_uptodate(bh)) {
			pr_err_ratelimited("xminix (%s): inode %lu: I/O error writing the inode\n",
					   sb->s_id, inode->i_ino);
			err = -EIO;
		}
	}
	brelse(bh);
	return err;
}

/* The last reference went: an unlinked inode gives its zones and slot back. */
void xminix_evict_inode(struct inode *inode)
{
	/* Stopped by errors=remount-ro: an unlinked inode is left to fsck. */
	bool gone = !inode->i_nlink && !is_bad_inode(inode) &&
		    !xminix_stopped(inode->i_sb);

	truncate_inode_pages_final(&inode->i_data);
	if (gone) {
		inode->i_size = 0;
		xminix_truncate(inode);
	}
	invalidate_inode_buffers(inode);
	clear_inode(inode);
	if (gone)
		xminix_free_inode(inode);
}

/*
 * Blocks a file of @size would take, indirect blocks included, if it had no
 * holes: what minix.ko reports as st_blocks (it keeps no block count).
 */
static u64 xminix_dense_blocks(struct super_block *sb, loff_t size)
{
	unsigned int version = xminix_sb(sb)->geo.version;
	u32 per = xminix_pointers_per_block(version, sb->s_blocksize);
	u64 level = DIV_ROUND_UP_ULL(size, sb->s_blocksize);
	u64 total = level;
	unsigned int i;

	/* Pointers needed at each level: direct ones first, then one per block. */
	for (i = 0; i < xminix_tree_levels(version); i++) {
		u64 covered = i ? 1 : XMINIX_DIRECT_ZONES;

		if (level <= covered)
			break;
		level = DIV_ROUND_UP_ULL(level - covered, per);
		total += level;
	}
	return total;
}

int xminix_getattr(struct xminix_idmap *idmap, const struct path *path,
		   struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	struct super_block *sb = inode->i_sb;

	xminix_fillattr(XMINIX_NOP_IDMAP, request_mask, inode, stat);
	stat->blocks = (sb->s_blocksize >> 9) *
		       xminix_dense_blocks(sb, stat->size);
	stat->blksize = sb->s_blocksize;
	return 0;
}

int xminix_setattr(struct xminix_idmap *idmap, struct dentry *dentry,
		   struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int err;

	err = setattr_prepare(XMINIX_NOP_IDMAP, dentry, attr);
	if (err)
		return err;
	/* Also what a descriptor opened before a forced remount may ask. */
	err = xminix_change_begin(inode->i_sb);
	if (err)
		return err;
	if ((attr->ia_valid & ATTR_SIZE) && attr->ia_size != inode->i_size) {
		/* No direct I/O may still be on its way to zones freed here. */
		inode_dio_wait(inode);
		err = inode_newsize_ok(inode, attr->ia_size);
		/* Zero the tail of the last block: it may be read back. */
		if (!err)
			err = block_truncate_page(inode->i_mapping,
						  attr->ia_size,
						  xminix_get_block);
		if (!err) {
			truncate_setsize(inode, attr->ia_size);
			err = xminix_truncate(inode);
		}
	}
	if (!err) {
		setattr_copy(XMINIX_NOP_IDMAP, inode, attr);
		mark_inode_dirty(inode);
	}
	xminix_change_end(inode->i_sb);
	return err;
}
