// SPDX-License-Identifier: GPL-2.0
/*
 * The drop-in module, "loop": xloop_main.c built with XLOOP_DROP_IN_BUILD,
 * plus what makes it loop.ko to the rest of the system.
 */
#include <linux/miscdevice.h>

#include "../xloop_main.c"

/* Static /dev/loop* and /dev/loop-control nodes load it, as they load loop.ko. */
MODULE_ALIAS_BLOCKDEV_MAJOR(LOOP_MAJOR);
MODULE_ALIAS_MISCDEV(LOOP_CTRL_MINOR);
MODULE_ALIAS("devname:loop-control");

/* Read-only: tells tools that /dev/loopN are xloop's (XLOOP_SYSFS_DROP_IN). */
static int xloop_drop_in_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops xloop_drop_in_ops = {
	.set = xloop_drop_in_set,
	.get = param_get_bool,
};

module_param_cb(drop_in, &xloop_drop_in_ops, &xloop_drop_in, 0444);
MODULE_PARM_DESC(drop_in, "Y: this is xloop in loop.ko's place (read-only)");
