// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: a loop block driver speaking the kernel's loop ABI.
 *
 * This file holds the module (parameters, load and unload) and the device
 * lifecycle: creating and deleting xloopN, opening and the last close, which
 * finishes a detach the way 6.12's loop driver does.
 */
#include <linux/idr.h>
#include <linux/major.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include <uapi/linux/xloop.h>

#include "xloop.h"

#define XLOOP_DEFAULT_MAX_LOOP	8	/* Debian's CONFIG_BLK_DEV_LOOP_MIN_COUNT */
#define XLOOP_DEFAULT_QUEUE_DEPTH 128

/*
 * The drop-in build (dropin/, a module named loop) takes loop.ko's place:
 * loopN on block major 7, /dev/loop-control on misc minor 237.
 */
#ifndef XLOOP_DROP_IN_BUILD
#define XLOOP_DROP_IN_BUILD false
#endif
bool xloop_drop_in = XLOOP_DROP_IN_BUILD;

/* As in loop: max_loop devices at load; a hard limit only when given. */
static int max_loop = XLOOP_DEFAULT_MAX_LOOP;
static bool max_loop_specified;

static int max_loop_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_int(val, kp);

	if (ret < 0)
		return ret;
	max_loop_specified = true;
	return 0;
}

static const struct kernel_param_ops max_loop_ops = {
	.set = max_loop_set,
	.get = param_get_int,
};

module_param_cb(max_loop, &max_loop_ops, &max_loop, 0444);
MODULE_PARM_DESC(max_loop, "Number of devices created at load; when given, also the highest device number + 1");

static int max_part;
module_param(max_part, int, 0444);
MODULE_PARM_DESC(max_part, "Maximum number of partitions per device (forces partition scanning)");

static int hw_queue_depth = XLOOP_DEFAULT_QUEUE_DEPTH;

static int hw_queue_depth_set(const char *val, const struct kernel_param *kp)
{
	int depth, ret;

	ret = kstrtoint(val, 0, &depth);
	if (ret < 0)
		return ret;
	if (depth < 1)
		return -EINVAL;
	hw_queue_depth = depth;
	return 0;
}

static const struct kernel_param_ops hw_queue_depth_ops = {
	.set = hw_queue_depth_set,
	.get = param_get_int,
};

module_param_cb(hw_queue_depth, &hw_queue_depth_ops, &hw_queue_depth, 0444);
MODULE_PARM_DESC(hw_queue_depth, "Queue depth of each device (default 128)");

int xloop_part_shift;
int xloop_major;
DEFINE_MUTEX(xloop_ctl_mutex);		/* the index IDR and device visibility */
DEFINE_MUTEX(xloop_validate_mutex);	/* binds that walk loop chains */
static DEFINE_IDR(xloop_idr);

static const char *xloop_disk_prefix(void)
{
	return xloop_drop_in ? XLOOP_DROP_IN_DISK_PREFIX : XLOOP_DISK_PREFIX;
}

bool xloop_is_xloop_disk(struct gendisk *disk)
{
	return disk->fops == &xloop_fops;
}

/* Caller holds xloop_ctl_mutex. */
struct xloop_device *xloop_lookup(int index)
{
	lockdep_assert_held(&xloop_ctl_mutex);
	return idr_find(&xloop_idr, index);
}

int xloop_open(struct gendisk *disk, xloop_mode_t mode)
{
	struct xloop_device *lo = xloop_from_disk(disk);
	int err;

	err = mutex_lock_killable(&lo->mutex);
	if (err)
		return err;
	/* A device being detached or deleted takes no new openers. */
	if (lo->state == XLOOP_RUNDOWN || lo->state == XLOOP_DELETING)
		err = -ENXIO;
	mutex_unlock(&lo->mutex);
	return err;
}

/* Called under disk->open_mutex on every close, and at a handle's end. */
void xloop_release(struct gendisk *disk)
{
	struct xloop_device *lo = xloop_from_disk(disk);
	bool teardown;

	if (disk_openers(disk) > 0)
		return;
	mutex_lock(&lo->mutex);
	if (lo->state == XLOOP_BOUND && (lo->flags & LO_FLAGS_AUTOCLEAR)) {
		/* Under lo->lock too, as chain walks read it (and LOOP_CLR_FD). */
		spin_lock_irq(&lo->lock);
		lo->state = XLOOP_RUNDOWN;
		spin_unlock_irq(&lo->lock);
	}
	teardown = lo->state == XLOOP_RUNDOWN;
	mutex_unlock(&lo->mutex);
	if (teardown)
		xloop_teardown(lo);
}

void xloop_free_disk(struct gendisk *disk)
{
	struct xloop_device *lo = xloop_from_disk(disk);

	xloop_io_cleanup(lo);
	mutex_destroy(&lo->mutex);
	kfree(lo);
}

const struct block_device_operations xloop_fops = {
	.owner = THIS_MODULE,
	.open = xloop_bdops_open,
	.release = xloop_bdops_release,
	.ioctl = xloop_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = xloop_compat_ioctl,
#endif
	.free_disk = xloop_free_disk,
};

/* Create device @index (any free one if negative); returns its number. */
int xloop_add(int index)
{
	struct xloop_device *lo;
	struct gendisk *disk;
	int err;

	/* Its minors must fit (add_disk() says EINVAL too, after the work). */
	if (index > (int)(MINORMASK >> xloop_part_shift))
		return -EINVAL;
	lo = kzalloc(sizeof(*lo), GFP_KERNEL);
	if (!lo)
		return -ENOMEM;
	lo->state = XLOOP_UNBOUND;
	mutex_init(&lo->mutex);
	spin_lock_init(&lo->lock);

	err = mutex_lock_killable(&xloop_ctl_mutex);
	if (err)
		goto out_free;
	if (index >= 0) {
		err = idr_alloc(&xloop_idr, lo, index, index + 1, GFP_KERNEL);
		if (err == -ENOSPC)
			err = -EEXIST;
	} else {
		err = idr_alloc(&xloop_idr, lo, 0, 0, GFP_KERNEL);
	}
	mutex_unlock(&xloop_ctl_mutex);
	if (err < 0)
		goto out_free;
	lo->number = err;

	lo->tag_set.ops = &xloop_mq_ops;
	lo->tag_set.nr_hw_queues = 1;
	lo->tag_set.queue_depth = hw_queue_depth;
	lo->tag_set.numa_node = NUMA_NO_NODE;
	lo->tag_set.cmd_size = sizeof(struct xloop_cmd);
	/* ->queue_rq() only hands requests to workers: it never blocks. */
	lo->tag_set.flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_STACKING |
			    BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	lo->tag_set.driver_data = lo;
	err = blk_mq_alloc_tag_set(&lo->tag_set);
	if (err)
		goto out_idr;

	disk = xloop_alloc_disk(&lo->tag_set, lo);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto out_tags;
	}
	lo->disk = disk;
	/* Without max_part, partitions are scanned only on request. */
	if (!xloop_part_shift)
		set_bit(GD_SUPPRESS_PART_SCAN, &disk->state);
	disk->major = xloop_major;
	disk->first_minor = lo->number << xloop_part_shift;
	disk->minors = 1 << xloop_part_shift;
	disk->fops = &xloop_fops;
	disk->private_data = lo;
	disk->events = DISK_EVENT_MEDIA_CHANGE;
	disk->event_flags = DISK_EVENT_FLAG_UEVENT;
	snprintf(disk->disk_name, DISK_NAME_LEN, "%s%d", xloop_disk_prefix(),
		 lo->number);
	err = add_disk(disk);
	if (err)
		goto out_disk;

	mutex_lock(&xloop_ctl_mutex);
	lo->visible = true;
	mutex_unlock(&xloop_ctl_mutex);
	return lo->number;

out_disk:
	/* A disk that was never added does not call ->free_disk. */
	put_disk(disk);
out_tags:
	blk_mq_free_tag_set(&lo->tag_set);
out_idr:
	mutex_lock(&xloop_ctl_mutex);
	idr_remove(&xloop_idr, lo->number);
	mutex_unlock(&xloop_ctl_mutex);
out_free:
	mutex_destroy(&lo->mutex);
	kfree(lo);
	return err;
}

static void xloop_delete(struct xloop_device *lo)
{
	int number = lo->number;

	del_gendisk(lo->disk);
	blk_mq_free_tag_set(&lo->tag_set);
	mutex_lock(&xloop_ctl_mutex);
	idr_remove(&xloop_idr, number);
	mutex_unlock(&xloop_ctl_mutex);
	put_disk(lo->disk);
}

/* LOOP_CTL_REMOVE: delete an unbound, unopened device. */
int xloop_remove_index(int index)
{
	struct xloop_device *lo;
	int err;

	if (index < 0)
		return -EINVAL;
	/* Hiding the device serialises concurrent removers. */
	err = mutex_lock_killable(&xloop_ctl_mutex);
	if (err)
		return err;
	lo = idr_find(&xloop_idr, index);
	if (!lo || !lo->visible)
		err = -ENODEV;
	else
		lo->visible = false;
	mutex_unlock(&xloop_ctl_mutex);
	if (err)
		return err;

	err = mutex_lock_killable(&lo->mutex);
	if (err)
		goto show;
	if (lo->state != XLOOP_UNBOUND || disk_openers(lo->disk) > 0) {
		mutex_unlock(&lo->mutex);
		err = -EBUSY;
		goto show;
	}
	lo->state = XLOOP_DELETING;
	mutex_unlock(&lo->mutex);
	xloop_delete(lo);
	return 0;

show:
	mutex_lock(&xloop_ctl_mutex);
	lo->visible = true;
	mutex_unlock(&xloop_ctl_mutex);
	return err;
}

/* The first unbound device, or NULL.  Caller holds xloop_ctl_mutex. */
static struct xloop_device *xloop_first_free(void)
{
	struct xloop_device *lo;
	int id;

	idr_for_each_entry(&xloop_idr, lo, id) {
		/* Not a reservation: a racing binder makes us create one more. */
		if (lo->visible && data_race(lo->state) == XLOOP_UNBOUND)
			return lo;
	}
	return NULL;
}

/* LOOP_CTL_GET_FREE: the first unbound device, else a new one. */
int xloop_get_free(void)
{
	struct xloop_device *lo;
	int err;

	err = mutex_lock_killable(&xloop_ctl_mutex);
	if (err)
		return err;
	lo = xloop_first_free();
	err = lo ? lo->number : -ENODEV;
	mutex_unlock(&xloop_ctl_mutex);
	return lo ? err : xloop_add(-1);
}

/*
 * Device @index, made if missing, or (-1) the first unbound one, else (or
 * with @fresh) a new one, with a reference on its gendisk for xloop_put().
 * A device being made or removed by someone else is busy.
 */
struct xloop_device *xloop_get(int index, bool fresh)
{
	struct xloop_device *lo = NULL;
	bool made = false;

	for (;;) {
		mutex_lock(&xloop_ctl_mutex);
		if (index >= 0)
			lo = idr_find(&xloop_idr, index);
		else if (!fresh)
			lo = xloop_first_free();
		if (lo && lo->visible) {
			get_device(disk_to_dev(lo->disk));
			mutex_unlock(&xloop_ctl_mutex);
			return lo;
		}
		mutex_unlock(&xloop_ctl_mutex);
		if (made || (lo && index >= 0))
			return ERR_PTR(-EBUSY);
		index = xloop_add(index);
		if (index == -EEXIST)
			return ERR_PTR(-EBUSY);
		if (index < 0)
			return ERR_PTR(index);
		made = true;
	}
}

void xloop_put(struct xloop_device *lo)
{
	put_disk(lo->disk);
}

/* Opening the node of a missing device creates it, as loop does. */
static void xloop_probe(dev_t dev)
{
	int index = MINOR(dev) >> xloop_part_shift;

	if (max_loop_specified && max_loop && index >= max_loop)
		return;
	xloop_add(index);
}

static int __init xloop_init(void)
{
	const char *name = xloop_disk_prefix();
	int err, i;

	if (max_part > 0) {
		xloop_part_shift = fls(max_part);
		/* Exported rounded, so users can compute minors. */
		max_part = (1UL << xloop_part_shift) - 1;
	}
	if ((1UL << xloop_part_shift) > DISK_MAX_PARTS)
		return -EINVAL;
	if (max_loop < 0 || max_loop > 1UL << (MINORBITS - xloop_part_shift))
		return -EINVAL;

	err = __register_blkdev(xloop_drop_in ? XLOOP_DROP_IN_MAJOR : 0, name,
				xloop_probe);
	if (err < 0) {
		if (xloop_drop_in)
			pr_err("xloop: drop-in: block major %d is taken (is a loop driver built in?)\n",
			       XLOOP_DROP_IN_MAJOR);
		else
			pr_err("xloop: cannot register a block major: %d\n", err);
		return err;
	}
	xloop_major = xloop_drop_in ? XLOOP_DROP_IN_MAJOR : err;

	err = xloop_control_register();
	if (err)
		goto out_blkdev;

	for (i = 0; i < max_loop; i++)
		xloop_add(i);
	pr_info("xloop: loaded (%s mode, block major %d)\n",
		xloop_drop_in ? "drop-in" : "native", xloop_major);
	return 0;

out_blkdev:
	unregister_blkdev(xloop_major, name);
	return err;
}

static void __exit xloop_exit(void)
{
	struct xloop_device *lo;
	int id;

	unregister_blkdev(xloop_major, xloop_disk_prefix());
	xloop_control_unregister();
	/*
	 * Every device is unbound and closed here: a bound device pins the
	 * module and an open one holds a reference through the block layer.
	 */
	idr_for_each_entry(&xloop_idr, lo, id)
		xloop_delete(lo);
	idr_destroy(&xloop_idr);
}

module_init(xloop_init);
module_exit(xloop_exit);

MODULE_DESCRIPTION("xloop: loop block device driver");
MODULE_LICENSE("GPL");
