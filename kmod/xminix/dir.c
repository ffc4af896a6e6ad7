// SPDX-License-Identifier: GPL-2.0
/*
 * xminix: directories, arrays of fixed-size entries ({inode, name}: 16, 32 or
 * 64 bytes) in the directory's zones, kept in the directory's own page cache as
 * minix.ko keeps them: a scan maps one page per PAGE_SIZE of entries, its zones
 * mapped by xminix_get_block() (every pointer range-checked) when the page is
 * read and again at its first change.  A new entry takes the first free slot,
 * else goes at the end, as minix.ko does; a removed entry only has its inode
 * number cleared.  Entry 0 is ".", entry 1 "..".  Holes read as free slots.
 * Entries are changed with the directory locked for writing (the VFS's
 * i_rwsem), and with the folio locked from __block_write_begin() to
 * block_write_end(), so that writeback never sees half an entry.
 */
#include "xminix.h"

#include <linux/pagemap.h>

static unsigned int xminix_ino_width(struct super_block *sb)
{
	return xminix_sb(sb)->geo.version == 3 ? 4 : 2;
}

static unsigned long xminix_dirent_ino(struct super_block *sb, const void *de)
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

/*
 * The used entry for @name (not empty) among the @bytes of entries at @kaddr,
 * or NULL; unless @free is NULL, the first free slot's offset in *@free when it
 * is still -1.  The name field holds @name and, when shorter, a NUL after it.
 * A lookup passes thousands of entries, free ones (which keep their old names)
 * and other names among them, so the loop is built for each inode number width
 * (@width a constant) and for lookups that want no free slot (@free a constant
 * NULL), and tests the cheapest things first: the inode number, the byte after
 * the name, the name's last byte (names in one directory often share a prefix,
 * as file-0001, file-0002, ...), then the rest.
 */
static __always_inline void *xminix_scan_page(void *kaddr, unsigned int bytes,
					      unsigned int size,
					      unsigned int width,
					      unsigned int name_len,
					      const struct qstr *name,
					      int *free)
{
	const unsigned char *want = name->name;
	unsigned int len = name->len, off;

	for (off = 0; off < bytes; off += size) {
		const u8 *de = kaddr + off, *field = de + width;
		u32 ino = width == 4 ? le32_to_cpup((const __le32 *)de) :
				       le16_to_cpup((const __le16 *)de);

		if (!ino) {
			if (free && *free < 0)
				*free = off;
			continue;
		}
		if ((len < name_len && field[len]) ||
		    field[len - 1] != want[len - 1])
			continue;
		if (!memcmp(field, want, len - 1))
			return kaddr + off;
	}
	return NULL;
}

/*
 * xminix_scan_page() for @sb's entry layout.  @name fits an entry and is
 * not empty.  Inlined, so that a constant NULL @free takes its test out of
 * the loop.
 */
static __always_inline void *xminix_page_find(struct super_block *sb,
					      void *kaddr, unsigned int bytes,
					      const struct qstr *name,
					      int *free)
{
	const struct xminix_sb_info *sbi = xminix_sb(sb);

	if (sbi->geo.version == 3)
		return xminix_scan_page(kaddr, bytes, sbi->dirent_size, 4,
					sbi->name_len, name, free);
	return xminix_scan_page(kaddr, bytes, sbi->dirent_size, 2,
				sbi->name_len, name, free);
}

/* After a change of @dir's entries: mtime and ctime now. */
void xminix_dir_changed(struct inode *dir)
{
	xminix_touch_mc(dir);
	mark_inode_dirty(dir);
}

/*
 * Page @index of @dir, read, referenced and mapped into @foliop: its
 * address, or an ERR_PTR (-EIO where a zone pointer of it is corrupt:
 * xminix_get_block() has said which).
 */
static void *xminix_dir_page(struct inode *dir, pgoff_t index,
			     struct folio **foliop)
{
	struct folio *folio = read_mapping_folio(dir->i_mapping, index, NULL);

	if (IS_ERR(folio))
		return ERR_CAST(folio);
	*foliop = folio;
	return kmap_local_folio(folio, 0);
}

static void xminix_dir_put(struct folio *folio, void *kaddr)
{
	kunmap_local(kaddr);
	folio_put(folio);
}

/* Release the page @ref holds, if any. */
void xminix_put_entry(struct xminix_dirent_ref *ref)
{
	if (ref->folio)
		xminix_dir_put(ref->folio, ref->page);
	ref->folio = NULL;
}

static unsigned long xminix_dir_pages(struct inode *dir)
{
	return DIV_ROUND_UP_ULL(i_size_read(dir), PAGE_SIZE);
}

/* Bytes of page @index that lie within @dir's size. */
static unsigned int xminix_dir_page_bytes(struct inode *dir,
					  unsigned long index)
{
	u64 start = (u64)index << PAGE_SHIFT;

	return min_t(u64, PAGE_SIZE, i_size_read(dir) - start);
}

/*
 * Lock @folio for a change of the bytes at @pos, @len long: their block
 * mapped, allocated when it is a hole or past the end (then zero-filled).
 */
static int xminix_dir_begin(struct folio *folio, loff_t pos, unsigned int len)
{
	int err;

	folio_lock(folio);
	err = xminix_block_write_begin(folio, pos, len, xminix_get_block);
	if (err)
		folio_unlock(folio);
	return err;
}

/* The change is made: dirty the buffers, grow @dir over it, unlock. */
static void xminix_dir_commit(struct inode *dir, struct folio *folio,
			      loff_t pos, unsigned int len)
{
	xminix_block_write_end(folio, pos, len);
	if (pos + len > i_size_read(dir)) {
		i_size_write(dir, pos + len);
		mark_inode_dirty(dir);
	}
	folio_unlock(folio);
}

/*
 * A synchronous directory (-o dirsync, chattr +D): its changed pages, its
 * indirect blocks and its inode on disk now.  Called at the end of an
 * operation, once every entry and link count it changes is in place, so
 * that a write error leaves no operation half done in memory.
 */
int xminix_dir_sync(struct inode *dir)
{
	int err;

	if (!IS_DIRSYNC(dir))
		return 0;
	err = filemap_write_and_wait(dir->i_mapping);
	if (!err)
		err = sync_mapping_buffers(dir->i_mapping);
	if (!err)
		err = sync_inode_metadata(dir, 1);
	return err;
}

/*
 * Before page @index of the directory open in @file is read: when it is not
 * in the page cache, start readahead over the rest of the directory (at
 * most the readahead window), rather than read a page per request.
 */
static void xminix_dir_readahead(struct file *file, pgoff_t index)
{
	struct inode *dir = file_inode(file);
	loff_t start = (loff_t)index << PAGE_SHIFT;

	if (!filemap_range_has_page(dir->i_mapping, start,
				    start + PAGE_SIZE - 1))
		page_cache_sync_readahead(dir->i_mapping, &file->f_ra, file,
					  index, xminix_dir_pages(dir) - index);
}

static int xminix_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	struct super_block *sb = dir->i_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	unsigned int size = sbi->dirent_size, off, bytes, len;
	struct folio *folio;
	unsigned long ino, n;
	const char *name;
	void *kaddr;

	ctx->pos = round_up(ctx->pos, size);
	for (n = ctx->pos >> PAGE_SHIFT; n < xminix_dir_pages(dir); n++) {
		xminix_dir_readahead(file, n);
		kaddr = xminix_dir_page(dir, n, &folio);
		if (IS_ERR(kaddr))
			return PTR_ERR(kaddr);
		bytes = xminix_dir_page_bytes(dir, n);
		for (off = offset_in_page(ctx->pos); off < bytes;
		     off += size, ctx->pos += size) {
			ino = xminix_dirent_ino(sb, kaddr + off);
			if (!ino)
				continue;
			name = xminix_dirent_name(sb, kaddr + off, &len);
			if (ino > sbi->geo.ninodes || !len ||
			    memchr(name, '/', len)) {
				xminix_corrupt(sb, dir->i_ino,
					       "bad entry at %llu (inode %lu)",
					       ctx->pos, ino);
				continue;
			}
			if (!dir_emit(ctx, name, len, ino, DT_UNKNOWN)) {
				xminix_dir_put(folio, kaddr);
				return 0;
			}
		}
		xminix_dir_put(folio, kaddr);
		/* The next page starts where this one ends. */
		ctx->pos = (loff_t)(n + 1) << PAGE_SHIFT;
	}
	return 0;
}

/*
 * Look for @name in @dir: 0 with its entry in @ref (its page held, for
 * xminix_put_entry() or a change) and its inode number in @ino, or -ENOENT.
 */
int xminix_find_entry(struct inode *dir, const struct qstr *name,
		      struct xminix_dirent_ref *ref, unsigned long *ino)
{
	struct super_block *sb = dir->i_sb;
	struct folio *folio;
	unsigned long n;
	void *kaddr, *de;

	/* Longer than the field: no entry can hold it (nor be read past). */
	if (!name->len || name->len > xminix_sb(sb)->name_len)
		return -ENOENT;
	for (n = 0; n < xminix_dir_pages(dir); n++) {
		kaddr = xminix_dir_page(dir, n, &folio);
		if (IS_ERR(kaddr))
			return PTR_ERR(kaddr);
		de = xminix_page_find(sb, kaddr, xminix_dir_page_bytes(dir, n),
				      name, NULL);
		if (de) {
			ref->folio = folio;
			ref->page = kaddr;
			ref->de = de;
			*ino = xminix_dirent_ino(sb, de);
			return 0;
		}
		xminix_dir_put(folio, kaddr);
	}
	return -ENOENT;
}

/* Fill the entry @de with @name and @ino.  Its folio is locked. */
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
	unsigned int size = xminix_sb(sb)->dirent_size;
	struct folio *folio;
	void *kaddr, *found;
	loff_t pos = -1;
	unsigned long n;
	int err;

	if (!name->len)
		return -EINVAL;
	if (name->len > xminix_sb(sb)->name_len)
		return -ENAMETOOLONG;
	for (n = 0; n < xminix_dir_pages(dir); n++) {
		int free = -1;

		kaddr = xminix_dir_page(dir, n, &folio);
		if (IS_ERR(kaddr))
			return PTR_ERR(kaddr);
		found = xminix_page_find(sb, kaddr,
					 xminix_dir_page_bytes(dir, n), name,
					 &free);
		xminix_dir_put(folio, kaddr);
		if (found)
			return -EEXIST;
		if (pos < 0 && free >= 0)
			pos = ((loff_t)n << PAGE_SHIFT) + free;
	}
	if (pos < 0)
		pos = i_size_read(dir);
	if (pos + size > dir->i_sb->s_maxbytes)
		return -ENOSPC;

	kaddr = xminix_dir_page(dir, pos >> PAGE_SHIFT, &folio);
	if (IS_ERR(kaddr))
		return PTR_ERR(kaddr);
	err = xminix_dir_begin(folio, pos, size);
	if (!err) {
		xminix_fill_dirent(sb, kaddr + offset_in_page(pos), name, ino);
		xminix_dir_commit(dir, folio, pos, size);
		xminix_dir_changed(dir);
	}
	xminix_dir_put(folio, kaddr);
	return err;
}

/*
 * Point the entry @ref names at @ino; 0 frees the slot (the name stays, as
 * minix.ko leaves it).  The page stays held: the caller releases it
 * (xminix_put_entry()), in the reverse of the order it took its pages.
 */
int xminix_set_entry(struct inode *dir, struct xminix_dirent_ref *ref,
		     unsigned long ino)
{
	unsigned int size = xminix_sb(dir->i_sb)->dirent_size;
	loff_t pos = folio_pos(ref->folio) + (ref->de - ref->page);
	int err;

	err = xminix_dir_begin(ref->folio, pos, size);
	if (err)
		return err;
	xminix_dirent_set_ino(dir->i_sb, ref->de, ino);
	xminix_dir_commit(dir, ref->folio, pos, size);
	xminix_dir_changed(dir);
	return 0;
}

/* The first zone (new, so zero-filled) of a new directory @inode in @dir. */
int xminix_make_empty(struct inode *inode, struct inode *dir)
{
	struct super_block *sb = inode->i_sb;
	unsigned int size = xminix_sb(sb)->dirent_size;
	const struct qstr dot = QSTR_INIT(".", 1), dotdot = QSTR_INIT("..", 2);
	struct folio *folio;
	void *kaddr;
	int err;

	/* Past the (zero) size: read as zeroes, without I/O. */
	kaddr = xminix_dir_page(inode, 0, &folio);
	if (IS_ERR(kaddr))
		return PTR_ERR(kaddr);
	err = xminix_dir_begin(folio, 0, 2 * size);
	if (!err) {
		xminix_fill_dirent(sb, kaddr, &dot, inode->i_ino);
		xminix_fill_dirent(sb, kaddr + size, &dotdot, dir->i_ino);
		xminix_dir_commit(inode, folio, 0, 2 * size);
	}
	xminix_dir_put(folio, kaddr);
	return err;
}

/* 1 if @inode has no entries but "." (itself) and "..", 0 if it has. */
int xminix_dir_is_empty(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	unsigned int size = xminix_sb(sb)->dirent_size, off, bytes, len;
	struct folio *folio;
	unsigned long ino, n;
	const char *name;
	void *kaddr;

	for (n = 0; n < xminix_dir_pages(inode); n++) {
		kaddr = xminix_dir_page(inode, n, &folio);
		if (IS_ERR(kaddr))
			return PTR_ERR(kaddr);
		bytes = xminix_dir_page_bytes(inode, n);
		for (off = 0; off < bytes; off += size) {
			ino = xminix_dirent_ino(sb, kaddr + off);
			if (!ino)
				continue;
			name = xminix_dirent_name(sb, kaddr + off, &len);
			if ((len == 1 && name[0] == '.' && ino == inode->i_ino) ||
			    (len == 2 && name[0] == '.' && name[1] == '.'))
				continue;
			xminix_dir_put(folio, kaddr);
			return 0;
		}
		xminix_dir_put(folio, kaddr);
	}
	return 1;
}

/* The ".." entry of @dir (entry 1): its slot in @ref and its inode number. */
int xminix_dotdot(struct inode *dir, struct xminix_dirent_ref *ref,
		  unsigned long *ino)
{
	struct super_block *sb = dir->i_sb;
	unsigned int size = xminix_sb(sb)->dirent_size, len;
	struct folio *folio;
	const char *name;
	void *kaddr;

	kaddr = xminix_dir_page(dir, 0, &folio);
	if (IS_ERR(kaddr))
		return PTR_ERR(kaddr);
	name = xminix_dirent_name(sb, kaddr + size, &len);
	*ino = xminix_dirent_ino(sb, kaddr + size);
	if (len == 2 && name[0] == '.' && name[1] == '.' && *ino) {
		ref->folio = folio;
		ref->page = kaddr;
		ref->de = kaddr + size;
		return 0;
	}
	xminix_dir_put(folio, kaddr);
	xminix_corrupt(sb, dir->i_ino, "directory without \"..\" in entry 1");
	return -EFSCORRUPTED;
}

int xminix_delete_entry(struct inode *dir, struct xminix_dirent_ref *ref)
{
	return xminix_set_entry(dir, ref, 0);
}

const struct file_operations xminix_dir_operations = {
	.llseek = generic_file_llseek,
	.read = generic_read_dir,
	.iterate_shared = xminix_readdir,
	.fsync = generic_file_fsync,
};
