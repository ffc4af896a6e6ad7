// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test only: a module whose init WARNs.  The VM harness must
 * report the run as failed when it is loaded.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init xt_warn_init(void)
{
	WARN(1, "xt_warn: deliberate warning for the harness self-test\n");
	return 0;
}

static void __exit xt_warn_exit(void)
{
}

module_init(xt_warn_init);
module_exit(xt_warn_exit);
MODULE_DESCRIPTION("VM harness self-test: WARN at init");
MODULE_LICENSE("GPL");
