// SPDX-License-Identifier: GPL-2.0
/*
 * xminix: directories, arrays of fixed-size entries ({inode, name}: 16, 32
 * or 64 bytes) in the directory's zones, read and written as block-device
 * buffers.  A new entry takes the first free slot, else goes at the end, as
 * minix.ko does; a removed entry only has its inode number cleared.  Entry
 * 0 is ".", entry 1 "..".  Holes read as free slots.  Entries are changed
 * with the directory locked for writing (the VFS's i_rwsem), and with the
 * buffer locked so that writeback never sees half an entry.
 */
#include "xminix.h"

static unsigned int xminix_ino_width(struct super_block *sb)
{
	return xminix_sb(sb)->geo.version == 3 ? 4 : 2;
}

unsigned long xminix_dirent_ino(struct super_block *sb, const void *de)
{
	if (xminix_sb(sb)->geo.version == 3)
		return le32_to_cpu(*(const __le32 *)de);
	return le16_to_cpu(*(const __le16 *)de);
}

static void xminix_dirent_set_ino(struct super_block *sb, void *de,
				  unsigned long ino)
{
	if (xminix_sb(sb)->geo.version == 3)
		*(__le32 *)de = cpu_to_le32(ino);
	else
		*(__le16 *)de = cpu_to_le16(ino);
}

static const char *xminix_dirent_name(struct super_block *sb, const void *de,
				      unsigned int *len)
{
	const char *name = de + xminix_ino_width(sb);

	*len = strnlen(name, xminix_sb(sb)->name_len);
	return name;
}

/* After a change of @dir's entries: mtime and ctime now. */
void xminix_dir_changed(struct inode *dir)
{
	xminix_touch_mc(dir);
	mark_inode_dirty(dir);
}

/*
 * Block @n of directory @dir, referenced: NULL for a hole (with 0 in @err)
 * or a failure.  With @create, a hole gets a zone, zero-filled.
 */
static struct buffer_head *xminix_dir_block(struct inode *dir, u64 n,
					    bool create, int *err)
{
	struct buffer_head *bh;
	bool fresh;
	u32 zone;

	*err = xminix_map_block(dir, n, create, &zone, &fresh);
	if (*err || !zone)
		return NULL;
	if (!fresh) {
		bh = sb_bread(dir->i_sb, zone);
		if (!bh)
			*err = -EIO;
		return bh;
	}
	bh = xminix_zeroed_block(dir, zone);
	if (!bh)
		*err = -ENOMEM;
	return bh;
}

/* Bytes of block @n that lie within @dir's size. */
static unsigned int xminix_dir_block_bytes(struct inode *dir, u64 n)
{
	u64 start = n << dir->i_sb->s_blocksize_bits;
	u64 size = i_size_read(dir);

	return min_t(u64, dir->i_sb->s_blocksize, size - start);
}

static u64 xminix_dir_blocks(struct inode *dir)
{
	return DIV_ROUND_UP_ULL(i_size_read(dir), dir->i_sb->s_blocksize);
}

/* An entry changed: write it out now if the directory is synchronous. */
static int xminix_dirent_written(struct inode *dir, struct buffer_head *bh)
{
	int err = 0;

	mark_buffer_dirty_inode(bh, dir);
	if (IS_DIRSYNC(dir)) {
		err = sync_dirty_buffer(bh);
		if (!err)
			err = sync_inode_metadata(dir, 1);
	}
	return err;
}

static int xminix_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	struct super_block *sb = dir->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	unsigned int size = sbi->dirent_size, off, bytes, len;
	struct buffer_head *bh;
	unsigned long ino;
	const char *name;
	u64 n;
	int err;

	ctx->pos = round_up(ctx->pos, size);
	for (n = ctx->pos >> sb->s_blocksize_bits; n < xminix_dir_blocks(dir);
	     n++) {
		bytes = xminix_dir_block_bytes(dir, n);
		off = ctx->pos & (sb->s_blocksize - 1);
		bh = xminix_dir_block(dir, n, false, &err);
		if (err)
			return err;
		for (; off < bytes; off += size, ctx->pos += size) {
			if (!bh)
				continue;
			ino = xminix_dirent_ino(sb, bh->b_data + off);
			if (!ino)
				continue;
			name = xminix_dirent_name(sb, bh->b_data + off, &len);
			if (ino > sbi->geo.ninodes || !len ||
			    memchr(name, '/', len)) {
				xminix_corrupt(sb, dir->i_ino,
					       "bad entry at %llu (inode %lu)",
					       ctx->pos, ino);
				continue;
			}
			if (!dir_emit(ctx, name, len, ino, DT_UNKNOWN)) {
				brelse(bh);
				return 0;
			}
		}
		brelse(bh);
		/* The next block starts where this one ends. */
		ctx->pos = (n + 1) << sb->s_blocksize_bits;
	}
	return 0;
}

/*
 * Look for @name in @dir: 0 with its entry in @ref (buffer referenced, for
 * the caller to brelse) and its inode number in @ino, or -ENOENT.
 */
int xminix_find_entry(struct inode *dir, const struct qstr *name,
		      struct xminix_dirent_ref *ref, unsigned long *ino)
{
	struct super_block *sb = dir->i_sb;
	unsigned int size = xminix_sb(sb)->dirent_size, off, bytes, len;
	struct buffer_head *bh;
	const char *found;
	u64 n;
	int err;

	for (n = 0; n < xminix_dir_blocks(dir); n++) {
		bh = xminix_dir_block(dir, n, false, &err);
		if (err)
			return err;
		if (!bh)
			continue;
		bytes = xminix_dir_block_bytes(dir, n);
		for (off = 0; off < bytes; off += size) {
			void *de = bh->b_data + off;

			if (!xminix_dirent_ino(sb, de))
				continue;
			found = xminix_dirent_name(sb, de, &len);
			if (len == name->len && !memcmp(found, name->name, len)) {
				ref->bh = bh;
				ref->de = de;
				*ino = xminix_dirent_ino(sb, de);
				return 0;
			}
		}
		brelse(bh);
	}
	return -ENOENT;
}

/* Fill the entry @de with @name and @ino.  The buffer is locked. */
static void xminix_fill_dirent(struct super_block *sb, void *de,
			       const struct qstr *name, unsigned long ino)
{
	unsigned int width = xminix_ino_width(sb);

	memset(de + width, 0, xminix_sb(sb)->name_len);
	memcpy(de + width, name->name, name->len);
	xminix_dirent_set_ino(sb, de, ino);
}

/*
 * Add @name -> @ino to @dir: in the first free slot, else at the end (a new
 * zone when the last one is full).  -EEXIST if @name is there.
 */
int xminix_add_entry(struct inode *dir, const struct qstr *name,
		     unsigned long ino)
{
	struct super_block *sb = dir->i_sb;
	unsigned int size = xminix_sb(sb)->dirent_size, off, bytes, len;
	struct buffer_head *bh;
	loff_t pos = -1;
	const char *have;
	u64 n;
	int err;

	if (name->len > xminix_sb(sb)->name_len)
		return -ENAMETOOLONG;
	for (n = 0; n < xminix_dir_blocks(dir); n++) {
		bh = xminix_dir_block(dir, n, false, &err);
		if (err)
			return err;
		bytes = xminix_dir_block_bytes(dir, n);
		if (!bh) {
			if (pos < 0)
				pos = n << sb->s_blocksize_bits;
			continue;
		}
		for (off = 0; off < bytes; off += size) {
			void *de = bh->b_data + off;

			if (!xminix_dirent_ino(sb, de)) {
				if (pos < 0)
					pos = (n << sb->s_blocksize_bits) + off;
				continue;
			}
			have = xminix_dirent_name(sb, de, &len);
			if (len == name->len && !memcmp(have, name->name, len)) {
				brelse(bh);
				return -EEXIST;
			}
		}
		brelse(bh);
	}
	if (pos < 0)
		pos = i_size_read(dir);
	if (pos + size > dir->i_sb->s_maxbytes)
		return -ENOSPC;

	bh = xminix_dir_block(dir, pos >> sb->s_blocksize_bits, true, &err);
	if (!bh)
		return err;
	off = pos & (sb->s_blocksize - 1);
	lock_buffer(bh);
	xminix_fill_dirent(sb, bh->b_data + off, name, ino);
	unlock_buffer(bh);
	if (pos + size > i_size_read(dir))
		i_size_write(dir, pos + size);
	xminix_dir_changed(dir);
	err = xminix_dirent_written(dir, bh);
	brelse(bh);
	return err;
}

/*
 * Point the entry @ref names at @ino; 0 frees the slot (the name stays, as
 * minix.ko leaves it).  Its buffer is released.
 */
void xminix_set_entry(struct inode *dir, struct xminix_dirent_ref *ref,
		      unsigned long ino)
{
	lock_buffer(ref->bh);
	xminix_dirent_set_ino(dir->i_sb, ref->de, ino);
	unlock_buffer(ref->bh);
	xminix_dir_changed(dir);
	xminix_dirent_written(dir, ref->bh);
	brelse(ref->bh);
	ref->bh = NULL;
}

/* The first zone (new, so zero-filled) of a new directory @inode in @dir. */
int xminix_make_empty(struct inode *inode, struct inode *dir)
{
	struct super_block *sb = inode->i_sb;
	unsigned int size = xminix_sb(sb)->dirent_size;
	const struct qstr dot = QSTR_INIT(".", 1), dotdot = QSTR_INIT("..", 2);
	struct buffer_head *bh;
	int err;

	bh = xminix_dir_block(inode, 0, true, &err);
	if (!bh)
		return err ? err : -EIO;
	lock_buffer(bh);
	xminix_fill_dirent(sb, bh->b_data, &dot, inode->i_ino);
	xminix_fill_dirent(sb, bh->b_data + size, &dotdot, dir->i_ino);
	unlock_buffer(bh);
	i_size_write(inode, 2 * size);
	mark_inode_dirty(inode);
	err = xminix_dirent_written(inode, bh);
	brelse(bh);
	return err;
}

/* 1 if @inode has no entries but "." (itself) and "..", 0 if it has. */
int xminix_dir_is_empty(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	unsigned int size = xminix_sb(sb)->dirent_size, off, bytes, len;
	struct buffer_head *bh;
	unsigned long ino;
	const char *name;
	u64 n;
	int err;

	for (n = 0; n < xminix_dir_blocks(inode); n++) {
		bh = xminix_dir_block(inode, n, false, &err);
		if (err)
			return err;
		if (!bh)
			continue;
		bytes = xminix_dir_block_bytes(inode, n);
		for (off = 0; off < bytes; off += size) {
			ino = xminix_dirent_ino(sb, bh->b_data + off);
			if (!ino)
				continue;
			name = xminix_dirent_name(sb, bh->b_data + off, &len);
			if ((len == 1 && name[0] == '.' && ino == inode->i_ino) ||
			    (len == 2 && name[0] == '.' && name[1] == '.'))
				continue;
			brelse(bh);
			return 0;
		}
		brelse(bh);
	}
	return 1;
}

/* The ".." entry of @dir (entry 1): its slot in @ref and its inode number. */
int xminix_dotdot(struct inode *dir, struct xminix_dirent_ref *ref,
		  unsigned long *ino)
{
	struct super_block *sb = dir->i_sb;
	unsigned int size = xminix_sb(sb)->dirent_size, len;
	struct buffer_head *bh;
	const char *name;
	int err;

	bh = xminix_dir_block(dir, 0, false, &err);
	if (err)
		return err;
	if (bh) {
		name = xminix_dirent_name(sb, bh->b_data + size, &len);
		*ino = xminix_dirent_ino(sb, bh->b_data + size);
		if (len == 2 && name[0] == '.' && name[1] == '.' && *ino) {
			ref->bh = bh;
			ref->de = bh->b_data + size;
			return 0;
		}
		brelse(bh);
	}
	xminix_corrupt(sb, dir->i_ino, "directory without \"..\" in entry 1");
	return -EFSCORRUPTED;
}

void xminix_delete_entry(struct inode *dir, struct xminix_dirent_ref *ref)
{
	xminix_set_entry(dir, ref, 0);
}

const struct file_operations xminix_dir_operations = {
	.llseek = generic_file_llseek,
	.read = generic_read_dir,
	.iterate_shared = xminix_readdir,
	.fsync = generic_file_fsync,
};
