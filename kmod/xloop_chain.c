// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: what may back a device, and the recursion check.
 *
 * A device must never end up backed by itself, directly or through a chain
 * of loop devices, or its I/O would wait on itself.  loop.ko follows chains
 * of its own devices only (major 7).  xloop follows its own devices through
 * their struct xloop_device, and the stock loop driver's devices through the
 * one thing loop.ko publishes about its binding, the sysfs attribute
 * /sys/dev/block/7:N/loop/backing_file: the path it names is looked up and, if
 * it is a block device, the walk goes on from there.  Caveats of that bridge,
 * documented rather than hidden: it needs sysfs at /sys in the caller's mount
 * namespace, and a backing file that was deleted or renamed since it was
 * bound cannot be followed (its path no longer resolves), in which case the
 * walk ends there as for a regular file.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "xloop.h"

/* Longer chains than this are treated as a cycle among foreign devices. */
#define XLOOP_MAX_CHAIN 64

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

/* Does block device number @dev belong to @lo (the disk or a partition)? */
static bool xloop_dev_is(struct xloop_device *lo, dev_t dev)
{
	return MAJOR(dev) == xloop_major &&
	       (MINOR(dev) >> xloop_part_shift) == lo->number;
}

/*
 * The next link after xloop device number @index: the device number of its
 * backing block device, 0 if it is backed by a regular file, or an errno.
 */
static int xloop_chain_next_own(int index, dev_t *next)
{
	struct xloop_device *l;
	struct inode *inode;
	int err = 0;

	mutex_lock(&xloop_ctl_mutex);
	l = xloop_lookup(index);
	if (!l) {
		err = -EINVAL;
		goto out;
	}
	spin_lock_irq(&l->lock);
	if (l->state != XLOOP_BOUND || !l->backing) {
		err = -EINVAL;
	} else {
		inode = l->backing->f_mapping->host;
		*next = S_ISBLK(inode->i_mode) ? inode->i_rdev : 0;
	}
	spin_unlock_irq(&l->lock);
out:
	mutex_unlock(&xloop_ctl_mutex);
	return err;
}

/* Read loop.ko's loop/backing_file for disk @dev; -ENOENT when unbound. */
static int xloop_read_stock_backing(dev_t dev, char *buf, size_t size)
{
	static const char * const fmts[] = {
		"/sys/dev/block/%u:%u/loop/backing_file",
		/* a partition: the attribute sits on its disk */
		"/sys/dev/block/%u:%u/../loop/backing_file",
	};
	char path[64];
	struct file *f;
	loff_t pos = 0;
	ssize_t len = -ENOENT;
	int i;

	for (i = 0; i < ARRAY_SIZE(fmts) && len == -ENOENT; i++) {
		snprintf(path, sizeof(path), fmts[i], MAJOR(dev), MINOR(dev));
		f = filp_open(path, O_RDONLY, 0);
		if (IS_ERR(f)) {
			len = PTR_ERR(f);
			continue;
		}
		len = kernel_read(f, buf, size - 1, &pos);
		fput(f);
	}
	if (len < 0)
		return len;
	buf[len] = '\0';
	strim(buf);
	return 0;
}

/* The next link after a stock loop device, as for xloop_chain_next_own(). */
static int xloop_chain_next_stock(dev_t dev, dev_t *next)
{
	struct path path;
	struct inode *inode;
	char *name;
	int err;

	name = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!name)
		return -ENOMEM;
	err = xloop_read_stock_backing(dev, name, PATH_MAX);
	if (err) {
		/* No loop/ group: the stock device is unbound. */
		err = -EINVAL;
		goto out;
	}
	*next = 0;
	if (kern_path(name, LOOKUP_FOLLOW, &path) == 0) {
		inode = d_backing_inode(path.dentry);
		if (S_ISBLK(inode->i_mode))
			*next = inode->i_rdev;
		path_put(&path);
	}
out:
	kfree(name);
	return err;
}

/*
 * May @file back @lo (opened as @bdev)?  0, or -EBADF when the chain leads
 * back to @lo, or -EINVAL for an unbound loop device in the chain or a file
 * that is neither regular nor a block device.  Caller holds
 * xloop_validate_mutex, which orders binds that walk chains.
 */
int xloop_validate_chain(struct xloop_device *lo, struct file *file,
			 struct block_device *bdev)
{
	struct inode *inode = file->f_mapping->host;
	dev_t dev;
	int depth, err;

	lockdep_assert_held(&xloop_validate_mutex);
	if (!S_ISREG(inode->i_mode) && !S_ISBLK(inode->i_mode))
		return -EINVAL;
	dev = S_ISBLK(inode->i_mode) ? inode->i_rdev : 0;
	for (depth = 0; dev; depth++) {
		if (depth > XLOOP_MAX_CHAIN)
			return -EBADF;
		if (dev == bdev->bd_dev || xloop_dev_is(lo, dev))
			return -EBADF;
		if (MAJOR(dev) == xloop_major)
			err = xloop_chain_next_own(MINOR(dev) >> xloop_part_shift,
						   &dev);
		else if (MAJOR(dev) == LOOP_MAJOR && !xloop_drop_in)
			err = xloop_chain_next_stock(dev, &dev);
		else
			break;
		if (err)
			return err;
	}
	return 0;
}
