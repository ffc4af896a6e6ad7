/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xminix: a Minix V1/V2/V3 file system, on-disk compatible with what
 * util-linux mkfs.minix writes and Linux fs/minix reads and writes, and
 * distrustful of what it reads: every zone pointer, inode number and link
 * count from the disk is checked before it is followed or changed, and what
 * is wrong fails with -EFSCORRUPTED (xminix_corrupt()).
 */
#ifndef XMINIX_H
#define XMINIX_H

#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>

#include "minix_format.h"
#include "minix_rules.h"
#include "compat.h"

#ifndef EFSCORRUPTED
#define EFSCORRUPTED EUCLEAN
#endif

/* What a corruption found while mounted does (mount option errors=). */
enum xminix_errors {
	XMINIX_ERRORS_CONTINUE,
	XMINIX_ERRORS_REMOUNT_RO,
};

struct xminix_sb_info {
	struct xminix_geometry geo;
	unsigned int name_len;		/* 14, 30 or 60 */
	unsigned int dirent_size;	/* 16, 32 or 64 */
	unsigned int inodes_per_block;
	struct buffer_head *sbh;	/* holds the superblock */
	void *raw_sb;			/* ... at this address */
	struct buffer_head **imap;	/* geo.imap_blocks inode bitmap blocks */
	struct buffer_head **zmap;	/* geo.zmap_blocks zone bitmap blocks */
	u16 mount_state;		/* s_state to write back at unmount */
	enum xminix_errors errors;
	spinlock_t bitmap_lock;		/* the bits of imap and zmap */
	/*
	 * Read-only, or on the way there (a remount, also a forced one, and
	 * errors=remount-ro): nothing new is allocated, so that writes through
	 * descriptors opened before cannot change the image behind its clean
	 * state.  Under bitmap_lock.
	 */
	bool no_alloc;
	/*
	 * errors=remount-ro has stopped the file system until it is
	 * unmounted, as ext4 does: no_alloc stays set, no inode or page is
	 * written back and no inode freed, the error state excepted.
	 */
	bool error_ro;
	/*
	 * Held while a truncation frees zones, and by allocation: a zone a
	 * corrupt tree names twice is found free at its second mention, not
	 * handed to another file in between and freed from under it.
	 */
	struct mutex free_lock;
	/*
	 * Shared by every change to the image under way (a page of a write,
	 * a truncate, a namespace change, an attribute change), taken inside
	 * the VFS's
	 * inode locks; exclusive while a remount makes the image read-only,
	 * so that a change is either whole before the remount's sync or
	 * refused (xminix_change_begin()).
	 */
	struct rw_semaphore change_sem;
};

struct xminix_inode_info {
	/*
	 * Zone pointers, host order (V1's fit in 16 bits); for device nodes,
	 * i_zone[0] holds the old-style device number.  Under tree_sem.
	 */
	u32 i_zone[XMINIX_V2_ZONES];
	struct rw_semaphore tree_sem;	/* the zone tree, i_zone included */
	struct inode vfs_inode;
};

static inline struct xminix_sb_info *xminix_sb(struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct xminix_inode_info *xminix_i(struct inode *inode)
{
	return container_of(inode, struct xminix_inode_info, vfs_inode);
}

/* errors=remount-ro has stopped the file system (xminix_sb_info.error_ro). */
static inline bool xminix_stopped(struct super_block *sb)
{
	return READ_ONCE(xminix_sb(sb)->error_ro);
}

static inline bool xminix_zone_valid(const struct xminix_sb_info *sbi, u32 zone)
{
	return zone >= sbi->geo.first_data_zone && zone < sbi->geo.nzones;
}

/* super.c */
void xminix_dirty_held(struct buffer_head *bh);
__printf(3, 4)
void xminix_corrupt(struct super_block *sb, unsigned long ino,
		    const char *fmt, ...);
int xminix_change_begin(struct super_block *sb);
void xminix_change_end(struct super_block *sb);

/* bitmap.c */
int xminix_new_zone(struct inode *inode, u32 *zone);
void xminix_set_no_alloc(struct super_block *sb, bool on);
bool xminix_read_only(struct super_block *sb);
void xminix_free_zone(struct inode *inode, u32 zone);
bool xminix_zone_in_use(struct super_block *sb, u32 zone);
bool xminix_inode_in_use(struct super_block *sb, unsigned long ino);
struct inode *xminix_new_inode(struct xminix_idmap *idmap, struct inode *dir,
			       umode_t mode);
void xminix_free_inode(struct inode *inode);
unsigned long xminix_count_free_zones(struct super_block *sb);
unsigned long xminix_count_free_inodes(struct super_block *sb);
int xminix_check_bitmaps(struct super_block *sb);

/* inode.c */
struct inode *xminix_iget(struct super_block *sb, unsigned long ino);
int xminix_write_inode(struct inode *inode, struct writeback_control *wbc);
void xminix_evict_inode(struct inode *inode);
void xminix_set_inode_ops(struct inode *inode, dev_t rdev);
int xminix_getattr(struct xminix_idmap *idmap, const struct path *path,
		   struct kstat *stat, u32 request_mask, unsigned int flags);
int xminix_setattr(struct xminix_idmap *idmap, struct dentry *dentry,
		   struct iattr *attr);

/* itree.c */
int xminix_get_block(struct inode *inode, sector_t block,
		     struct buffer_head *bh, int create);
int xminix_map_block(struct inode *inode, u64 block, bool create, u32 *zone,
		     bool *fresh);
int xminix_truncate(struct inode *inode);
struct buffer_head *xminix_zeroed_block(struct inode *inode, u32 zone);

/* dir.c */
struct xminix_dirent_ref {
	struct folio *folio;		/* the directory page, referenced */
	void *page;			/* ... mapped here */
	void *de;			/* the entry in it */
};

int xminix_find_entry(struct inode *dir, const struct qstr *name,
		      struct xminix_dirent_ref *ref, unsigned long *ino);
int xminix_add_entry(struct inode *dir, const struct qstr *name,
		     unsigned long ino);
int xminix_delete_entry(struct inode *dir, struct xminix_dirent_ref *ref);
int xminix_set_entry(struct inode *dir, struct xminix_dirent_ref *ref,
		     unsigned long ino);
void xminix_put_entry(struct xminix_dirent_ref *ref);
int xminix_dir_sync(struct inode *dir);
int xminix_make_empty(struct inode *inode, struct inode *dir);
int xminix_dir_is_empty(struct inode *inode);
int xminix_dotdot(struct inode *dir, struct xminix_dirent_ref *ref,
		  unsigned long *ino);
void xminix_dir_changed(struct inode *dir);

/* Operation tables. */
extern const struct file_operations xminix_file_operations;
extern const struct file_operations xminix_dir_operations;
extern const struct inode_operations xminix_file_inode_operations;
extern const struct inode_operations xminix_dir_inode_operations;
extern const struct inode_operations xminix_symlink_inode_operations;
extern const struct inode_operations xminix_special_inode_operations;
extern const struct address_space_operations xminix_aops;

#endif /* XMINIX_H */
