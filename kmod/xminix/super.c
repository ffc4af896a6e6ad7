// SPDX-License-Identifier: GPL-2.0
/*
 * xminix: the file system type, mounting (fs_context), the superblock's
 * checks and state, statfs, remount and the module.
 */
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>

#include "xminix.h"

static struct kmem_cache *xminix_inode_cachep;

/*
 * Dirty a buffer held for the whole mount (superblock, bitmaps).  After a
 * failed write it is no longer uptodate, but what is in memory is what the
 * disk must get: say so, rather than have mark_buffer_dirty() warn.
 */
void xminix_dirty_held(struct buffer_head *bh)
{
	if (unlikely(!buffer_uptodate(bh))) {
		lock_buffer(bh);
		clear_buffer_write_io_error(bh);
		set_buffer_uptodate(bh);
		unlock_buffer(bh);
	}
	mark_buffer_dirty(bh);
}

/* The V1/V2 superblock's s_state; V3 has none. */
static __le16 *xminix_raw_state(struct xminix_sb_info *sbi)
{
	struct xminix_super_block *ms = sbi->raw_sb;

	return sbi->geo.version == 3 ? NULL : &ms->s_state;
}

/* Mounted read-write: "not cleanly unmounted" on disk until unmount. */
static void xminix_begin_rw(struct super_block *sb)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);
	__le16 *state = xminix_raw_state(sbi);

	sbi->mount_state = state ? le16_to_cpu(*state) : XMINIX_VALID_FS;
	if (state)
		*state = cpu_to_le16(sbi->mount_state & ~XMINIX_VALID_FS);
	xminix_dirty_held(sbi->sbh);
	if (!(sbi->mount_state & XMINIX_VALID_FS))
		pr_warn("xminix (%s): mounting an unchecked file system, running fsck is recommended\n",
			sb->s_id);
	else if (sbi->mount_state & XMINIX_ERROR_FS)
		pr_warn("xminix (%s): mounting a file system with errors, running fsck is recommended\n",
			sb->s_id);
}

/* Leaving read-write: the state seen at mount (plus errors found) goes back. */
static void xminix_end_rw(struct super_block *sb)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);
	__le16 *state = xminix_raw_state(sbi);

	if (state)
		*state = cpu_to_le16(sbi->mount_state);
	xminix_dirty_held(sbi->sbh);
}

/*
 * A corruption found at run time: one rate-limited message naming the
 * device, the inode and what is wrong; the state to write back at unmount
 * says "errors" (V1/V2), and errors=remount-ro makes the file system read
 * only.  The caller fails its operation with -EFSCORRUPTED.  Any context
 * that may take a spinlock.
 */
void xminix_corrupt(struct super_block *sb, unsigned long ino,
		    const char *fmt, ...)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (ino)
		pr_err_ratelimited("xminix (%s): inode %lu: %pV\n", sb->s_id,
				   ino, &vaf);
	else
		pr_err_ratelimited("xminix (%s): %pV\n", sb->s_id, &vaf);
	va_end(args);
	/* While mounting (the root inode), the mount fails: nothing to write. */
	if (!sb->s_root)
		return;
	sbi->mount_state |= XMINIX_ERROR_FS;
	/*
	 * Read-only from here means every change refused with EROFS
	 * (xminix_change_begin()), not SB_RDONLY: that flag may only change
	 * under s_umount, and flipped between freeze_super() and
	 * thaw_super() it would leave the file system's writers locked out
	 * for good (ext4 stopped setting it for the same reason).
	 */
	if (sbi->errors == XMINIX_ERRORS_REMOUNT_RO && !xminix_read_only(sb)) {
		pr_err_ratelimited("xminix (%s): read-only from now on (errors=remount-ro)\n",
				   sb->s_id);
		xminix_set_no_alloc(sb, true);
		xminix_end_rw(sb);
		WRITE_ONCE(sbi->error_ro, true);
	}
}

/*
 * A change to the image begins: -EROFS once a remount (a forced one too,
 * which does not wait for writers) or errors=remount-ro has made it
 * read-only.  Called with the VFS's locks of the inodes it changes held;
 * nothing that may itself begin a change may run until
 * xminix_change_end().
 */
int xminix_change_begin(struct super_block *sb)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);

	down_read(&sbi->change_sem);
	if (!xminix_read_only(sb))
		return 0;
	up_read(&sbi->change_sem);
	return -EROFS;
}

void xminix_change_end(struct super_block *sb)
{
	up_read(&xminix_sb(sb)->change_sem);
}

static struct inode *xminix_alloc_inode(struct super_block *sb)
{
	struct xminix_inode_info *xi;

	xi = alloc_inode_sb(sb, xminix_inode_cachep, GFP_KERNEL);
	if (!xi)
		return NULL;
	return &xi->vfs_inode;
}

static void xminix_free_inode_mem(struct inode *inode)
{
	kmem_cache_free(xminix_inode_cachep, xminix_i(inode));
}

static void xminix_inode_init_once(void *p)
{
	struct xminix_inode_info *xi = p;

	init_rwsem(&xi->tree_sem);
	inode_init_once(&xi->vfs_inode);
}

static void xminix_release_maps(struct xminix_sb_info *sbi)
{
	unsigned int i;

	if (sbi->imap)
		for (i = 0; i < sbi->geo.imap_blocks; i++)
			brelse(sbi->imap[i]);
	if (sbi->zmap)
		for (i = 0; i < sbi->geo.zmap_blocks; i++)
			brelse(sbi->zmap[i]);
	kfree(sbi->imap);
	kfree(sbi->zmap);
	brelse(sbi->sbh);
}

static void xminix_put_super(struct super_block *sb)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);

	if (!sb_rdonly(sb))
		xminix_end_rw(sb);
	sync_dirty_buffer(sbi->sbh);
	xminix_release_maps(sbi);
	sb->s_fs_info = NULL;
	kfree(sbi);
}

static int xminix_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	u64 id = huge_encode_dev(sb->s_bdev->bd_dev);

	buf->f_type = sb->s_magic;
	buf->f_bsize = sb->s_blocksize;
	buf->f_blocks = xminix_data_zones(&sbi->geo);
	buf->f_bfree = xminix_count_free_zones(sb);
	buf->f_bavail = buf->f_bfree;
	buf->f_files = sbi->geo.ninodes;
	buf->f_ffree = xminix_count_free_inodes(sb);
	buf->f_namelen = sbi->name_len;
	buf->f_fsid = u64_to_fsid(id);
	return 0;
}

static int xminix_show_options(struct seq_file *seq, struct dentry *root)
{
	struct xminix_sb_info *sbi = xminix_sb(root->d_sb);

	if (sbi->errors == XMINIX_ERRORS_REMOUNT_RO)
		seq_puts(seq, ",errors=remount-ro");
	return 0;
}

static const struct super_operations xminix_sops = {
	.alloc_inode = xminix_alloc_inode,
	.free_inode = xminix_free_inode_mem,
	.write_inode = xminix_write_inode,
	.evict_inode = xminix_evict_inode,
	.put_super = xminix_put_super,
	.statfs = xminix_statfs,
	.show_options = xminix_show_options,
};

/* Mount options: what fs_context parsing leaves for us. */
struct xminix_options {
	enum xminix_errors errors;
	bool errors_set;
};

enum { XMINIX_OPT_ERRORS };

static const struct constant_table xminix_errors_table[] = {
	{ "continue",	XMINIX_ERRORS_CONTINUE },
	{ "remount-ro",	XMINIX_ERRORS_REMOUNT_RO },
	{}
};

static const struct fs_parameter_spec xminix_param_specs[] = {
	fsparam_enum("errors", XMINIX_OPT_ERRORS, xminix_errors_table),
	{}
};

/* An unknown option fails here with "xminix: Unknown parameter 'x'". */
static int xminix_parse_param(struct fs_context *fc,
			      struct fs_parameter *param)
{
	struct xminix_options *opts = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, xminix_param_specs, param, &result);
	if (opt < 0)
		return opt;
	switch (opt) {
	case XMINIX_OPT_ERRORS:
		opts->errors = result.uint_32;
		opts->errors_set = true;
		break;
	}
	return 0;
}

/* Decode the superblock at byte 1024 of @data into @g; false: not Minix. */
static bool xminix_decode_super(const void *data, struct xminix_geometry *g,
				u16 *magic)
{
	const struct xminix_super_block *ms = data;
	const struct xminix3_super_block *m3 = data;

	memset(g, 0, sizeof(*g));
	*magic = le16_to_cpu(ms->s_magic);
	switch (*magic) {
	case XMINIX_V1_MAGIC14:
	case XMINIX_V1_MAGIC30:
		g->version = 1;
		g->nzones = le16_to_cpu(ms->s_nzones);
		break;
	case XMINIX_V2_MAGIC14:
	case XMINIX_V2_MAGIC30:
		g->version = 2;
		g->nzones = le32_to_cpu(ms->s_zones);
		break;
	default:
		*magic = le16_to_cpu(m3->s_magic);
		if (*magic != XMINIX_V3_MAGIC)
			return false;
		g->version = 3;
		g->ninodes = le32_to_cpu(m3->s_ninodes);
		g->nzones = le32_to_cpu(m3->s_zones);
		g->imap_blocks = le16_to_cpu(m3->s_imap_blocks);
		g->zmap_blocks = le16_to_cpu(m3->s_zmap_blocks);
		g->first_data_zone = le16_to_cpu(m3->s_firstdatazone);
		g->log_zone_size = le16_to_cpu(m3->s_log_zone_size);
		g->max_size = le32_to_cpu(m3->s_max_size);
		g->block_size = le16_to_cpu(m3->s_blocksize);
		return true;
	}
	g->ninodes = le16_to_cpu(ms->s_ninodes);
	g->imap_blocks = le16_to_cpu(ms->s_imap_blocks);
	g->zmap_blocks = le16_to_cpu(ms->s_zmap_blocks);
	g->first_data_zone = le16_to_cpu(ms->s_firstdatazone);
	g->log_zone_size = le16_to_cpu(ms->s_log_zone_size);
	g->max_size = le32_to_cpu(ms->s_max_size);
	g->block_size = XMINIX_V1_BLOCK_SIZE;
	return true;
}

static const char *const xminix_geometry_faults[] = {
	[XMINIX_GEOMETRY_LOG_ZONE_SIZE] = "s_log_zone_size is not 0",
	[XMINIX_GEOMETRY_BLOCK_SIZE] = "unsupported block size",
	[XMINIX_GEOMETRY_NINODES] = "bad s_ninodes",
	[XMINIX_GEOMETRY_FIRST_DATA_ZONE] = "bad s_firstdatazone",
	[XMINIX_GEOMETRY_IMAP] = "inode bitmap too small for s_ninodes",
	[XMINIX_GEOMETRY_ZMAP] = "zone bitmap too small for the zones",
	[XMINIX_GEOMETRY_MAX_SIZE] = "s_max_size beyond the V1 zone tree",
	[XMINIX_GEOMETRY_INODE_TABLE] = "inode table runs into the data zones",
	[XMINIX_GEOMETRY_DEVICE] = "zones beyond the end of the device",
};

/* Read the superblock (switching to the V3 block size) and check it. */
static int xminix_read_super(struct super_block *sb, struct fs_context *fc)
{
	struct xminix_sb_info *sbi = xminix_sb(sb);
	struct xminix_geometry *g = &sbi->geo;
	enum xminix_geometry_fault fault;
	struct buffer_head *bh;
	u16 magic;

	if (!sb_set_blocksize(sb, XMINIX_V1_BLOCK_SIZE))
		return -EINVAL;
	bh = sb_bread(sb, XMINIX_SUPER_OFFSET / XMINIX_V1_BLOCK_SIZE);
	if (!bh)
		return -EIO;
	if (!xminix_decode_super(bh->b_data, g, &magic)) {
		brelse(bh);
		if (!(fc->sb_flags & SB_SILENT))
			errorf(fc, "xminix (%s): no Minix file system", sb->s_id);
		return -EINVAL;
	}
	sbi->sbh = bh;
	sbi->raw_sb = bh->b_data;
	if (g->version == 3 && g->block_size != XMINIX_V1_BLOCK_SIZE) {
		/* The superblock stays at byte 1024: inside block 0 now. */
		brelse(bh);
		sbi->sbh = NULL;
		if ((g->block_size != 2048 && g->block_size != 4096) ||
		    !sb_set_blocksize(sb, g->block_size)) {
			errorf(fc, "xminix (%s): unsupported block size %u",
			       sb->s_id, g->block_size);
			return -EFSCORRUPTED;
		}
		bh = sb_bread(sb, 0);
		if (!bh)
			return -EIO;
		sbi->sbh = bh;
		sbi->raw_sb = bh->b_data + XMINIX_SUPER_OFFSET;
	}
	fault = xminix_check_geometry(g, bdev_nr_bytes(sb->s_bdev));
	if (fault != XMINIX_GEOMETRY_OK) {
		errorf(fc, "xminix (%s): %s", sb->s_id,
		       xminix_geometry_faults[fault]);
		return -EFSCORRUPTED;
	}
	sb->s_magic = magic;
	switch (magic) {
	case XMINIX_V1_MAGIC14:
	case XMINIX_V2_MAGIC14:
		sbi->name_len = XMINIX_NAME_LEN_SHORT;
		break;
	case XMINIX_V1_MAGIC30:
	case XMINIX_V2_MAGIC30:
		sbi->name_len = XMINIX_NAME_LEN_LONG;
		break;
	default:
		sbi->name_len = XMINIX_V3_NAME_LEN;
		break;
	}
	sbi->dirent_size = sbi->name_len + (g->version == 3 ? 4 : 2);
	sbi->inodes_per_block = g->block_size / xminix_inode_size(g->version);
	return 0;
}

static struct buffer_head **xminix_read_map(struct super_block *sb, u64 first,
					    unsigned int count)
{
	struct buffer_head **map;
	unsigned int i;

	map = kcalloc(count, sizeof(*map), GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < count; i++) {
		map[i] = sb_bread(sb, first + i);
		if (!map[i]) {
			while (i--)
				brelse(map[i]);
			kfree(map);
			return ERR_PTR(-EIO);
		}
	}
	return map;
}

static int xminix_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct xminix_options *opts = fc->fs_private;
	struct xminix_sb_info *sbi;
	struct buffer_head **map;
	struct inode *root;
	int err;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	spin_lock_init(&sbi->bitmap_lock);
	mutex_init(&sbi->free_lock);
	init_rwsem(&sbi->change_sem);
	sbi->errors = opts->errors;
	sb->s_fs_info = sbi;

	err = xminix_read_super(sb, fc);
	if (err)
		goto out_release;
	map = xminix_read_map(sb, XMINIX_FIRST_MAP_BLOCK, sbi->geo.imap_blocks);
	if (IS_ERR(map)) {
		err = PTR_ERR(map);
		goto out_release;
	}
	sbi->imap = map;
	map = xminix_read_map(sb, XMINIX_FIRST_MAP_BLOCK + sbi->geo.imap_blocks,
			      sbi->geo.zmap_blocks);
	if (IS_ERR(map)) {
		err = PTR_ERR(map);
		goto out_release;
	}
	sbi->zmap = map;
	err = xminix_check_bitmaps(sb);
	if (err) {
		errorf(fc, "xminix (%s): bitmap bits past the last inode or zone are clear",
		       sb->s_id);
		goto out_release;
	}

	sb->s_op = &xminix_sops;
	sb->s_maxbytes = sbi->geo.max_size;
	sb->s_max_links = sbi->geo.version == 1 ? XMINIX_V1_LINK_MAX :
						  XMINIX_V2_LINK_MAX;
	sb->s_time_min = 0;
	sb->s_time_max = U32_MAX;

	root = xminix_iget(sb, XMINIX_ROOT_INO);
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		goto out_release;
	}
	if (!S_ISDIR(root->i_mode)) {
		iput(root);
		errorf(fc, "xminix (%s): the root inode is not a directory",
		       sb->s_id);
		err = -EFSCORRUPTED;
		goto out_release;
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root) {
		err = -ENOMEM;
		goto out_release;
	}
	if (!sb_rdonly(sb))
		xminix_begin_rw(sb);
	else
		sbi->mount_state = XMINIX_VALID_FS;
	sbi->no_alloc = sb_rdonly(sb);
	return 0;

out_release:
	xminix_release_maps(sbi);
	sb->s_fs_info = NULL;
	kfree(sbi);
	return err;
}

static int xminix_get_tree(struct fs_context *fc)
{
	return get_tree_bdev(fc, xminix_fill_super);
}

/* remount: the on-disk state follows the read-only/read-write change. */
static int xminix_reconfigure(struct fs_context *fc)
{
	struct xminix_options *opts = fc->fs_private;
	struct super_block *sb = fc->root->d_sb;
	struct xminix_sb_info *sbi = xminix_sb(sb);
	bool was_ro = xminix_read_only(sb);
	bool to_ro = fc->sb_flags & SB_RDONLY;

	/* A reconfigure that does not say ro or rw keeps what it is. */
	if (!(fc->sb_flags_mask & SB_RDONLY))
		to_ro = was_ro;
	/* Stopped by errors=remount-ro: read-write again only after fsck. */
	if (!to_ro && sb_rdonly(sb) && xminix_stopped(sb))
		return -EROFS;
	if (to_ro) {
		/*
		 * A forced remount (sysrq-u) does not wait for writers: wait
		 * here for the changes under way, and refuse later ones, so
		 * that none reaches the disk behind the clean state.  The
		 * sync in between gives dirty pages of shared mappings their
		 * zones while allocation is still allowed.
		 */
		down_write(&sbi->change_sem);
		sync_filesystem(sb);
		xminix_set_no_alloc(sb, true);
		up_write(&sbi->change_sem);
	}
	sync_filesystem(sb);
	if (opts->errors_set)
		sbi->errors = opts->errors;
	if (to_ro != was_ro && !xminix_stopped(sb)) {
		if (to_ro) {
			xminix_end_rw(sb);
		} else {
			xminix_begin_rw(sb);
			xminix_set_no_alloc(sb, false);
		}
	}
	return 0;
}

static void xminix_free_fc(struct fs_context *fc)
{
	kfree(fc->fs_private);
}

static const struct fs_context_operations xminix_context_ops = {
	.parse_param = xminix_parse_param,
	.get_tree = xminix_get_tree,
	.reconfigure = xminix_reconfigure,
	.free = xminix_free_fc,
};

static int xminix_init_fs_context(struct fs_context *fc)
{
	struct xminix_options *opts = kzalloc(sizeof(*opts), GFP_KERNEL);

	if (!opts)
		return -ENOMEM;
	opts->errors = XMINIX_ERRORS_CONTINUE;
	fc->fs_private = opts;
	fc->ops = &xminix_context_ops;
	return 0;
}

static struct file_system_type xminix_fs_type = {
	.owner = THIS_MODULE,
	.name = "xminix",
	.init_fs_context = xminix_init_fs_context,
	.parameters = xminix_param_specs,
	.kill_sb = kill_block_super,
	.fs_flags = FS_REQUIRES_DEV,
};
MODULE_ALIAS_FS("xminix");

static int __init xminix_init(void)
{
	int err;

	xminix_inode_cachep = kmem_cache_create("xminix_inode_cache",
						sizeof(struct xminix_inode_info),
						0, SLAB_RECLAIM_ACCOUNT |
						SLAB_ACCOUNT,
						xminix_inode_init_once);
	if (!xminix_inode_cachep)
		return -ENOMEM;
	err = register_filesystem(&xminix_fs_type);
	if (err)
		goto out_cache;
	return 0;

out_cache:
	kmem_cache_destroy(xminix_inode_cachep);
	return err;
}

static void __exit xminix_exit(void)
{
	unregister_filesystem(&xminix_fs_type);
	/* Inodes are freed after an RCU grace period: wait for them. */
	rcu_barrier();
	kmem_cache_destroy(xminix_inode_cachep);
}

module_init(xminix_init);
module_exit(xminix_exit);
MODULE_DESCRIPTION("Minix V1/V2/V3 file system, checked against corrupt images");
MODULE_LICENSE("GPL");
