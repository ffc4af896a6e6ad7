/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xloop: the cgroups a request's backing I/O is charged to.
 *
 * As in loop.ko, the backing file's I/O is done on behalf of the task that
 * issued the request: a worker takes on the blkcg of the request's first bio
 * (so io.max and the other block controllers of that cgroup apply to the
 * backing device) and makes the cgroup's memory controller the active one
 * (so page-cache pages of the backing file are charged to it).  Requests of
 * the root cgroup, or with no cgroup, are not associated at all.
 *
 * The configuration conditionals for these controllers live here.
 */
#ifndef XLOOP_CGROUP_H
#define XLOOP_CGROUP_H

#include <linux/blk-cgroup.h>
#include <linux/blk-mq.h>
#include <linux/cgroup.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>

/*
 * The blkcg of @rq's first bio, or NULL for the root cgroup or none.  Not
 * referenced: the bio holds its blkg, and so the css, until the request ends.
 */
static inline struct cgroup_subsys_state *xloop_rq_blkcg(struct request *rq)
{
#ifdef CONFIG_BLK_CGROUP
	struct cgroup_subsys_state *css;

	if (!rq->bio || !rq->bio->bi_blkg)
		return NULL;
	css = bio_blkcg_css(rq->bio);
	return css == blkcg_root_css ? NULL : css;
#else
	return NULL;
#endif
}

/* The memory cgroup to charge for @blkcg's I/O, referenced, or NULL. */
static inline struct cgroup_subsys_state *
xloop_memcg_get(struct cgroup_subsys_state *blkcg)
{
#ifdef CONFIG_MEMCG
	if (blkcg)
		return cgroup_get_e_css(blkcg->cgroup, &memory_cgrp_subsys);
#endif
	return NULL;
}

/* Task context: the worker's backing I/O goes to @blkcg (NULL: none). */
static inline void xloop_blkcg_associate(struct cgroup_subsys_state *blkcg)
{
	kthread_associate_blkcg(blkcg);
}

/* Task context: charge the worker's allocations to @memcg; the old one back. */
static inline struct mem_cgroup *
xloop_memcg_enter(struct cgroup_subsys_state *memcg)
{
#ifdef CONFIG_MEMCG
	if (memcg)
		return set_active_memcg(mem_cgroup_from_css(memcg));
#endif
	return NULL;
}

static inline void xloop_memcg_leave(struct cgroup_subsys_state *memcg,
				     struct mem_cgroup *old)
{
#ifdef CONFIG_MEMCG
	if (memcg)
		set_active_memcg(old);
#endif
}

#endif /* XLOOP_CGROUP_H */
