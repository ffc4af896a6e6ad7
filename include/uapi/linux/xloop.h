/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xloop userspace ABI.
 *
 * xloop speaks the kernel's loop ABI unchanged: the ioctls, flags and
 * structures of <linux/loop.h> (LOOP_SET_FD ... LOOP_CONFIGURE on a disk,
 * LOOP_CTL_ADD/REMOVE/GET_FREE on the control device), with the same
 * semantics and errno values as the Linux 6.12 loop driver.  This header
 * adds what differs (the names under which the devices appear) and one
 * control ioctl of its own: XLOOP_CTL_ATTACH, an attachment bound to a
 * handle.
 */
#ifndef _UAPI_LINUX_XLOOP_H
#define _UAPI_LINUX_XLOOP_H

#include <linux/ioctl.h>
#include <linux/loop.h>
#include <linux/types.h>

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

/*
 * XLOOP_CTL_ATTACH, on the control device (/dev/xloop-control, or
 * /dev/loop-control of the drop-in): bind a backing file to a device as
 * LOOP_CONFIGURE does, and return a handle, a file descriptor that owns the
 * attachment.
 *
 *  - When the last reference to the handle goes (close, exit, SIGKILL), the
 *    attachment ends: at once when the device is not open, else at its last
 *    close (as LO_FLAGS_AUTOCLEAR does, which it then shows, and which
 *    LOOP_SET_STATUS can no longer clear).
 *  - poll() on the handle reports EPOLLHUP once the device is detached, by
 *    anyone (LOOP_CLR_FD, autoclear).
 *  - Until then the device cannot be re-bound: LOOP_CHANGE_FD on it fails
 *    with EBUSY (LOOP_SET_FD and LOOP_CONFIGURE do, as on any bound device).
 *  - A handle can be passed over a unix socket like any descriptor; each
 *    attachment is an inode of its own (fstat()'s st_ino tells two apart),
 *    shown as "xloop:[xloopN]" in /proc/PID/fd, with the device and diskseq
 *    in /proc/PID/fdinfo.
 *
 * In: config (config.fd is the backing file; LO_FLAGS_AUTOCLEAR is refused
 * with EINVAL, as the handle decides when the attachment ends), index (a
 * device number, made if missing, or -1 for any free one), flags.  Out:
 * number, handle_fd, the device's major and minor, and its diskseq after
 * the bind (BLKGETDISKSEQ), which names this attachment and no later one.
 * Errors as LOOP_CONFIGURE's, and EBUSY when the device asked for is bound
 * (or being made or removed by someone else at that moment).
 * Reserved fields must be zero (EINVAL).
 */
#define XLOOP_ATTACH_CLOEXEC	0x1	/* handle_fd is close-on-exec */

struct xloop_attach {
	struct loop_config config;	/* in */
	__s32 index;			/* in: the device, or -1 for any */
	__u32 flags;			/* in: XLOOP_ATTACH_* */
	__u32 number;			/* out: N of /dev/xloopN */
	__s32 handle_fd;		/* out */
	__u32 major;			/* out */
	__u32 minor;			/* out */
	__u64 diskseq;			/* out */
	__u64 __reserved[4];		/* in: zero */
};

#define XLOOP_CTL_ATTACH	_IOWR('L', 0x90, struct xloop_attach)

#endif /* _UAPI_LINUX_XLOOP_H */
