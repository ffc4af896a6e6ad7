/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xloop userspace ABI.
 *
 * xloop speaks the kernel's loop ABI unchanged: the ioctls, flags and
 * structures of <linux/loop.h> (LOOP_SET_FD ... LOOP_CONFIGURE on a disk,
 * LOOP_CTL_ADD/REMOVE/GET_FREE on the control device), with the same
 * semantics and errno values as the Linux 6.12 loop driver.  This header
 * adds only what differs: the names under which the devices appear.
 */
#ifndef _UAPI_LINUX_XLOOP_H
#define _UAPI_LINUX_XLOOP_H

#include <linux/loop.h>

/* Native mode (default): beside loop.ko, dynamic block major, dynamic misc minor. */
#define XLOOP_DISK_PREFIX	"xloop"		/* /dev/xloopN, partitions /dev/xloopNpM */
#define XLOOP_CONTROL_NAME	"xloop-control"	/* /dev/xloop-control */

/*
 * Drop-in mode (the drop-in build, a module named "loop"): loop.ko's names
 * and numbers.
 */
#define XLOOP_DROP_IN_DISK_PREFIX	"loop"
#define XLOOP_DROP_IN_CONTROL_NAME	"loop-control"
#define XLOOP_DROP_IN_MAJOR		7	/* LOOP_MAJOR */
#define XLOOP_DROP_IN_CONTROL_MINOR	237	/* LOOP_CTRL_MINOR */

/*
 * Which driver owns a device: /sys/module/loop/parameters/drop_in exists and
 * reads "Y" when the loop module is xloop's drop-in, in which case /dev/loopN
 * are xloop's (the stock loop.ko has no such parameter).
 */
#define XLOOP_SYSFS_DROP_IN	"/sys/module/loop/parameters/drop_in"

/* The per-disk sysfs group, with loop.ko's attribute names and formats. */
#define XLOOP_SYSFS_GROUP	"loop"

#endif /* _UAPI_LINUX_XLOOP_H */
