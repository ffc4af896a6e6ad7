/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xloop: internal definitions shared by the driver's files.
 *
 * One xloop_device per /dev/xloopN (or /dev/loopN in drop-in mode).  Its
 * state follows the 6.12 loop driver: unbound -> bound -> rundown (detach
 * pending, new opens fail with ENXIO) -> unbound, or unbound -> deleting.
 */
#ifndef XLOOP_H
#define XLOOP_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/llist.h>
#include <linux/loop.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "compat.h"

enum xloop_state {
	XLOOP_UNBOUND,
	XLOOP_BOUND,
	XLOOP_RUNDOWN,
	XLOOP_DELETING,
};

struct xloop_device {
	int number;
	enum xloop_state state;		/* written under @mutex */
	int flags;			/* LO_FLAGS_* */
	loff_t offset;
	loff_t sizelimit;
	char file_name[LO_NAME_SIZE];

	struct file *backing;		/* swapped under @lock and a frozen queue */
	gfp_t old_gfp_mask;
	bool use_dio;			/* reads/writes go O_DIRECT to @backing */
	bool sysfs_group;		/* the loop/ group exists */
	bool visible;			/* found by GET_FREE/REMOVE; under xloop_ctl_mutex */
	struct xloop_limits limits;
	struct xloop_handle *handle;	/* owns the binding; under @mutex */
	bool handle_gone;		/* ... did, until its last close */
	struct workqueue_struct *wq;	/* the request workers, from the first bind */
	struct xloop_queue *root_queue;	/* for requests of no or the root cgroup */
	struct rb_root queues;		/* the other cgroups' queues, by blkcg */
	spinlock_t queues_lock;		/* protects @queues */
	struct delayed_work reap_work;	/* frees queues idle for a while */

	spinlock_t lock;		/* protects @backing for sysfs and chain walks */
	struct mutex mutex;		/* serialises ioctls, open and teardown */
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
};

/*
 * The reads and writes of one cgroup on a device, taken in turn by one work
 * item, as loop.ko's per-cgroup workers take them (see xloop_io.c).
 */
struct xloop_queue {
	struct xloop_device *lo;
	struct cgroup_subsys_state *blkcg; /* referenced; NULL: the root queue */
	struct rb_node node;		/* in xloop_device.queues */
	struct list_head idle;		/* on the reaper's list, once off the tree */
	struct llist_head cmds;
	struct work_struct work;
	unsigned long last_used;	/* jiffies, when a request last came */
	/*
	 * The queue's worker is doing a buffered request itself, blocking if
	 * it must: requests it could try without blocking go to workers of
	 * their own meanwhile.  Set under xloop_device.queues_lock for the
	 * last request of a batch (xloop_queue_block()).
	 */
	bool blocking;
};

/* Per-request state, allocated by blk-mq behind each request. */
struct xloop_cmd {
	struct work_struct work;	/* the request's own worker */
	struct llist_node node;		/* on an xloop_queue */
	struct kiocb iocb;
	struct bio_vec *bvec;		/* our copy for multi-bio requests */
	struct bio_vec *iter_bvec;	/* first bvec of the request's data */
	unsigned int nr_bvec;
	unsigned int iter_offset;
	unsigned int done;		/* bytes transferred so far */
	atomic_t ref;
	long ret;
	blk_status_t status;		/* for ->complete */
	bool nowait;			/* the current attempt is IOCB_NOWAIT */
	bool may_nowait;		/* may be tried without blocking */
	bool write_started;		/* ... holds the freeze protection */
	struct cgroup_subsys_state *blkcg; /* see xloop_cgroup.h */
	struct cgroup_subsys_state *memcg; /* referenced until the request ends */
};

/* Module parameters and global state (xloop_main.c). */
extern bool xloop_drop_in;
extern int xloop_part_shift;
extern int xloop_major;
extern struct mutex xloop_ctl_mutex;
extern struct mutex xloop_validate_mutex;

static inline struct xloop_device *xloop_from_disk(struct gendisk *disk)
{
	return disk->private_data;
}

static inline struct block_device *xloop_bdev(struct xloop_device *lo)
{
	return lo->disk->part0;
}

/* xloop_main.c: devices */
int xloop_add(int index);
int xloop_remove_index(int index);
int xloop_get_free(void);
struct xloop_device *xloop_lookup(int index);
struct xloop_device *xloop_get(int index, bool fresh);
void xloop_put(struct xloop_device *lo);
void xloop_free_disk(struct gendisk *disk);
bool xloop_is_xloop_disk(struct gendisk *disk);
extern const struct block_device_operations xloop_fops;

/* xloop_control.c: /dev/xloop-control */
int xloop_control_register(void);
void xloop_control_unregister(void);

/* xloop_handle.c: attachments bound to a handle */
struct xloop_attach;
struct xloop_handle;
long xloop_ctl_attach(struct xloop_attach __user *arg, bool write);
void xloop_handle_bound(struct xloop_handle *h);
void xloop_handle_hangup(struct xloop_handle *h);

/* xloop_ioctl.c: the loop ioctls */
int xloop_ioctl(struct block_device *bdev, xloop_mode_t mode,
		unsigned int cmd, unsigned long arg);
int xloop_compat_ioctl(struct block_device *bdev, xloop_mode_t mode,
		       unsigned int cmd, unsigned long arg);

/* xloop_bind.c: binding, unbinding and the changes to a binding */
int xloop_configure(struct xloop_device *lo, xloop_mode_t mode,
		    struct block_device *bdev, const struct loop_config *config,
		    struct xloop_handle *handle);
int xloop_change_fd(struct xloop_device *lo, struct block_device *bdev,
		    unsigned int fd);
int xloop_clr_fd(struct xloop_device *lo);
void xloop_teardown(struct xloop_device *lo);
int xloop_set_status(struct xloop_device *lo, const struct loop_info64 *info);
int xloop_get_status(struct xloop_device *lo, struct loop_info64 *info);
int xloop_set_block_size(struct xloop_device *lo, xloop_mode_t mode,
			 struct block_device *bdev, unsigned long arg);
int xloop_simple_ioctl(struct xloop_device *lo, unsigned int cmd,
		       unsigned long arg);

/* xloop_chain.c: backing file checks and recursion through loop devices */
struct file *xloop_get_backing_file(unsigned int fd);
int xloop_check_chain(struct xloop_device *lo, struct file *file,
		      struct block_device *bdev);
bool xloop_is_loop_file(struct file *file);
int xloop_check_devices(struct xloop_device *lo, struct file *file,
			struct block_device *bdev);

/* xloop_io.c: the request path */
extern const struct blk_mq_ops xloop_mq_ops;
int xloop_io_setup(struct xloop_device *lo);
void xloop_io_unbind(struct xloop_device *lo);
void xloop_io_cleanup(struct xloop_device *lo);

/* xloop_sysfs.c: the loop/ attribute group */
void xloop_sysfs_add(struct xloop_device *lo);
void xloop_sysfs_remove(struct xloop_device *lo);

#endif /* XLOOP_H */
