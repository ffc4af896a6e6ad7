// SPDX-License-Identifier: GPL-2.0
/*
 * xminix: names.  The VFS holds the directories' i_rwsem (shared for
 * lookup, exclusive for changes).  Link counts read from the disk are
 * checked before they are lowered: one that would fall below what the
 * entries being removed account for is corruption, refused with
 * -EFSCORRUPTED before anything changes (minix.ko WARNs in drop_nlink).
 */
#include "xminix.h"

static struct dentry *xminix_lookup(struct inode *dir, struct dentry *dentry,
				    unsigned int flags)
{
	struct xminix_dirent_ref ref;
	struct inode *inode = NULL;
	unsigned long ino;
	int err;

	if (dentry->d_name.len > xminix_sb(dir->i_sb)->name_len)
		return ERR_PTR(-ENAMETOOLONG);
	err = xminix_find_entry(dir, &dentry->d_name, &ref, &ino);
	if (!err) {
		xminix_put_entry(&ref);
		inode = xminix_iget(dir->i_sb, ino);
		/* Cached, unlinked and still open: no entry may name it. */
		if (!IS_ERR(inode) && !inode->i_nlink) {
			xminix_corrupt(dir->i_sb, dir->i_ino,
				       "entry names inode %lu, which has no links",
				       ino);
			iput(inode);
			inode = ERR_PTR(-EFSCORRUPTED);
		}
	} else if (err != -ENOENT) {
		inode = ERR_PTR(err);
	}
	return d_splice_alias(inode, dentry);
}

/*
 * The entry the VFS knows as @inode's names inode @ino on disk: something
 * changed the directory behind our back, which only a corrupt image does.
 */
static int xminix_entry_mismatch(struct inode *dir, struct inode *inode,
				 unsigned long ino)
{
	xminix_corrupt(dir->i_sb, dir->i_ino,
		       "entry for inode %lu names inode %lu", inode->i_ino, ino);
	return -EFSCORRUPTED;
}

/* Enter @inode (a new non-directory, or a new link) as @dentry, or drop it. */
static int xminix_add_nondir(struct inode *dir, struct dentry *dentry,
			     struct inode *inode)
{
	int err = xminix_add_entry(dir, &dentry->d_name, inode->i_ino);

	if (err) {
		inode_dec_link_count(inode);
		iput(inode);
		return err;
	}
	d_instantiate(dentry, inode);
	return xminix_dir_sync(dir);
}

static int xminix_mknod(struct xminix_idmap *idmap, struct inode *dir,
			struct dentry *dentry, umode_t mode, dev_t rdev)
{
	struct inode *inode;
	int err;

	/* A device number is kept as 8-bit major and minor. */
	if (!old_valid_dev(rdev))
		return -EINVAL;
	err = xminix_change_begin(dir->i_sb);
	if (err)
		return err;
	inode = xminix_new_inode(idmap, dir, mode);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
	} else {
		xminix_set_inode_ops(inode, rdev);
		mark_inode_dirty(inode);
		err = xminix_add_nondir(dir, dentry, inode);
	}
	xminix_change_end(dir->i_sb);
	return err;
}

static int xminix_create(struct xminix_idmap *idmap, struct inode *dir,
			 struct dentry *dentry, umode_t mode, bool excl)
{
	return xminix_mknod(idmap, dir, dentry, mode, 0);
}

static int xminix_tmpfile(struct xminix_idmap *idmap, struct inode *dir,
			  struct file *file, umode_t mode)
{
	struct inode *inode;
	int err = xminix_change_begin(dir->i_sb);

	if (err)
		return err;
	inode = xminix_new_inode(idmap, dir, mode);
	xminix_change_end(dir->i_sb);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	xminix_set_inode_ops(inode, 0);
	d_tmpfile(file, inode);
	return finish_open_simple(file, 0);
}

static int xminix_symlink(struct xminix_idmap *idmap, struct inode *dir,
			  struct dentry *dentry, const char *target)
{
	int len = strlen(target) + 1;
	struct inode *inode;
	int err;

	/* The target is kept in one block, without its NUL. */
	if (len > dir->i_sb->s_blocksize)
		return -ENAMETOOLONG;
	err = xminix_change_begin(dir->i_sb);
	if (err)
		return err;
	inode = xminix_new_inode(idmap, dir, S_IFLNK | 0777);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto out;
	}
	xminix_set_inode_ops(inode, 0);
	err = page_symlink(inode, target, len);
	if (err) {
		inode_dec_link_count(inode);
		iput(inode);
		goto out;
	}
	err = xminix_add_nondir(dir, dentry, inode);
out:
	xminix_change_end(dir->i_sb);
	return err;
}

static int xminix_link(struct dentry *old_dentry, struct inode *dir,
		       struct dentry *dentry)
{
	struct inode *inode = d_inode(old_dentry);
	int err = xminix_change_begin(dir->i_sb);

	if (err)
		return err;
	inode_set_ctime_current(inode);
	inode_inc_link_count(inode);
	ihold(inode);
	err = xminix_add_nondir(dir, dentry, inode);
	xminix_change_end(dir->i_sb);
	return err;
}

static int xminix_mkdir(struct xminix_idmap *idmap, struct inode *dir,
			struct dentry *dentry, umode_t mode)
{
	struct inode *inode;
	int err = xminix_change_begin(dir->i_sb);

	if (err)
		return err;
	inode_inc_link_count(dir);
	inode = xminix_new_inode(idmap, dir, S_IFDIR | mode);
	if (IS_ERR(inode)) {
		inode_dec_link_count(dir);
		err = PTR_ERR(inode);
		goto out;
	}
	xminix_set_inode_ops(inode, 0);
	inode_inc_link_count(inode);
	err = xminix_make_empty(inode, dir);
	if (!err)
		err = xminix_add_entry(dir, &dentry->d_name, inode->i_ino);
	if (err) {
		inode_dec_link_count(inode);
		inode_dec_link_count(inode);
		iput(inode);
		inode_dec_link_count(dir);
		goto out;
	}
	d_instantiate(dentry, inode);
	err = xminix_dir_sync(inode);
	if (!err)
		err = xminix_dir_sync(dir);
out:
	xminix_change_end(dir->i_sb);
	return err;
}

/* Would lowering @inode's link count by @by take it below @floor? */
static int xminix_check_nlink(struct inode *inode, unsigned int by,
			      unsigned int floor)
{
	if (inode->i_nlink >= by + floor)
		return 0;
	xminix_corrupt(inode->i_sb, inode->i_ino,
		       "link count %u lower than its entries account for",
		       inode->i_nlink);
	return -EFSCORRUPTED;
}

/* Remove @dentry's entry from @dir; the caller syncs a dirsync @dir. */
static int xminix_remove_entry(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	struct xminix_dirent_ref ref;
	unsigned long ino;
	int err;

	err = xminix_find_entry(dir, &dentry->d_name, &ref, &ino);
	if (err)
		return err;
	if (ino != inode->i_ino)
		err = xminix_entry_mismatch(dir, inode, ino);
	if (!err)
		err = xminix_check_nlink(inode, 1, 0);
	if (!err)
		err = xminix_delete_entry(dir, &ref);
	xminix_put_entry(&ref);
	if (err)
		return err;
	inode_set_ctime_to_ts(inode, inode_get_ctime(dir));
	inode_dec_link_count(inode);
	return 0;
}

static int xminix_unlink(struct inode *dir, struct dentry *dentry)
{
	int err = xminix_change_begin(dir->i_sb);

	if (err)
		return err;
	err = xminix_remove_entry(dir, dentry);
	if (!err)
		err = xminix_dir_sync(dir);
	xminix_change_end(dir->i_sb);
	return err;
}

static int xminix_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	int err = xminix_change_begin(dir->i_sb);

	if (err)
		return err;
	err = xminix_dir_is_empty(inode);
	if (err <= 0) {
		err = err ? err : -ENOTEMPTY;
		goto out;
	}
	/* Its name and its "." go; the parent loses the child's "..". */
	err = xminix_check_nlink(inode, 2, 0);
	if (!err)
		err = xminix_check_nlink(dir, 1, 2);
	if (!err)
		err = xminix_remove_entry(dir, dentry);
	if (err)
		goto out;
	inode_dec_link_count(inode);
	inode_dec_link_count(dir);
	err = xminix_dir_sync(dir);
out:
	xminix_change_end(dir->i_sb);
	return err;
}

/* xminix_rename() within its change. */
static int xminix_move(struct inode *old_dir, struct dentry *old_dentry,
		       struct inode *new_dir, struct dentry *new_dentry)
{
	struct inode *old_inode = d_inode(old_dentry);
	struct inode *new_inode = d_inode(new_dentry);
	struct xminix_dirent_ref old_ref, dir_ref = {}, new_ref;
	bool is_dir = S_ISDIR(old_inode->i_mode);
	unsigned long ino;
	int err;

	err = xminix_find_entry(old_dir, &old_dentry->d_name, &old_ref, &ino);
	if (err)
		return err;
	if (ino != old_inode->i_ino) {
		err = xminix_entry_mismatch(old_dir, old_inode, ino);
		goto out_old;
	}
	if (is_dir) {
		err = xminix_dotdot(old_inode, &dir_ref, &ino);
		if (err)
			goto out_old;
		/* The old parent loses a "..": the child's, or the victim's. */
		if (new_inode || old_dir != new_dir)
			err = xminix_check_nlink(old_dir, 1, 2);
	}
	if (new_inode && !err) {
		if (is_dir) {
			err = xminix_dir_is_empty(new_inode);
			if (err <= 0) {
				err = err ? err : -ENOTEMPTY;
				goto out_dir;
			}
			err = xminix_check_nlink(new_inode, 2, 0);
		} else {
			err = xminix_check_nlink(new_inode, 1, 0);
		}
	}
	if (err)
		goto out_dir;

	if (new_inode) {
		err = xminix_find_entry(new_dir, &new_dentry->d_name,
					&new_ref, &ino);
		if (err)
			goto out_dir;
		if (ino != new_inode->i_ino)
			err = xminix_entry_mismatch(new_dir, new_inode, ino);
		if (!err)
			err = xminix_set_entry(new_dir, &new_ref, old_inode->i_ino);
		xminix_put_entry(&new_ref);
		if (err)
			goto out_dir;
		inode_set_ctime_current(new_inode);
		if (is_dir)
			drop_nlink(new_inode);
		inode_dec_link_count(new_inode);
	} else {
		err = xminix_add_entry(new_dir, &new_dentry->d_name,
				       old_inode->i_ino);
		if (err)
			goto out_dir;
		if (is_dir)
			inode_inc_link_count(new_dir);
	}
	/*
	 * The new name is in; from here on only a page that cannot be
	 * mapped any more could fail (and then the pages stay as they were).
	 */
	err = xminix_delete_entry(old_dir, &old_ref);
	if (err)
		goto out_dir;
	mark_inode_dirty(old_inode);
	if (is_dir) {
		/* Within one parent too: the moved directory's times change. */
		err = xminix_set_entry(old_inode, &dir_ref, new_dir->i_ino);
		if (err)
			goto out_dir;
		inode_dec_link_count(old_dir);
	}
	xminix_put_entry(&dir_ref);
	xminix_put_entry(&old_ref);
	err = xminix_dir_sync(new_dir);
	if (!err && old_dir != new_dir)
		err = xminix_dir_sync(old_dir);
	if (!err && is_dir)
		err = xminix_dir_sync(old_inode);
	return err;

out_dir:
	xminix_put_entry(&dir_ref);
out_old:
	xminix_put_entry(&old_ref);
	return err;
}

static int xminix_rename(struct xminix_idmap *idmap, struct inode *old_dir,
			 struct dentry *old_dentry, struct inode *new_dir,
			 struct dentry *new_dentry, unsigned int flags)
{
	int err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	err = xminix_change_begin(old_dir->i_sb);
	if (err)
		return err;
	err = xminix_move(old_dir, old_dentry, new_dir, new_dentry);
	xminix_change_end(old_dir->i_sb);
	return err;
}

const struct inode_operations xminix_dir_inode_operations = {
	.create = xminix_create,
	.lookup = xminix_lookup,
	.link = xminix_link,
	.unlink = xminix_unlink,
	.symlink = xminix_symlink,
	.mkdir = xminix_mkdir,
	.rmdir = xminix_rmdir,
	.mknod = xminix_mknod,
	.rename = xminix_rename,
	.getattr = xminix_getattr,
	.setattr = xminix_setattr,
	.tmpfile = xminix_tmpfile,
};
