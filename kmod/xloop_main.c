// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: a loop block driver speaking the kernel's loop ABI.
 */
#include <linux/module.h>

static int __init xloop_init(void)
{
	return 0;
}

static void __exit xloop_exit(void)
{
}

module_init(xloop_init);
module_exit(xloop_exit);

MODULE_DESCRIPTION("xloop: loop block device driver");
MODULE_LICENSE("GPL");
