// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: the loop ioctls on a disk: argument copying and conversion (the old
 * struct loop_info, the 32-bit compat layouts), permission checks, and the
 * switch to the state changes in xloop_bind.c.
 */
#include <linux/compat.h>
#include <linux/uaccess.h>

#include "xloop.h"

static void xloop_info64_from_old(const struct loop_info *old,
				  struct loop_info64 *info)
{
	memset(info, 0, sizeof(*info));
	info->lo_number = old->lo_number;
	info->lo_device = old->lo_device;
	info->lo_inode = old->lo_inode;
	info->lo_rdevice = old->lo_rdevice;
	info->lo_offset = old->lo_offset;
	/* The old structure has no size limit: setting through it clears one. */
	info->lo_sizelimit = 0;
	info->lo_flags = old->lo_flags;
	memcpy(info->lo_file_name, old->lo_name, LO_NAME_SIZE);
}

static int xloop_info64_to_old(const struct loop_info64 *info,
			       struct loop_info *old)
{
	memset(old, 0, sizeof(*old));
	old->lo_number = info->lo_number;
	old->lo_device = info->lo_device;
	old->lo_inode = info->lo_inode;
	old->lo_rdevice = info->lo_rdevice;
	old->lo_offset = info->lo_offset;
	old->lo_flags = info->lo_flags;
	memcpy(old->lo_name, info->lo_file_name, LO_NAME_SIZE);
	/* Values that do not fit the old structure are an error. */
	if (old->lo_device != info->lo_device ||
	    old->lo_rdevice != info->lo_rdevice ||
	    old->lo_inode != info->lo_inode ||
	    old->lo_offset != info->lo_offset)
		return -EOVERFLOW;
	return 0;
}

static int xloop_set_status_old(struct xloop_device *lo,
				const struct loop_info __user *arg)
{
	struct loop_info old;
	struct loop_info64 info;

	if (copy_from_user(&old, arg, sizeof(old)))
		return -EFAULT;
	xloop_info64_from_old(&old, &info);
	return xloop_set_status(lo, &info);
}

static int xloop_get_status_old(struct xloop_device *lo,
				struct loop_info __user *arg)
{
	struct loop_info old;
	struct loop_info64 info;
	int err;

	if (!arg)
		return -EINVAL;
	err = xloop_get_status(lo, &info);
	if (!err)
		err = xloop_info64_to_old(&info, &old);
	if (!err && copy_to_user(arg, &old, sizeof(old)))
		err = -EFAULT;
	return err;
}

static int xloop_set_status64(struct xloop_device *lo,
			      const struct loop_info64 __user *arg)
{
	struct loop_info64 info;

	if (copy_from_user(&info, arg, sizeof(info)))
		return -EFAULT;
	return xloop_set_status(lo, &info);
}

static int xloop_get_status64(struct xloop_device *lo,
			      struct loop_info64 __user *arg)
{
	struct loop_info64 info;
	int err;

	if (!arg)
		return -EINVAL;
	err = xloop_get_status(lo, &info);
	if (!err && copy_to_user(arg, &info, sizeof(info)))
		err = -EFAULT;
	return err;
}

static bool xloop_may_change(xloop_mode_t mode)
{
	return (mode & XLOOP_MODE_WRITE) || capable(CAP_SYS_ADMIN);
}

int xloop_ioctl(struct block_device *bdev, xloop_mode_t mode,
		unsigned int cmd, unsigned long arg)
{
	struct xloop_device *lo = xloop_from_disk(bdev->bd_disk);
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case LOOP_SET_FD: {
		/* LOOP_CONFIGURE with nothing but the descriptor. */
		struct loop_config config = { .fd = arg };

		return xloop_configure(lo, mode, bdev, &config, NULL);
	}
	case LOOP_CONFIGURE: {
		struct loop_config config;

		if (copy_from_user(&config, argp, sizeof(config)))
			return -EFAULT;
		return xloop_configure(lo, mode, bdev, &config, NULL);
	}
	case LOOP_CHANGE_FD:
		return xloop_change_fd(lo, bdev, arg);
	case LOOP_CLR_FD:
		return xloop_clr_fd(lo);
	case LOOP_SET_STATUS:
		if (!xloop_may_change(mode))
			return -EPERM;
		return xloop_set_status_old(lo, argp);
	case LOOP_GET_STATUS:
		return xloop_get_status_old(lo, argp);
	case LOOP_SET_STATUS64:
		if (!xloop_may_change(mode))
			return -EPERM;
		return xloop_set_status64(lo, argp);
	case LOOP_GET_STATUS64:
		return xloop_get_status64(lo, argp);
	case LOOP_SET_BLOCK_SIZE:
		if (!xloop_may_change(mode))
			return -EPERM;
		return xloop_set_block_size(lo, mode, bdev, arg);
	case LOOP_SET_CAPACITY:
	case LOOP_SET_DIRECT_IO:
		if (!xloop_may_change(mode))
			return -EPERM;
		fallthrough;
	default:
		return xloop_simple_ioctl(lo, cmd, arg);
	}
}

#ifdef CONFIG_COMPAT
/* struct loop_info as a 32-bit process lays it out. */
struct compat_loop_info {
	compat_int_t lo_number;
	compat_dev_t lo_device;
	compat_ulong_t lo_inode;
	compat_dev_t lo_rdevice;
	compat_int_t lo_offset;
	compat_int_t lo_encrypt_type;
	compat_int_t lo_encrypt_key_size;
	compat_int_t lo_flags;
	char lo_name[LO_NAME_SIZE];
	unsigned char lo_encrypt_key[LO_KEY_SIZE];
	compat_ulong_t lo_init[2];
	char reserved[4];
};

static noinline int xloop_set_status_compat(struct xloop_device *lo,
					    const struct compat_loop_info __user *arg)
{
	struct compat_loop_info c;
	struct loop_info64 info;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	memset(&info, 0, sizeof(info));
	info.lo_number = c.lo_number;
	info.lo_device = c.lo_device;
	info.lo_inode = c.lo_inode;
	info.lo_rdevice = c.lo_rdevice;
	info.lo_offset = c.lo_offset;
	info.lo_flags = c.lo_flags;
	memcpy(info.lo_file_name, c.lo_name, LO_NAME_SIZE);
	return xloop_set_status(lo, &info);
}

static noinline int xloop_get_status_compat(struct xloop_device *lo,
					    struct compat_loop_info __user *arg)
{
	struct compat_loop_info c;
	struct loop_info64 info;
	int err;

	if (!arg)
		return -EINVAL;
	err = xloop_get_status(lo, &info);
	if (err)
		return err;
	memset(&c, 0, sizeof(c));
	c.lo_number = info.lo_number;
	c.lo_device = info.lo_device;
	c.lo_inode = info.lo_inode;
	c.lo_rdevice = info.lo_rdevice;
	c.lo_offset = info.lo_offset;
	c.lo_flags = info.lo_flags;
	memcpy(c.lo_name, info.lo_file_name, LO_NAME_SIZE);
	if (c.lo_device != info.lo_device || c.lo_rdevice != info.lo_rdevice ||
	    c.lo_inode != info.lo_inode || c.lo_offset != info.lo_offset)
		return -EOVERFLOW;
	return copy_to_user(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

int xloop_compat_ioctl(struct block_device *bdev, xloop_mode_t mode,
		       unsigned int cmd, unsigned long arg)
{
	struct xloop_device *lo = xloop_from_disk(bdev->bd_disk);

	switch (cmd) {
	case LOOP_SET_STATUS:
		if (!xloop_may_change(mode))
			return -EPERM;
		return xloop_set_status_compat(lo, compat_ptr(arg));
	case LOOP_GET_STATUS:
		return xloop_get_status_compat(lo, compat_ptr(arg));
	case LOOP_SET_CAPACITY:
	case LOOP_CLR_FD:
	case LOOP_GET_STATUS64:
	case LOOP_SET_STATUS64:
	case LOOP_CONFIGURE:
		arg = (unsigned long)compat_ptr(arg);
		fallthrough;
	case LOOP_SET_FD:
	case LOOP_CHANGE_FD:
	case LOOP_SET_BLOCK_SIZE:
	case LOOP_SET_DIRECT_IO:
		return xloop_ioctl(bdev, mode, cmd, arg);
	default:
		return -ENOIOCTLCMD;
	}
}
#endif
