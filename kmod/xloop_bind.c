// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: binding and unbinding a backing file, and the changes to a binding
 * (LOOP_CONFIGURE/SET_FD, LOOP_CHANGE_FD, LOOP_CLR_FD and the detach at the
 * last close, status, block size, direct I/O, capacity), with the semantics
 * and errno values of the Linux 6.12 loop driver.  The ioctls' argument
 * handling is in xloop_ioctl.c.
 */
#include <linux/file.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/statfs.h>

#include "xloop.h"

/* Device size in sectors for @file with @offset and @sizelimit. */
static loff_t xloop_size(loff_t offset, loff_t sizelimit, struct file *file)
{
	loff_t size = i_size_read(file->f_mapping->host);

	if (offset > 0)
		size -= offset;
	if (size < 0)
		return 0;
	if (sizelimit > 0 && sizelimit < size)
		size = sizelimit;
	return size >> SECTOR_SHIFT;
}

static loff_t xloop_file_size(struct xloop_device *lo, struct file *file)
{
	return xloop_size(lo->offset, lo->sizelimit, file);
}

/* Sends a uevent either way: RESIZE=1 when the size changed. */
static void xloop_set_size(struct xloop_device *lo, loff_t sectors)
{
	if (!set_capacity_and_notify(lo->disk, sectors))
		kobject_uevent(&disk_to_dev(lo->disk)->kobj, KOBJ_CHANGE);
}

/* The block device under the backing file, if there is one. */
static struct block_device *xloop_backing_bdev(struct file *file)
{
	struct inode *inode = file->f_mapping->host;

	if (S_ISBLK(inode->i_mode))
		return I_BDEV(inode);
	return inode->i_sb->s_bdev;
}

/* Recompute and apply the queue limits for the bound file; @bsize 0 = default. */
static int xloop_update_limits(struct xloop_device *lo, unsigned int bsize)
{
	struct file *file = lo->backing;
	struct inode *inode = file->f_mapping->host;
	struct block_device *backing = xloop_backing_bdev(file);
	struct xloop_limits *l = &lo->limits;
	struct kstatfs st;

	/* With direct I/O, default to the backing device's sector size. */
	if (!bsize)
		bsize = (lo->flags & LO_FLAGS_DIRECT_IO) && backing ?
			bdev_logical_block_size(backing) : SECTOR_SIZE;
	l->block_size = bsize;
	l->write_cache = file->f_op->fsync && !(lo->flags & LO_FLAGS_READ_ONLY);
	l->rotational = backing && !bdev_nonrot(backing);
	l->max_discard_sectors = 0;
	l->discard_granularity = 0;
	if (S_ISBLK(inode->i_mode)) {
		/* Discards become zeroing on a block device: they read back as 0. */
		l->max_discard_sectors = bdev_write_zeroes_sectors(backing);
		l->discard_granularity = bdev_discard_granularity(backing) ?:
					 bdev_physical_block_size(backing);
	} else if (file->f_op->fallocate && !vfs_statfs(&file->f_path, &st)) {
		l->max_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
		l->discard_granularity = st.f_bsize;
	}
	/* Zeroing is what fallocate can do, as for discards; nothing else. */
	l->max_write_zeroes_sectors = l->max_discard_sectors;
	return xloop_apply_limits(lo->disk->queue, l);
}

static bool xloop_can_dio(struct xloop_device *lo)
{
	struct file *file = lo->backing;
	struct block_device *backing = xloop_backing_bdev(file);
	unsigned int lbs;

	if (!(file->f_mode & FMODE_CAN_ODIRECT))
		return false;
	if (!backing)
		return true;
	/* Our sectors must cover whole backing sectors, at aligned offsets. */
	lbs = bdev_logical_block_size(backing);
	return queue_logical_block_size(lo->disk->queue) >= lbs &&
	       !(lo->offset & (lbs - 1));
}

/* Switch direct I/O to @want if the file and geometry allow it. */
static void xloop_update_dio(struct xloop_device *lo, bool want)
{
	bool use = want && xloop_can_dio(lo);
	bool bound = lo->state == XLOOP_BOUND;

	if (lo->use_dio == use)
		return;
	/* Dirty page-cache data must reach the file before O_DIRECT reads. */
	vfs_fsync(lo->backing, 0);
	if (bound)
		blk_mq_freeze_queue(lo->disk->queue);
	lo->use_dio = use;
	if (use)
		lo->flags |= LO_FLAGS_DIRECT_IO;
	else
		lo->flags &= ~LO_FLAGS_DIRECT_IO;
	if (bound)
		blk_mq_unfreeze_queue(lo->disk->queue);
}

/*
 * Drop the disk's partitions and, with partition scanning on, read them
 * again from the (new) backing file.  Caller holds disk->open_mutex.
 *
 * Whether bdev_disk_changed() scans is decided by GD_SUPPRESS_PART_SCAN
 * alone: blk_add_partitions() tests it in 6.12 (disk_has_partscan()) and in
 * Debian's 6.1 (6.1.192: the stable backport of 6.6's "block: Move checking
 * GENHD_FL_NO_PART to bdev_add_partition()", which also lets BLKPG add
 * partitions while scanning is off).  So partitions a user added with BLKPG
 * are dropped too, never left describing a file that is gone.
 */
static int xloop_drop_partitions(struct xloop_device *lo)
{
	lockdep_assert_held(&lo->disk->open_mutex);
	return bdev_disk_changed(lo->disk, false);
}

static void xloop_reread_partitions(struct xloop_device *lo)
{
	int err;

	mutex_lock(&lo->disk->open_mutex);
	err = xloop_drop_partitions(lo);
	mutex_unlock(&lo->disk->open_mutex);
	if (err)
		pr_warn("xloop: partition scan of %s (%s) failed (rc=%d)\n",
			lo->disk->disk_name, lo->file_name, err);
}

/* Publish @file as the backing file (NULL: none). */
static void xloop_set_backing(struct xloop_device *lo, struct file *file)
{
	spin_lock_irq(&lo->lock);
	lo->backing = file;
	spin_unlock_irq(&lo->lock);
	if (!file)
		return;
	/* Page-cache allocations for the file must not recurse into us. */
	lo->old_gfp_mask = mapping_gfp_mask(file->f_mapping);
	mapping_set_gfp_mask(file->f_mapping,
			     lo->old_gfp_mask & ~(__GFP_IO | __GFP_FS));
}

/* The settable part of a loop_info64: offsets, name and flags. */
static int xloop_apply_info(struct xloop_device *lo,
			    const struct loop_info64 *info)
{
	if ((unsigned int)info->lo_encrypt_key_size > LO_KEY_SIZE)
		return -EINVAL;
	/* Encryption left the loop driver long ago; only "none" remains. */
	if (info->lo_encrypt_type != LO_CRYPT_NONE)
		return -EINVAL;
	if (info->lo_offset > LLONG_MAX || info->lo_sizelimit > LLONG_MAX)
		return -EOVERFLOW;
	lo->offset = info->lo_offset;
	lo->sizelimit = info->lo_sizelimit;
	memcpy(lo->file_name, info->lo_file_name, LO_NAME_SIZE);
	lo->file_name[LO_NAME_SIZE - 1] = '\0';
	lo->flags = info->lo_flags;
	return 0;
}

/*
 * Take lo->mutex, after the global xloop_validate_mutex when @global (a
 * bind onto a loop device, LOOP_CHANGE_FD, a detach request: xloop_chain.c).
 */
static int xloop_lock(struct xloop_device *lo, bool global)
{
	int err;

	if (global) {
		err = mutex_lock_killable(&xloop_validate_mutex);
		if (err)
			return err;
	}
	err = mutex_lock_killable(&lo->mutex);
	if (err && global)
		mutex_unlock(&xloop_validate_mutex);
	return err;
}

static void xloop_unlock(struct xloop_device *lo, bool global)
{
	mutex_unlock(&lo->mutex);
	if (global)
		mutex_unlock(&xloop_validate_mutex);
}

/*
 * Is @file a backing file @lo may take?  @chain_err is the lock-free walk's
 * answer (xloop_check_chain()); a loop device is walked again under the
 * locks the caller holds.
 */
static int xloop_check_backing(struct xloop_device *lo, struct file *file,
			       struct block_device *bdev, int chain_err,
			       bool global)
{
	if (chain_err)
		return chain_err;
	return global ? xloop_check_devices(lo, file, bdev) : 0;
}

/*
 * LOOP_CONFIGURE, and LOOP_SET_FD as a configure with defaults; with
 * @handle, XLOOP_CTL_ATTACH (@bdev not open then: claimed only).
 */
int xloop_configure(struct xloop_device *lo, xloop_mode_t mode,
		    struct block_device *bdev,
		    const struct loop_config *config,
		    struct xloop_handle *handle)
{
	struct file *file = xloop_get_backing_file(config->fd);
	bool partscan, global;
	int err, chain_err;

	if (IS_ERR(file))
		return PTR_ERR(file);
	/* Bound devices pin the module; open() holds a reference already. */
	__module_get(THIS_MODULE);
	/* Without O_EXCL, claim the device while we change it. */
	if (!(mode & XLOOP_MODE_EXCL)) {
		err = xloop_prepare_to_claim(bdev, xloop_configure);
		if (err)
			goto out_putf;
	}
	chain_err = xloop_check_chain(lo, file, bdev);
	global = xloop_is_loop_file(file);
	err = xloop_lock(lo, global);
	if (err)
		goto out_claim;
	err = -EBUSY;
	if (lo->state != XLOOP_UNBOUND)
		goto out_unlock;
	err = xloop_check_backing(lo, file, bdev, chain_err, global);
	if (err)
		goto out_unlock;
	err = -EINVAL;
	if (config->info.lo_flags & ~LOOP_CONFIGURE_SETTABLE_FLAGS)
		goto out_unlock;
	err = xloop_apply_info(lo, &config->info);
	if (err)
		goto out_unlock;
	/* After the loop_info checks, in 6.12's order (6.1 checked it first). */
	err = -EINVAL;
	if (config->block_size && blk_validate_block_size(config->block_size))
		goto out_unlock;
	err = xloop_io_setup(lo);
	if (err)
		goto out_unlock;
	if (!(file->f_mode & FMODE_WRITE) || !(mode & XLOOP_MODE_WRITE) ||
	    !file->f_op->write_iter)
		lo->flags |= LO_FLAGS_READ_ONLY;

	/* One change uevent at the end, not one per step. */
	dev_set_uevent_suppress(disk_to_dev(lo->disk), 1);
	xloop_media_change(lo->disk);
	set_disk_ro(lo->disk, (lo->flags & LO_FLAGS_READ_ONLY) != 0);
	/* A backing fd opened O_DIRECT asks for direct I/O (and its block size). */
	if (file->f_flags & O_DIRECT)
		lo->flags |= LO_FLAGS_DIRECT_IO;
	lo->use_dio = lo->flags & LO_FLAGS_DIRECT_IO;
	xloop_set_backing(lo, file);
	err = xloop_update_limits(lo, config->block_size);
	if (err) {
		mapping_set_gfp_mask(file->f_mapping, lo->old_gfp_mask);
		xloop_set_backing(lo, NULL);
		dev_set_uevent_suppress(disk_to_dev(lo->disk), 0);
		goto out_unlock;
	}
	xloop_update_dio(lo, lo->use_dio);
	xloop_sysfs_add(lo);
	xloop_set_size(lo, xloop_file_size(lo, file));

	spin_lock_irq(&lo->lock);
	lo->state = XLOOP_BOUND;
	spin_unlock_irq(&lo->lock);
	if (handle)
		xloop_handle_bound(handle);
	if (xloop_part_shift)
		lo->flags |= LO_FLAGS_PARTSCAN;
	partscan = lo->flags & LO_FLAGS_PARTSCAN;
	if (partscan)
		clear_bit(GD_SUPPRESS_PART_SCAN, &lo->disk->state);
	dev_set_uevent_suppress(disk_to_dev(lo->disk), 0);
	kobject_uevent(&disk_to_dev(lo->disk)->kobj, KOBJ_CHANGE);
	xloop_unlock(lo, global);
	if (partscan)
		xloop_reread_partitions(lo);
	if (!(mode & XLOOP_MODE_EXCL))
		bd_abort_claiming(bdev, xloop_configure);
	return 0;

out_unlock:
	xloop_unlock(lo, global);
out_claim:
	if (!(mode & XLOOP_MODE_EXCL))
		bd_abort_claiming(bdev, xloop_configure);
out_putf:
	fput(file);
	module_put(THIS_MODULE);
	return err;
}

/*
 * The detach proper, at the last close after LOOP_CLR_FD or with AUTOCLEAR.
 * The state is XLOOP_RUNDOWN, which keeps every other path away.  Called
 * with disk->open_mutex held (from ->release).
 */
void xloop_teardown(struct xloop_device *lo)
{
	struct gendisk *disk = lo->disk;
	struct file *file;
	int err;

	/* Let requests in flight finish; new ones fail in RUNDOWN. */
	blk_mq_freeze_queue(disk->queue);
	spin_lock_irq(&lo->lock);
	file = lo->backing;
	lo->backing = NULL;
	spin_unlock_irq(&lo->lock);
	blk_mq_unfreeze_queue(disk->queue);
	xloop_io_unbind(lo);

	lo->offset = 0;
	lo->sizelimit = 0;
	lo->limits.block_size = SECTOR_SIZE;
	xloop_apply_limits(disk->queue, &lo->limits);
	invalidate_disk(disk);
	xloop_sysfs_remove(lo);
	kobject_uevent(&disk_to_dev(disk)->kobj, KOBJ_CHANGE);
	mapping_set_gfp_mask(file->f_mapping, lo->old_gfp_mask);
	/* Safe: the closing opener still holds a module reference. */
	module_put(THIS_MODULE);
	xloop_media_change(disk);
	/* With no capacity left, this only drops the partitions. */
	err = xloop_drop_partitions(lo);
	if (err)
		pr_warn("xloop: partition scan of %s failed (rc=%d)\n",
			disk->disk_name, err);
	memset(lo->file_name, 0, LO_NAME_SIZE);
	lo->flags = 0;
	lo->use_dio = false;
	if (!xloop_part_shift)
		set_bit(GD_SUPPRESS_PART_SCAN, &disk->state);
	mutex_lock(&lo->mutex);
	lo->state = XLOOP_UNBOUND;
	if (lo->handle) {
		xloop_handle_hangup(lo->handle);
		lo->handle = NULL;
	}
	lo->handle_gone = false;
	mutex_unlock(&lo->mutex);
	/* Outside lo->mutex: the last fput may take open_mutex elsewhere. */
	fput(file);
}

/*
 * LOOP_CLR_FD (6.12 semantics): mark for detach at the last close.  When
 * the caller is the only opener, refuse new openers from now on.
 */
int xloop_clr_fd(struct xloop_device *lo)
{
	int err = xloop_lock(lo, true);

	if (err)
		return err;
	if (lo->state != XLOOP_BOUND) {
		err = -ENXIO;
	} else {
		lo->flags |= LO_FLAGS_AUTOCLEAR;
		if (disk_openers(lo->disk) == 1) {
			spin_lock_irq(&lo->lock);
			lo->state = XLOOP_RUNDOWN;
			spin_unlock_irq(&lo->lock);
		}
	}
	xloop_unlock(lo, true);
	return err;
}

int xloop_set_status(struct xloop_device *lo,
		     const struct loop_info64 *info)
{
	bool partscan = false, resize = false;
	int err, prev_flags;

	err = mutex_lock_killable(&lo->mutex);
	if (err)
		return err;
	if (lo->state != XLOOP_BOUND) {
		err = -ENXIO;
		goto out_unlock;
	}
	if (lo->offset != info->lo_offset ||
	    lo->sizelimit != info->lo_sizelimit) {
		resize = true;
		sync_blockdev(xloop_bdev(lo));
		invalidate_bdev(xloop_bdev(lo));
	}
	blk_mq_freeze_queue(lo->disk->queue);
	prev_flags = lo->flags;
	err = xloop_apply_info(lo, info);
	if (err)
		goto out_unfreeze;
	/* Only AUTOCLEAR and PARTSCAN come from the caller; PARTSCAN sticks. */
	lo->flags &= LOOP_SET_STATUS_SETTABLE_FLAGS;
	lo->flags |= prev_flags & ~LOOP_SET_STATUS_SETTABLE_FLAGS;
	lo->flags |= prev_flags & ~LOOP_SET_STATUS_CLEARABLE_FLAGS;
	/* Its handle is gone: the binding ends at the last close, whatever. */
	if (lo->handle_gone)
		lo->flags |= LO_FLAGS_AUTOCLEAR;
	if (resize)
		xloop_set_size(lo, xloop_file_size(lo, lo->backing));
	/* A new offset may break the direct-I/O alignment. */
	xloop_update_dio(lo, lo->use_dio);
out_unfreeze:
	blk_mq_unfreeze_queue(lo->disk->queue);
	if (!err && (lo->flags & LO_FLAGS_PARTSCAN) &&
	    !(prev_flags & LO_FLAGS_PARTSCAN)) {
		clear_bit(GD_SUPPRESS_PART_SCAN, &lo->disk->state);
		partscan = true;
	}
out_unlock:
	mutex_unlock(&lo->mutex);
	if (partscan)
		xloop_reread_partitions(lo);
	return err;
}

int xloop_get_status(struct xloop_device *lo, struct loop_info64 *info)
{
	struct path path;
	struct kstat stat;
	int err;

	err = mutex_lock_killable(&lo->mutex);
	if (err)
		return err;
	if (lo->state != XLOOP_BOUND) {
		mutex_unlock(&lo->mutex);
		return -ENXIO;
	}
	memset(info, 0, sizeof(*info));
	info->lo_number = lo->number;
	info->lo_offset = lo->offset;
	info->lo_sizelimit = lo->sizelimit;
	info->lo_flags = lo->flags;
	memcpy(info->lo_file_name, lo->file_name, LO_NAME_SIZE);
	path = lo->backing->f_path;
	path_get(&path);
	/* Not under lo->mutex: getattr may call into the file system. */
	mutex_unlock(&lo->mutex);
	err = vfs_getattr(&path, &stat, STATX_INO, AT_STATX_SYNC_AS_STAT);
	if (!err) {
		info->lo_device = huge_encode_dev(stat.dev);
		info->lo_inode = stat.ino;
		info->lo_rdevice = huge_encode_dev(stat.rdev);
	}
	path_put(&path);
	return err;
}

/*
 * LOOP_CHANGE_FD: swap the backing file of a read-only device for one of
 * the same size (installers use it to release the original medium).
 */
int xloop_change_fd(struct xloop_device *lo, struct block_device *bdev,
		    unsigned int fd)
{
	struct file *file = xloop_get_backing_file(fd);
	struct file *old;
	int err, chain_err;

	if (IS_ERR(file))
		return PTR_ERR(file);
	dev_set_uevent_suppress(disk_to_dev(lo->disk), 1);
	chain_err = xloop_check_chain(lo, file, bdev);
	/* A bound device may close a cycle through any file: always global. */
	err = xloop_lock(lo, true);
	if (err)
		goto out_putf;
	err = -ENXIO;
	if (lo->state != XLOOP_BOUND)
		goto out_unlock;
	/* A handle's binding is its own until it ends. */
	err = -EBUSY;
	if (lo->handle)
		goto out_unlock;
	err = -EINVAL;
	if (!(lo->flags & LO_FLAGS_READ_ONLY))
		goto out_unlock;
	err = xloop_check_backing(lo, file, bdev, chain_err, true);
	if (err)
		goto out_unlock;
	old = lo->backing;
	err = -EINVAL;
	if (xloop_file_size(lo, file) != xloop_file_size(lo, old))
		goto out_unlock;

	xloop_media_change(lo->disk);
	blk_mq_freeze_queue(lo->disk->queue);
	mapping_set_gfp_mask(old->f_mapping, lo->old_gfp_mask);
	xloop_set_backing(lo, file);
	xloop_update_dio(lo, lo->use_dio || (file->f_flags & O_DIRECT));
	blk_mq_unfreeze_queue(lo->disk->queue);
	xloop_unlock(lo, true);
	/* Outside the locks: the last fput may take open_mutex. */
	fput(old);
	dev_set_uevent_suppress(disk_to_dev(lo->disk), 0);
	/* The old file's partitions go, whether or not scanning is on. */
	xloop_reread_partitions(lo);
	kobject_uevent(&disk_to_dev(lo->disk)->kobj, KOBJ_CHANGE);
	return 0;

out_unlock:
	xloop_unlock(lo, true);
out_putf:
	fput(file);
	dev_set_uevent_suppress(disk_to_dev(lo->disk), 0);
	kobject_uevent(&disk_to_dev(lo->disk)->kobj, KOBJ_CHANGE);
	return err;
}

int xloop_set_block_size(struct xloop_device *lo, xloop_mode_t mode,
			 struct block_device *bdev, unsigned long arg)
{
	unsigned int bsize = arg;	/* 0 picks the default, as in 6.12 */
	int err;

	if (!(mode & XLOOP_MODE_EXCL)) {
		err = xloop_prepare_to_claim(bdev, xloop_set_block_size);
		if (err)
			return err;
	}
	err = mutex_lock_killable(&lo->mutex);
	if (err)
		goto out_claim;
	if (lo->state != XLOOP_BOUND) {
		err = -ENXIO;
		goto out_unlock;
	}
	if (queue_logical_block_size(lo->disk->queue) == arg)
		goto out_unlock;
	if (bsize && blk_validate_block_size(bsize)) {
		err = -EINVAL;
		goto out_unlock;
	}
	sync_blockdev(xloop_bdev(lo));
	invalidate_bdev(xloop_bdev(lo));
	blk_mq_freeze_queue(lo->disk->queue);
	err = xloop_update_limits(lo, bsize);
	xloop_update_dio(lo, lo->use_dio);
	blk_mq_unfreeze_queue(lo->disk->queue);
out_unlock:
	mutex_unlock(&lo->mutex);
out_claim:
	if (!(mode & XLOOP_MODE_EXCL))
		bd_abort_claiming(bdev, xloop_set_block_size);
	return err;
}

int xloop_simple_ioctl(struct xloop_device *lo, unsigned int cmd,
		       unsigned long arg)
{
	int err = mutex_lock_killable(&lo->mutex);

	if (err)
		return err;
	if (cmd != LOOP_SET_CAPACITY && cmd != LOOP_SET_DIRECT_IO)
		err = -EINVAL;	/* unknown ioctls: EINVAL, as loop */
	else if (lo->state != XLOOP_BOUND)
		err = -ENXIO;
	else if (cmd == LOOP_SET_CAPACITY)
		xloop_set_size(lo, xloop_file_size(lo, lo->backing));
	else
		xloop_update_dio(lo, arg);
	/* LOOP_SET_DIRECT_IO fails when the file or geometry forbids it. */
	if (!err && cmd == LOOP_SET_DIRECT_IO && lo->use_dio != !!arg)
		err = -EINVAL;
	mutex_unlock(&lo->mutex);
	return err;
}
