// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: what may back a device, and the recursion check.
 *
 * A device must never end up backed by itself, or its I/O would wait on
 * itself.  The walk goes from the new backing file through every block
 * device its data lives on: the device itself for a block device file (a
 * partition standing for its whole disk), the file system's device for a
 * regular file, and from a loop device on to that device's own backing file.
 * loop.ko follows only chains of block device files on its own major (7),
 * which misses partitions on the extended major (259) and file systems.
 *
 * xloop follows its own devices through their struct xloop_device, and the
 * stock loop driver's devices through the one thing loop.ko publishes about
 * its binding, the sysfs attribute /sys/dev/block/7:N/loop/backing_file: the
 * path it names is looked up and the walk goes on from there.  Caveats of
 * that bridge, documented rather than hidden: it needs sysfs at /sys in the
 * caller's mount namespace, and a backing file that was deleted or renamed
 * since it was bound cannot be followed (its path no longer resolves), in
 * which case the walk ends there.  Other stacking drivers (dm, md) are not
 * followed.
 *
 * That whole walk (xloop_check_chain()) runs before the bind takes any lock:
 * its path lookups may wait on a stalled FUSE or NFS server, which must stall
 * this bind alone (and a fatal signal that ends such a lookup fails it).  The
 * global xloop_validate_mutex is taken, as in loop.ko, when the new backing
 * file is itself a loop device, and for every LOOP_CHANGE_FD; under it
 * xloop_check_devices() walks the chain through xloop devices once more, with
 * no lookups.  That keeps two binds racing from closing a cycle: only a bound
 * device can be reached through a chain, so a cycle needs a device bound
 * already, by LOOP_CHANGE_FD, or one bound onto a loop device.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/namei.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "xloop.h"

/* Longer chains than this are treated as a cycle among foreign devices. */
#define XLOOP_MAX_CHAIN 64

/* One link of a chain: a block device that the data lives on. */
struct xloop_link {
	dev_t dev;		/* the device, possibly a partition */
	dev_t disk;		/* its whole disk */
	bool fs;		/* reached as a file system's device */
};

/* The file behind descriptor @fd, if it can back a device: it must read. */
struct file *xloop_get_backing_file(unsigned int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (!file->f_op->read_iter ||
	    ((file->f_mode & FMODE_WRITE) && !file->f_op->write_iter)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	return file;
}

/*
 * The block device under @inode: the device itself, or the device of the
 * file system holding a regular file (@link->fs); NULL if there is none.
 * @link->dev and @link->disk are set.  @inode is an open file's
 * f_mapping->host (for a block device, the bdev's own inode) or a regular
 * file's inode, kept alive by the caller.
 */
static struct block_device *xloop_bdev_under(struct inode *inode,
					     struct xloop_link *link)
{
	struct block_device *bdev;

	if (S_ISBLK(inode->i_mode)) {
		bdev = I_BDEV(inode);
		link->fs = false;
	} else if (S_ISREG(inode->i_mode) && inode->i_sb->s_bdev) {
		bdev = inode->i_sb->s_bdev;
		link->fs = true;
	} else {
		return NULL;
	}
	link->dev = bdev->bd_dev;
	link->disk = disk_devt(bdev->bd_disk);
	return bdev;
}

/* As xloop_bdev_under(): 1 and @link set, or 0 if there is no device. */
static int xloop_link_of_inode(struct inode *inode, struct xloop_link *link)
{
	return xloop_bdev_under(inode, link) ? 1 : 0;
}

/* Read sysfs attribute @path into @buf, without its newline. */
static int xloop_read_sysfs(const char *path, char *buf, size_t size)
{
	struct file *f = filp_open(path, O_RDONLY, 0);
	loff_t pos = 0;
	ssize_t len;

	if (IS_ERR(f))
		return PTR_ERR(f);
	len = kernel_read(f, buf, size - 1, &pos);
	fput(f);
	if (len < 0)
		return len;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return 0;
}

/*
 * The whole disk of block device @dev, from sysfs (a partition's directory
 * sits in its disk's).  1 and @disk set, or 0 if there is no such device.
 */
static int xloop_whole_disk(dev_t dev, dev_t *disk)
{
	char path[64], buf[32];
	unsigned int major, minor;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition",
		 MAJOR(dev), MINOR(dev));
	if (xloop_read_sysfs(path, buf, sizeof(buf))) {
		*disk = dev;
	} else {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev",
			 MAJOR(dev), MINOR(dev));
		if (xloop_read_sysfs(path, buf, sizeof(buf)) ||
		    sscanf(buf, "%u:%u", &major, &minor) != 2)
			return 0;
		*disk = MKDEV(major, minor);
	}
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dev",
		 MAJOR(*disk), MINOR(*disk));
	return xloop_read_sysfs(path, buf, sizeof(buf)) ? 0 : 1;
}

/*
 * The link under the file named @name (a stock device's backing file).  A
 * lookup that a fatal signal ended (a hung FUSE or NFS server) fails the
 * bind: the walk did not get past it.
 */
static int xloop_link_of_path(const char *name, struct xloop_link *link)
{
	struct inode *inode;
	struct path path;
	int next = 0;

	if (kern_path(name, LOOKUP_FOLLOW, &path))
		return fatal_signal_pending(current) ? -EINTR : 0;
	inode = d_backing_inode(path.dentry);
	if (S_ISBLK(inode->i_mode)) {
		/* A device node: its number, and the disk from sysfs. */
		link->dev = inode->i_rdev;
		link->fs = false;
		next = xloop_whole_disk(link->dev, &link->disk);
	} else {
		next = xloop_link_of_inode(inode, link);
	}
	path_put(&path);
	return next;
}

/*
 * The link after xloop disk @link->disk: 1 and @link updated, 0 at the end
 * of the chain, or an errno.  Reached as a device, an unbound xloop device is
 * EINVAL (loop.ko's answer for a chain through an unbound device); reached
 * through a file system, a device being detached still holds its file.
 */
static int xloop_next_own(struct xloop_device *lo, struct xloop_link *link)
{
	int index = MINOR(link->disk) >> xloop_part_shift;
	struct xloop_device *l;
	int next;

	if (index == lo->number)
		/* Still unbound (LOOP_CONFIGURE), lo is such a device too. */
		return data_race(lo->state) == XLOOP_BOUND || link->fs ?
		       -EBADF : -EINVAL;
	next = link->fs ? 0 : -EINVAL;
	mutex_lock(&xloop_ctl_mutex);
	l = xloop_lookup(index);
	if (l) {
		spin_lock_irq(&l->lock);
		if (l->backing && (l->state == XLOOP_BOUND || link->fs))
			next = xloop_link_of_inode(l->backing->f_mapping->host,
						   link);
		spin_unlock_irq(&l->lock);
	}
	mutex_unlock(&xloop_ctl_mutex);
	return next;
}

/* The link after stock loop disk @link->disk, as for xloop_next_own(). */
static int xloop_next_stock(struct xloop_link *link)
{
	char path[64];
	char *name;
	int next;

	name = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!name)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/backing_file",
		 MAJOR(link->disk), MINOR(link->disk));
	if (xloop_read_sysfs(path, name, PATH_MAX))
		/* No loop/ group: the stock device is unbound. */
		next = link->fs ? 0 : -EINVAL;
	else
		next = xloop_link_of_path(name, link);
	kfree(name);
	return next;
}

/*
 * May @file back @lo (opened as @bdev)?  0, or -EBADF when the chain leads
 * back to @lo, or -EINVAL for an unbound loop device in the chain or a file
 * that is neither regular nor a block device, or -ENOMEM, or -EINTR when a
 * fatal signal ended a lookup.  Called with no lock held.
 */
int xloop_check_chain(struct xloop_device *lo, struct file *file,
		      struct block_device *bdev)
{
	struct inode *inode = file->f_mapping->host;
	struct xloop_link link;
	int depth, next;

	if (!S_ISREG(inode->i_mode) && !S_ISBLK(inode->i_mode))
		return -EINVAL;
	next = xloop_link_of_inode(inode, &link);
	for (depth = 0; next > 0; depth++) {
		if (depth >= XLOOP_MAX_CHAIN || link.dev == bdev->bd_dev)
			return -EBADF;
		if (MAJOR(link.disk) == xloop_major)
			next = xloop_next_own(lo, &link);
		else if (MAJOR(link.disk) == LOOP_MAJOR && !xloop_drop_in)
			next = xloop_next_stock(&link);
		else
			next = 0;
	}
	return next;
}

/* Is @file a loop device (or a partition of one), xloop's or the stock driver's? */
bool xloop_is_loop_file(struct file *file)
{
	struct inode *inode = file->f_mapping->host;
	struct gendisk *disk;

	if (!S_ISBLK(inode->i_mode))
		return false;
	disk = I_BDEV(inode)->bd_disk;
	return xloop_is_xloop_disk(disk) || disk->major == LOOP_MAJOR;
}

/*
 * The xloop device under @inode (see xloop_bdev_under(): the device itself or
 * the file system's, a partition standing for its disk), or NULL.
 */
static struct xloop_device *xloop_under(struct inode *inode,
					struct xloop_link *link)
{
	struct block_device *bdev = xloop_bdev_under(inode, link);

	if (!bdev || !xloop_is_xloop_disk(bdev->bd_disk))
		return NULL;
	return xloop_from_disk(bdev->bd_disk);
}

/*
 * The chain through xloop devices from @file, walked again under the global
 * lock, with no lookups: through block device files and file systems alike,
 * each device's backing file taken under its lock.  0, -EBADF if it reaches
 * @bdev or @lo, -EINVAL through an unbound device reached as a device.
 * Caller holds xloop_validate_mutex (binds onto loop devices, every
 * LOOP_CHANGE_FD and every detach request take it) and lo->mutex.
 */
int xloop_check_devices(struct xloop_device *lo, struct file *file,
			struct block_device *bdev)
{
	struct xloop_device *l;
	struct xloop_link link;
	struct file *f = get_file(file), *next;
	int depth, err = 0;

	lockdep_assert_held(&xloop_validate_mutex);
	lockdep_assert_held(&lo->mutex);
	for (depth = 0; (l = xloop_under(f->f_mapping->host, &link)); depth++) {
		if (depth >= XLOOP_MAX_CHAIN || l == lo ||
		    link.dev == bdev->bd_dev) {
			err = -EBADF;
			break;
		}
		/* Under its lock: a device being torn down drops its file. */
		spin_lock_irq(&l->lock);
		next = l->backing && (l->state == XLOOP_BOUND || link.fs) ?
		       get_file(l->backing) : NULL;
		spin_unlock_irq(&l->lock);
		if (!next) {
			err = link.fs ? 0 : -EINVAL;
			break;
		}
		fput(f);
		f = next;
	}
	fput(f);
	return err;
}
