// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: attachments bound to a handle (XLOOP_CTL_ATTACH, see
 * include/uapi/linux/xloop.h).
 *
 * A handle is a file on a pseudo file system of the module's own, an
 * internal mount (vfs_kern_mount() through simple_pin_fs()) never visible to
 * userspace: one anonymous inode per attachment (fstat() tells two apart),
 * named "xloop:[xloopN]" in /proc/PID/fd.  The device points at its handle
 * (xloop_device.handle, under lo->mutex) for as long as the binding the
 * handle made lasts; the handle keeps a reference on the device's gendisk,
 * so it can still be asked about once the device is unbound or removed.
 *
 * Module lifetime: the mount is pinned once per handle and made on first
 * use, and the file system type has an owner, so its superblock holds the
 * module until the last handle's file is torn down to its final mntput()
 * (which __fput() does after dropping the fops' module reference: with a
 * mount kept from module init instead, rmmod could free the file system
 * type in that window).
 */
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs_context.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/poll.h>
#include <linux/pseudo_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <uapi/linux/xloop.h>

#include "xloop.h"

/* "xlph": the handles' file system, for statfs(). */
#define XLOOP_HANDLE_MAGIC 0x786c7068

/*
 * A failed bind of a device some other binder took is tried again this
 * often; the second half of the tries on new devices, in case the free one
 * is busy otherwise (held open exclusively).
 */
#define XLOOP_ATTACH_TRIES 8

struct xloop_handle {
	struct xloop_device *lo;	/* with a reference on its gendisk */
	u64 diskseq;			/* the device's, after the bind */
	bool detached;			/* the binding has ended */
	wait_queue_head_t wait;		/* poll()ers of the handle */
};

/* The internal mount, while any handle exists; under the pin's lock. */
static struct vfsmount *xloop_handle_mnt;
static int xloop_handle_mnt_count;

/* "xloop:[xloop3]": /proc/PID/fd and lsof show which device it holds. */
static char *xloop_handle_dname(struct dentry *dentry, char *buf, int len)
{
	char name[sizeof("xloop:[]") + DISK_NAME_LEN];
	int n = snprintf(name, sizeof(name), "xloop:[%s]", dentry->d_name.name);

	if (n >= len)
		return ERR_PTR(-ENAMETOOLONG);
	memcpy(buf + len - n - 1, name, n + 1);
	return buf + len - n - 1;
}

static const struct dentry_operations xloop_handle_dops = {
	.d_dname = xloop_handle_dname,
};

static int xloop_handle_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, XLOOP_HANDLE_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &xloop_handle_dops;
	fc->s_iflags |= SB_I_NOEXEC | SB_I_NODEV;
	return 0;
}

static struct file_system_type xloop_handle_fs_type = {
	.owner = THIS_MODULE,
	.name = "xloop_handle",
	.init_fs_context = xloop_handle_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* @h has bound its device (xloop_configure(), under lo->mutex). */
void xloop_handle_bound(struct xloop_handle *h)
{
	lockdep_assert_held(&h->lo->mutex);
	h->lo->handle = h;
	h->diskseq = h->lo->disk->diskseq;
}

/*
 * The binding @h made has ended (xloop_teardown(), under lo->mutex): wake
 * its poll()ers.  The handle outlives this; its release only drops it.
 */
void xloop_handle_hangup(struct xloop_handle *h)
{
	WRITE_ONCE(h->detached, true);
	wake_up_interruptible_poll(&h->wait, EPOLLHUP);
}

/*
 * The handle's last reference is gone: its binding, if it lasts, ends as
 * autoclear ends one, now when the device is not open (the check ->release
 * makes at a last close), else at its last close.  Task context.
 */
static void xloop_handle_drop(struct xloop_handle *h)
{
	struct xloop_device *lo = h->lo;
	struct gendisk *disk = lo->disk;
	bool ours;

	mutex_lock(&disk->open_mutex);
	mutex_lock(&lo->mutex);
	ours = lo->handle == h;
	if (ours) {
		lo->handle = NULL;
		if (lo->state == XLOOP_BOUND) {
			/* Kept by LOOP_SET_STATUS from now on (handle_gone). */
			lo->handle_gone = true;
			lo->flags |= LO_FLAGS_AUTOCLEAR;
		}
	}
	mutex_unlock(&lo->mutex);
	/* Not another binding's: this one's may end, none other. */
	if (ours)
		xloop_release(disk);
	mutex_unlock(&disk->open_mutex);
}

static int xloop_handle_release(struct inode *inode, struct file *file)
{
	struct xloop_handle *h = file->private_data;

	xloop_handle_drop(h);
	xloop_put(h->lo);
	kfree(h);
	/* The file keeps the mount until __fput() is done with it. */
	simple_release_fs(&xloop_handle_mnt, &xloop_handle_mnt_count);
	return 0;
}

static __poll_t xloop_handle_poll(struct file *file, poll_table *wait)
{
	struct xloop_handle *h = file->private_data;

	poll_wait(file, &h->wait, wait);
	return READ_ONCE(h->detached) ? EPOLLHUP : 0;
}

static void xloop_handle_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct xloop_handle *h = file->private_data;

	seq_printf(m, "xloop-device:\t%s\n", h->lo->disk->disk_name);
	seq_printf(m, "xloop-diskseq:\t%llu\n", h->diskseq);
	seq_printf(m, "xloop-bound:\t%d\n", !READ_ONCE(h->detached));
}

static const struct file_operations xloop_handle_fops = {
	.owner = THIS_MODULE,
	.release = xloop_handle_release,
	.poll = xloop_handle_poll,
	.show_fdinfo = xloop_handle_show_fdinfo,
	.llseek = noop_llseek,
};

/*
 * A file for @h, whose binding is made: it holds a pin of the mount, and a
 * module reference that __fput() puts.
 */
static struct file *xloop_handle_file(struct xloop_handle *h)
{
	struct inode *inode;
	struct file *file;
	int err;

	err = simple_pin_fs(&xloop_handle_fs_type, &xloop_handle_mnt,
			    &xloop_handle_mnt_count);
	if (err)
		return ERR_PTR(err);
	err = -ENODEV;
	if (!try_module_get(THIS_MODULE))
		goto out_unpin;
	inode = alloc_anon_inode(xloop_handle_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto out_module;
	}
	file = alloc_file_pseudo(inode, xloop_handle_mnt, h->lo->disk->disk_name,
				 O_RDWR, &xloop_handle_fops);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		iput(inode);
		goto out_module;
	}
	file->private_data = h;
	return file;

out_module:
	module_put(THIS_MODULE);
out_unpin:
	simple_release_fs(&xloop_handle_mnt, &xloop_handle_mnt_count);
	return ERR_PTR(err);
}

/*
 * Bind @a's backing file to a device through @h: the device @a->index, or
 * any free one, tried again while other binders take the free ones first.
 */
static int xloop_handle_bind(struct xloop_handle *h,
			     const struct xloop_attach *a, xloop_mode_t mode)
{
	struct xloop_device *lo;
	int tries, err = -EBUSY;

	for (tries = 0; tries < XLOOP_ATTACH_TRIES; tries++) {
		lo = xloop_get(a->index, tries >= XLOOP_ATTACH_TRIES / 2);
		if (IS_ERR(lo))
			return PTR_ERR(lo);
		h->lo = lo;
		err = xloop_configure(lo, mode, xloop_bdev(lo), &a->config, h);
		if (!err)
			return 0;
		h->lo = NULL;
		xloop_put(lo);
		if (err != -EBUSY || a->index >= 0)
			break;
	}
	return err;
}

/* XLOOP_CTL_ATTACH.  Task context; @write: the control file is writable. */
long xloop_ctl_attach(struct xloop_attach __user *arg, bool write)
{
	struct xloop_handle *h;
	struct xloop_attach a;
	struct file *file;
	int fd, err;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~XLOOP_ATTACH_CLOEXEC) || a.index < -1 ||
	    memchr_inv(a.__reserved, 0, sizeof(a.__reserved)) ||
	    (a.config.info.lo_flags & LO_FLAGS_AUTOCLEAR))
		return -EINVAL;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	init_waitqueue_head(&h->wait);
	fd = get_unused_fd_flags(O_RDWR |
				 (a.flags & XLOOP_ATTACH_CLOEXEC ? O_CLOEXEC : 0));
	if (fd < 0) {
		kfree(h);
		return fd;
	}
	err = xloop_handle_bind(h, &a, write ? XLOOP_MODE_WRITE : 0);
	if (err)
		goto out_free;
	file = xloop_handle_file(h);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		xloop_handle_drop(h);
		xloop_put(h->lo);
		goto out_free;
	}
	a.number = h->lo->number;
	a.handle_fd = fd;
	a.major = h->lo->disk->major;
	a.minor = h->lo->disk->first_minor;
	a.diskseq = h->diskseq;
	if (copy_to_user(arg, &a, sizeof(a))) {
		/* Its release ends the binding. */
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;

out_free:
	put_unused_fd(fd);
	kfree(h);
	return err;
}
