// SPDX-License-Identifier: GPL-2.0
/*
 * xminix: the inode and zone bitmaps.  Allocation takes the lowest free bit,
 * as minix.ko does (so both leave the same image), but only among the bits
 * that name an inode or zone: bit 0 and the padding past the last one are
 * never handed out.  The bitmap blocks stay in memory while mounted
 * (xminix_sb_info.imap/zmap); their bits change under bitmap_lock.
 */
#include <linux/bitops.h>
#include <linux/string.h>

#include "xminix.h"

static unsigned long xminix_bits_per_block(struct super_block *sb)
{
	return sb->s_blocksize * 8UL;
}

/*
 * The lowest clear bit in [1, @last] of @map, set; 0 if there is none.
 * Called with bitmap_lock held; @dirty gets the block that changed.
 */
static unsigned long xminix_take_bit(struct super_block *sb,
				     struct buffer_head **map,
				     unsigned long last,
				     struct buffer_head **dirty)
{
	unsigned long per_block = xminix_bits_per_block(sb);
	unsigned long i, first, end, bit;

	for (i = 0; i * per_block <= last; i++) {
		first = i ? 0 : 1;
		end = min(per_block, last - i * per_block + 1);
		bit = find_next_zero_bit_le(map[i]->b_data, end, first);
		if (bit < end) {
			__set_bit_le(bit, map[i]->b_data);
			*dirty = map[i];
			return i * per_block + bit;
		}
	}
	return 0;
}

/* Clear bit @nr of @map; false if it was clear already.  bitmap_lock held. */
static bool xminix_put_bit(struct super_block *sb, struct buffer_head **map,
			   unsigned long nr, struct buffer_head **dirty)
{
	unsigned long per_block = xminix_bits_per_block(sb);
	struct buffer_head *bh = map[nr / per_block];

	*dirty = bh;
	return __test_and_clear_bit_le(nr % per_block, bh->b_data);
}

/* Zero bits among the first @bits of @map (bit 0 included). */
static unsigned long xminix_count_zero(struct super_block *sb,
				       struct buffer_head **map,
				       unsigned long bits)
{
	unsigned long per_block = xminix_bits_per_block(sb);
	unsigned long zero = 0, i, n, b;

	for (i = 0; i * per_block < bits; i++) {
		const u8 *data = (const u8 *)map[i]->b_data;

		n = min(per_block, bits - i * per_block);
		zero += (n / 8) * 8 - memweight(data, n / 8);
		for (b = n & ~7UL; b < n; b++)
			zero += !test_bit_le(b, data);
	}
	return zero;
}

unsigned long xminix_count_free_zones(struct super_block *sb)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);

	return xminix_count_zero(sb, sbi->zmap,
				 xminix_data_zones(&sbi->geo) + 1UL);
}

unsigned long xminix_count_free_inodes(struct super_block *sb)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);

	return xminix_count_zero(sb, sbi->imap, sbi->geo.ninodes + 1UL);
}

/* Are all bits from @from to the end of @blocks blocks of @map set? */
static bool xminix_padding_set(struct super_block *sb, struct buffer_head **map,
			       unsigned int blocks, unsigned long from)
{
	unsigned long per_block = xminix_bits_per_block(sb);
	unsigned long i;

	for (i = from / per_block; i < blocks; i++) {
		unsigned long start = i == from / per_block ? from % per_block : 0;

		if (find_next_zero_bit_le(map[i]->b_data, per_block, start) <
		    per_block)
			return false;
	}
	return true;
}

/*
 * At mount: bit 0 of both maps is reserved and set (in memory, as minix.ko
 * does), and the padding past the last inode and zone must be set, as
 * mkfs.minix leaves it: a clear padding bit would count as free space.
 */
int xminix_check_bitmaps(struct super_block *sb)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);

	__set_bit_le(0, sbi->imap[0]->b_data);
	__set_bit_le(0, sbi->zmap[0]->b_data);
	if (!xminix_padding_set(sb, sbi->imap, sbi->geo.imap_blocks,
				sbi->geo.ninodes + 1UL) ||
	    !xminix_padding_set(sb, sbi->zmap, sbi->geo.zmap_blocks,
				xminix_data_zones(&sbi->geo) + 1UL))
		return -EFSCORRUPTED;
	return 0;
}

/* A free zone for @inode's data or zone tree: the lowest one. */
int xminix_new_zone(struct inode *inode, u32 *zone)
{
	struct super_block *sb = inode->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct buffer_head *dirty = NULL;
	unsigned long bit = 0;
	bool no_alloc;

	mutex_lock(&sbi->free_lock);
	spin_lock(&sbi->bitmap_lock);
	no_alloc = sbi->no_alloc;
	if (!no_alloc)
		bit = xminix_take_bit(sb, sbi->zmap,
				      xminix_data_zones(&sbi->geo), &dirty);
	spin_unlock(&sbi->bitmap_lock);
	mutex_unlock(&sbi->free_lock);
	if (!bit)
		return no_alloc ? -EROFS : -ENOSPC;
	xminix_dirty_held(dirty);
	*zone = sbi->geo.first_data_zone + bit - 1;
	return 0;
}

/* Allocation stops (@on: read-only from now) or resumes. */
void xminix_set_no_alloc(struct super_block *sb, bool on)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);

	spin_lock(&sbi->bitmap_lock);
	sbi->no_alloc = on;
	spin_unlock(&sbi->bitmap_lock);
}

/* Read-only, or on the way there: nothing may change the image. */
bool xminix_read_only(struct super_block *sb)
{
	return sb_rdonly(sb) || READ_ONCE(xminix_sb(sb)->no_alloc);
}

/* Is inode @ino (1..s_ninodes) marked in use? */
bool xminix_inode_in_use(struct super_block *sb, unsigned long ino)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);
	unsigned long per_block = xminix_bits_per_block(sb);

	return test_bit_le(ino % per_block, sbi->imap[ino / per_block]->b_data);
}

/* Is @zone, a data zone, marked in use? */
bool xminix_zone_in_use(struct super_block *sb, u32 zone)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);
	unsigned long per_block = xminix_bits_per_block(sb);
	unsigned long bit = zone - sbi->geo.first_data_zone + 1;

	return test_bit_le(bit % per_block, sbi->zmap[bit / per_block]->b_data);
}

/*
 * Give @zone back.  A cached block-device buffer of it (an indirect or
 * directory block) is forgotten, so that a write of it cannot land on the
 * zone's next owner.
 */
void xminix_free_zone(struct inode *inode, u32 zone)
{
	struct super_block *sb = inode->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct buffer_head *dirty, *bh;
	bool was_set;

	if (!xminix_zone_valid(sbi, zone)) {
		xminix_corrupt(sb, inode->i_ino,
			       "freeing zone %u outside the data zones", zone);
		return;
	}
	bh = sb_find_get_block(sb, zone);
	if (bh)
		bforget(bh);
	spin_lock(&sbi->bitmap_lock);
	was_set = xminix_put_bit(sb, sbi->zmap,
				 zone - sbi->geo.first_data_zone + 1, &dirty);
	spin_unlock(&sbi->bitmap_lock);
	xminix_dirty_held(dirty);
	if (!was_set)
		xminix_corrupt(sb, inode->i_ino, "zone %u was free already",
			       zone);
}

/*
 * A new inode in @dir: the lowest free inode number, owner and mode as the
 * VFS says, times now, no zones.  Returned unlocked and hashed.
 */
struct inode *xminix_new_inode(struct xminix_idmap *idmap, struct inode *dir,
			       umode_t mode)
{
	struct super_block *sb = dir->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct buffer_head *dirty = NULL;
	struct inode *inode;
	unsigned long ino = 0;
	bool no_alloc;

	inode = new_inode(sb);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	spin_lock(&sbi->bitmap_lock);
	no_alloc = sbi->no_alloc;
	if (!no_alloc)
		ino = xminix_take_bit(sb, sbi->imap, sbi->geo.ninodes, &dirty);
	spin_unlock(&sbi->bitmap_lock);
	if (!ino) {
		iput(inode);
		return ERR_PTR(no_alloc ? -EROFS : -ENOSPC);
	}
	xminix_dirty_held(dirty);
	inode_init_owner(idmap, inode, dir, mode);
	inode->i_ino = ino;
	inode->i_blocks = 0;
	xminix_init_times(inode);
	memset(xminix_i(inode)->i_zone, 0, sizeof(xminix_i(inode)->i_zone));
	/* Waits for an inode of that number still being evicted. */
	if (insert_inode_locked(inode) < 0) {
		xminix_corrupt(sb, ino, "in use, but free in the inode bitmap");
		make_bad_inode(inode);
		iput(inode);
		return ERR_PTR(-EFSCORRUPTED);
	}
	mark_inode_dirty(inode);
	unlock_new_inode(inode);
	return inode;
}

/* Write "free" into @inode's slot in the inode table: mode and links 0. */
static void xminix_clear_raw_inode(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	unsigned long idx = inode->i_ino - 1;
	struct buffer_head *bh;

	bh = sb_bread(sb, xminix_inode_table_block(&sbi->geo) +
			  idx / sbi->inodes_per_block);
	if (!bh) {
		pr_err_ratelimited("xminix (%s): inode %lu: cannot read its inode table block\n",
				   sb->s_id, inode->i_ino);
		return;
	}
	if (sbi->geo.version == 1) {
		struct xminix_inode *raw = (struct xminix_inode *)bh->b_data +
					   idx % sbi->inodes_per_block;

		raw->i_mode = 0;
		raw->i_nlinks = 0;
	} else {
		struct xminix2_inode *raw = (struct xminix2_inode *)bh->b_data +
					    idx % sbi->inodes_per_block;

		raw->i_mode = 0;
		raw->i_nlinks = 0;
	}
	mark_buffer_dirty(bh);
	brelse(bh);
}

/* @inode (no links, no zones left) is gone: its slot and bit are free. */
void xminix_free_inode(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct buffer_head *dirty;
	bool was_set;

	xminix_clear_raw_inode(inode);
	spin_lock(&sbi->bitmap_lock);
	was_set = xminix_put_bit(sb, sbi->imap, inode->i_ino, &dirty);
	spin_unlock(&sbi->bitmap_lock);
	xminix_dirty_held(dirty);
	if (!was_set)
		xminix_corrupt(sb, inode->i_ino,
			       "free already in the inode bitmap");
}
