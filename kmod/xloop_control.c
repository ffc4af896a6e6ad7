// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: the control device, /dev/xloop-control on a dynamic misc minor
 * (or /dev/loop-control on minor 237 in drop-in mode), with loop-control's
 * ioctls: LOOP_CTL_ADD, LOOP_CTL_REMOVE and LOOP_CTL_GET_FREE, and xloop's
 * XLOOP_CTL_ATTACH (xloop_handle.c).
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <uapi/linux/xloop.h>

#include "xloop.h"

static long xloop_control_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	switch (cmd) {
	case XLOOP_CTL_ATTACH:
		return xloop_ctl_attach((struct xloop_attach __user *)arg,
					file->f_mode & FMODE_WRITE);
	case LOOP_CTL_ADD:
		/* The argument is an int; negative means "any number". */
		return xloop_add((int)arg);
	case LOOP_CTL_REMOVE:
		return xloop_remove_index((int)arg);
	case LOOP_CTL_GET_FREE:
		return xloop_get_free();
	default:
		return -ENOSYS;
	}
}

#ifdef CONFIG_COMPAT
/* The loop-control ioctls take an int, XLOOP_CTL_ATTACH a pointer. */
static long xloop_control_compat_ioctl(struct file *file, unsigned int cmd,
				       unsigned long arg)
{
	if (cmd == XLOOP_CTL_ATTACH)
		arg = (unsigned long)compat_ptr(arg);
	return xloop_control_ioctl(file, cmd, arg);
}
#endif

static const struct file_operations xloop_control_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = xloop_control_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = xloop_control_compat_ioctl,
#endif
	.llseek = noop_llseek,
};

static struct miscdevice xloop_control = {
	.fops = &xloop_control_fops,
};

int xloop_control_register(void)
{
	int err;

	if (xloop_drop_in) {
		xloop_control.minor = XLOOP_DROP_IN_CONTROL_MINOR;
		xloop_control.name = XLOOP_DROP_IN_CONTROL_NAME;
	} else {
		xloop_control.minor = MISC_DYNAMIC_MINOR;
		xloop_control.name = XLOOP_CONTROL_NAME;
	}
	err = misc_register(&xloop_control);
	if (err)
		pr_err("xloop: cannot register /dev/%s: %d%s\n",
		       xloop_control.name, err,
		       xloop_drop_in ? " (is a loop driver built in?)" : "");
	return err;
}

void xloop_control_unregister(void)
{
	misc_deregister(&xloop_control);
}
