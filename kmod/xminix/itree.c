// SPDX-License-Identifier: GPL-2.0
/*
 * xminix: file block -> zone, through 7 direct pointers and single, double
 * and (V2/V3) triple indirect blocks; 16-bit pointers on V1, 32-bit on V2
 * and V3.  Allocation and truncation leave what minix.ko leaves: a missing
 * branch is allocated top-down (indirect blocks, zero-filled, before the
 * data zone), and truncation frees whole subtrees past the cut, an indirect
 * block on the cut's path only when nothing before the cut remains in it.
 *
 * Every pointer read from the disk is checked before it is followed: it
 * must name a data zone, and not a block on its own path.  The tree of an
 * inode changes under its tree_sem, taken for writing; lookups take it for
 * reading.  Task context throughout (buffer reads sleep).
 */
#include "xminix.h"

#define XMINIX_MAX_DEPTH 4

/* One step down a path: the block holding the slot (NULL: the inode). */
struct xminix_step {
	struct buffer_head *bh;
	u32 key;			/* the pointer in the slot */
};

struct xminix_path {
	u32 off[XMINIX_MAX_DEPTH];
	unsigned int depth;
	struct xminix_step step[XMINIX_MAX_DEPTH];
};

static u32 xminix_ptr_get(struct super_block *sb, const void *block, u32 i)
{
	if (xminix_sb(sb)->geo.version == 1)
		return le16_to_cpu(((const __le16 *)block)[i]);
	return le32_to_cpu(((const __le32 *)block)[i]);
}

static void xminix_ptr_put(struct super_block *sb, void *block, u32 i, u32 v)
{
	if (xminix_sb(sb)->geo.version == 1)
		((__le16 *)block)[i] = cpu_to_le16(v);
	else
		((__le32 *)block)[i] = cpu_to_le32(v);
}

static u32 xminix_ptrs_per_block(struct super_block *sb)
{
	return xminix_pointers_per_block(xminix_sb(sb)->geo.version,
					 sb->s_blocksize);
}

/*
 * May @zone, found at @level of @path, be followed?  A data zone that is
 * not already a block higher up on the path (a tree through itself).
 */
static int xminix_check_ptr(struct inode *inode, struct xminix_path *path,
			    unsigned int level, u32 zone)
{
	struct xminix_sb_info *sbi = xminix_sb(inode->i_sb);
	unsigned int i;

	if (!zone)
		return 0;
	if (!xminix_zone_valid(sbi, zone)) {
		xminix_corrupt(inode->i_sb, inode->i_ino,
			       "zone pointer %u outside the data zones %u..%u",
			       zone, sbi->geo.first_data_zone,
			       sbi->geo.nzones - 1);
		return -EFSCORRUPTED;
	}
	for (i = 0; i < level; i++) {
		if (path->step[i].key == zone) {
			xminix_corrupt(inode->i_sb, inode->i_ino,
				       "indirect zone %u points at itself",
				       zone);
			return -EFSCORRUPTED;
		}
	}
	return 0;
}

static void xminix_path_release(struct xminix_path *path)
{
	unsigned int i;

	for (i = 0; i < path->depth; i++) {
		brelse(path->step[i].bh);
		path->step[i].bh = NULL;
	}
}

/*
 * Follow @path from the inode down as far as it goes: the level whose
 * pointer is 0 (a hole), or @path->depth - 1 with a mapped data zone in
 * step[depth - 1].key.  step[i].bh holds the block that holds off[i].
 */
static int xminix_walk(struct inode *inode, struct xminix_path *path,
		       unsigned int *reached)
{
	struct super_block *sb = inode->i_sb;
	unsigned int level = 0;
	u32 zone;
	int err;

	memset(path->step, 0, sizeof(path->step));
	zone = xminix_i(inode)->i_zone[path->off[0]];
	for (;;) {
		err = xminix_check_ptr(inode, path, level, zone);
		if (err)
			return err;
		path->step[level].key = zone;
		if (!zone || level + 1 == path->depth)
			break;
		level++;
		path->step[level].bh = sb_bread(sb, zone);
		if (!path->step[level].bh)
			return -EIO;
		zone = xminix_ptr_get(sb, path->step[level].bh->b_data,
				      path->off[level]);
	}
	*reached = level;
	return 0;
}

/*
 * Does every slot a walk of @path read, down to @reached, still hold the
 * pointer it read there?  Then the walk's result stands and need not be
 * read again.  The buffers @path holds stay the block device's only ones
 * for their zones, so a zone freed and reused since is read through the
 * same buffer: equal pointers all the way down are the same branch.
 * Called with tree_sem held for writing.
 */
static bool xminix_path_intact(struct inode *inode,
			       const struct xminix_path *path,
			       unsigned int reached)
{
	unsigned int level;

	if (xminix_i(inode)->i_zone[path->off[0]] != path->step[0].key)
		return false;
	for (level = 1; level <= reached; level++)
		if (xminix_ptr_get(inode->i_sb, path->step[level].bh->b_data,
				   path->off[level]) != path->step[level].key)
			return false;
	return true;
}

/*
 * The buffer of a zone just given to @inode (an indirect
 * block): zero-filled, dirty, tied to @inode for fsync.
 */
struct buffer_head *xminix_zeroed_block(struct inode *inode, u32 zone)
{
	struct buffer_head *bh = sb_getblk(inode->i_sb, zone);

	if (!bh)
		return NULL;
	lock_buffer(bh);
	memset(bh->b_data, 0, bh->b_size);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	mark_buffer_dirty_inode(bh, inode);
	return bh;
}

/*
 * Allocate the branch missing below @level of @path and splice it in:
 * zones top-down, each new indirect block pointing at the next, the top one
 * written into its slot last.  tree_sem held for writing.
 */
static int xminix_grow(struct inode *inode, struct xminix_path *path,
		       unsigned int level, u32 *data_zone)
{
	struct super_block *sb = inode->i_sb;
	unsigned int count = path->depth - level, i;
	u32 fresh[XMINIX_MAX_DEPTH];
	struct buffer_head *bh;
	int err;

	for (i = 0; i < count; i++) {
		err = xminix_new_zone(inode, &fresh[i]);
		if (err)
			goto out_free;
		if (i == 0)
			continue;
		bh = xminix_zeroed_block(inode, fresh[i - 1]);
		if (!bh) {
			i++;
			err = -ENOMEM;
			goto out_free;
		}
		xminix_ptr_put(sb, bh->b_data, path->off[level + i], fresh[i]);
		brelse(bh);
	}
	if (level == 0) {
		xminix_i(inode)->i_zone[path->off[0]] = fresh[0];
	} else {
		bh = path->step[level].bh;
		xminix_ptr_put(sb, bh->b_data, path->off[level], fresh[0]);
		mark_buffer_dirty_inode(bh, inode);
	}
	inode_set_ctime_current(inode);
	mark_inode_dirty(inode);
	*data_zone = fresh[count - 1];
	return 0;

out_free:
	while (i--)
		xminix_free_zone(inode, fresh[i]);
	return err;
}

static unsigned int xminix_to_path(struct inode *inode, u64 block,
				   struct xminix_path *path)
{
	struct super_block *sb = inode->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);

	path->depth = xminix_block_to_path(sbi->geo.version, sb->s_blocksize,
					   sbi->geo.max_size, block, path->off);
	return path->depth;
}

/*
 * The zone of file block @block of @inode into @zone (0: a hole), allocated
 * when missing if @create (then @fresh says so).  -EFBIG past the largest
 * file when creating.
 */
int xminix_map_block(struct inode *inode, u64 block, bool create, u32 *zone,
		     bool *fresh)
{
	struct xminix_inode_info *xi = xminix_i(inode);
	struct xminix_path path;
	unsigned int reached;
	int err;

	*zone = 0;
	*fresh = false;
	if (!xminix_to_path(inode, block, &path))
		return create ? -EFBIG : 0;
	down_read(&xi->tree_sem);
	err = xminix_walk(inode, &path, &reached);
	if (!err)
		*zone = path.step[reached].key;
	up_read(&xi->tree_sem);
	if (err || *zone || !create)
		goto out;

	down_write(&xi->tree_sem);
	/* Truncation or another allocation may have changed the branch. */
	if (!xminix_path_intact(inode, &path, reached)) {
		xminix_path_release(&path);
		err = xminix_walk(inode, &path, &reached);
	}
	if (!err) {
		*zone = path.step[reached].key;
		if (!*zone) {
			err = xminix_grow(inode, &path, reached, zone);
			*fresh = !err;
		}
	}
	up_write(&xi->tree_sem);
out:
	xminix_path_release(&path);
	return err;
}

/* get_block_t for the page cache: regular files and symlinks. */
int xminix_get_block(struct inode *inode, sector_t block,
		     struct buffer_head *bh, int create)
{
	bool fresh;
	u32 zone;
	int err;

	err = xminix_map_block(inode, block, create, &zone, &fresh);
	if (err)
		return err;
	if (!zone)
		return 0;
	if (fresh)
		set_buffer_new(bh);
	map_bh(bh, inode->i_sb, zone);
	return 0;
}

/*
 * Zones a truncation must not free however a corrupt tree names them: the
 * indirect blocks it keeps on the cut's path, and the ones it is walking
 * down (a subtree through its own ancestors).
 */
struct xminix_keep {
	u32 zone[2 * XMINIX_MAX_DEPTH];
	unsigned int n;
};

static bool xminix_kept(const struct xminix_keep *keep, u32 zone)
{
	unsigned int i;

	for (i = 0; i < keep->n; i++)
		if (keep->zone[i] == zone)
			return true;
	return false;
}

/*
 * Free the subtree below @zone (@depth levels of indirect blocks; 0: a data
 * zone), then @zone.  A zone already free is shared with a tree freed
 * before: corrupt, and not walked again (free_lock keeps anyone from taking
 * it meanwhile).  Pointers inside a freed subtree stay as they are on disk.
 * An indirect block that cannot be read stays allocated, with what it
 * points to.  tree_sem held for writing, and the file system's free_lock.
 */
static void xminix_free_tree(struct inode *inode, u32 zone, unsigned int depth,
			     struct xminix_keep *keep)
{
	struct super_block *sb = inode->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct buffer_head *bh;
	u32 i, child;

	if (!xminix_zone_valid(sbi, zone)) {
		xminix_corrupt(sb, inode->i_ino,
			       "zone pointer %u outside the data zones", zone);
		return;
	}
	if (xminix_kept(keep, zone)) {
		xminix_corrupt(sb, inode->i_ino,
			       "zone %u is also an indirect block above it",
			       zone);
		return;
	}
	if (!xminix_zone_in_use(sb, zone)) {
		xminix_corrupt(sb, inode->i_ino,
			       "zone %u in its tree twice, or free", zone);
		return;
	}
	if (depth > 0) {
		bh = sb_bread(sb, zone);
		if (!bh) {
			pr_err_ratelimited("xminix (%s): inode %lu: cannot read indirect zone %u; its zones stay in use\n",
					   sb->s_id, inode->i_ino, zone);
			return;
		}
		keep->zone[keep->n++] = zone;
		for (i = 0; i < xminix_ptrs_per_block(sb); i++) {
			child = xminix_ptr_get(sb, bh->b_data, i);
			if (child)
				xminix_free_tree(inode, child, depth - 1, keep);
		}
		keep->n--;
		brelse(bh);
	}
	xminix_free_zone(inode, zone);
}

/* Free, in the indirect block @bh, the pointers from @from on. */
static void xminix_free_entries(struct inode *inode, struct buffer_head *bh,
				u32 from, unsigned int depth,
				struct xminix_keep *keep)
{
	struct super_block *sb = inode->i_sb;
	u32 i, child;

	for (i = from; i < xminix_ptrs_per_block(sb); i++) {
		child = xminix_ptr_get(sb, bh->b_data, i);
		if (!child)
			continue;
		xminix_ptr_put(sb, bh->b_data, i, 0);
		mark_buffer_dirty_inode(bh, inode);
		xminix_free_tree(inode, child, depth, keep);
	}
}

static bool xminix_zero_below(struct super_block *sb, struct buffer_head *bh,
			      u32 below)
{
	u32 i;

	for (i = 0; i < below; i++)
		if (xminix_ptr_get(sb, bh->b_data, i))
			return false;
	return true;
}

/*
 * The cut falls inside the indirect tree of slot @path->off[0]: keep what
 * lies before it and free the rest.  The highest block on the path that
 * keeps nothing before the cut is detached from its holder and freed whole;
 * below the blocks that remain, the pointers past the cut are freed.
 */
static int xminix_cut_branch(struct inode *inode, struct xminix_path *path,
			     struct xminix_keep *keep)
{
	struct super_block *sb = inode->i_sb;
	unsigned int n = path->depth, k = n, reached, top, level;
	struct xminix_path part = *path;
	u32 first_free, detached;
	int err;

	/* Trailing zero offsets: the cut is at the start of a subtree. */
	while (k > 1 && path->off[k - 1] == 0)
		k--;
	part.depth = k;
	err = xminix_walk(inode, &part, &reached);
	if (err)
		goto out;
	/* Climb while the holding block keeps nothing before the cut. */
	top = reached;
	while (top > 0 && xminix_zero_below(sb, part.step[top].bh,
					    path->off[top]))
		top--;
	/* The indirect blocks that stay: the holders of levels 1..top. */
	for (level = 0; level < top; level++)
		keep->zone[keep->n++] = part.step[level].key;
	if (top == k - 1 && top > 0) {
		first_free = path->off[top];
	} else {
		detached = part.step[top].key;
		if (top == 0) {
			xminix_i(inode)->i_zone[path->off[0]] = 0;
			mark_inode_dirty(inode);
		} else {
			xminix_ptr_put(sb, part.step[top].bh->b_data,
				       path->off[top], 0);
			mark_buffer_dirty_inode(part.step[top].bh, inode);
		}
		if (detached)
			xminix_free_tree(inode, detached, n - 1 - top, keep);
		first_free = path->off[top] + 1;
	}
	for (level = top; level > 0; level--)
		xminix_free_entries(inode, part.step[level].bh,
				    level == top ? first_free :
				    path->off[level] + 1, n - 1 - level, keep);
out:
	xminix_path_release(&part);
	return err;
}

/* Free every zone of @inode at or past its i_size. */
int xminix_truncate(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct xminix_inode_info *xi = xminix_i(inode);
	unsigned int levels = xminix_tree_levels(sbi->geo.version);
	u64 first_gone = DIV_ROUND_UP_ULL(inode->i_size, sb->s_blocksize);
	struct xminix_keep keep = { .n = 0 };
	struct xminix_path path;
	unsigned int first_whole, i;
	u32 zone;
	int err = 0;

	if (!(S_ISREG(inode->i_mode) || S_ISDIR(inode->i_mode) ||
	      S_ISLNK(inode->i_mode)))
		return 0;
	if (!xminix_to_path(inode, first_gone, &path))
		return 0;
	down_write(&xi->tree_sem);
	mutex_lock(&sbi->free_lock);
	if (path.depth == 1) {
		for (i = path.off[0]; i < XMINIX_DIRECT_ZONES; i++) {
			zone = xi->i_zone[i];
			xi->i_zone[i] = 0;
			if (zone)
				xminix_free_tree(inode, zone, 0, &keep);
		}
		first_whole = 0;
	} else {
		first_whole = path.off[0] + 1 - XMINIX_DIRECT_ZONES;
		err = xminix_cut_branch(inode, &path, &keep);
	}
	for (i = first_whole; !err && i < levels; i++) {
		zone = xi->i_zone[XMINIX_DIRECT_ZONES + i];
		xi->i_zone[XMINIX_DIRECT_ZONES + i] = 0;
		if (zone)
			xminix_free_tree(inode, zone, i + 1, &keep);
	}
	mutex_unlock(&sbi->free_lock);
	up_write(&xi->tree_sem);
	xminix_touch_mc(inode);
	mark_inode_dirty(inode);
	return err;
}
