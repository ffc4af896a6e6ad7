/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Minix format's plain arithmetic, written once for xminix.ko and the C++
 * model library (which unit-tests it): whether a superblock's geometry can be
 * used, and where a file block sits in an inode's zone tree.  Plain C, no
 * allocation, no I/O; every value comes in as a host-order integer.
 */
#ifndef XMINIX_RULES_H
#define XMINIX_RULES_H

#include <linux/types.h>

#include "minix_format.h"

/* A superblock's geometry, decoded to host order (s_zones or s_nzones). */
struct xminix_geometry {
	unsigned int version;		/* 1, 2 or 3 */
	__u32 ninodes;
	__u32 nzones;
	__u32 imap_blocks;
	__u32 zmap_blocks;
	__u32 first_data_zone;
	__u32 log_zone_size;
	__u32 max_size;
	__u32 block_size;		/* 1024 for V1 and V2 */
};

/* Why a geometry cannot be used; XMINIX_GEOMETRY_OK if it can. */
enum xminix_geometry_fault {
	XMINIX_GEOMETRY_OK = 0,
	XMINIX_GEOMETRY_LOG_ZONE_SIZE,	/* s_log_zone_size is not 0 */
	XMINIX_GEOMETRY_BLOCK_SIZE,	/* not 1024, 2048 or 4096 */
	XMINIX_GEOMETRY_NINODES,	/* 0, or all ones */
	XMINIX_GEOMETRY_FIRST_DATA_ZONE, /* <= 4, or not below s_zones */
	XMINIX_GEOMETRY_IMAP,		/* fewer bits than ninodes + 1 */
	XMINIX_GEOMETRY_ZMAP,		/* fewer bits than data zones + 1 */
	XMINIX_GEOMETRY_MAX_SIZE,	/* V1: beyond what its zone tree maps */
	XMINIX_GEOMETRY_INODE_TABLE,	/* runs into the first data zone */
	XMINIX_GEOMETRY_DEVICE,		/* s_zones do not fit on the device */
};

static inline __u32 xminix_inode_size(unsigned int version)
{
	return version == 1 ? sizeof(struct xminix_inode) :
			      sizeof(struct xminix2_inode);
}

/* Block number of the inode table: after the boot, super and bitmap blocks. */
static inline __u64 xminix_inode_table_block(const struct xminix_geometry *g)
{
	return (__u64)XMINIX_FIRST_MAP_BLOCK + g->imap_blocks + g->zmap_blocks;
}

static inline __u64 xminix_inode_table_blocks(const struct xminix_geometry *g)
{
	__u32 per_block = g->block_size / xminix_inode_size(g->version);

	return ((__u64)g->ninodes + per_block - 1) / per_block;
}

static inline __u32 xminix_data_zones(const struct xminix_geometry *g)
{
	return g->nzones > g->first_data_zone ? g->nzones - g->first_data_zone : 0;
}

/*
 * Everything Linux 6.1.192's minix_check_superblock() rejects, and what it
 * lacks: a block size the format has, bitmaps with a bit for every inode and
 * zone besides the reserved bit 0, an inode table that ends at or before the
 * first data zone, and (when @device_bytes is not 0) zones that fit on the
 * device.
 */
static inline enum xminix_geometry_fault
xminix_check_geometry(const struct xminix_geometry *g, __u64 device_bytes)
{
	__u64 map_bits = (__u64)g->block_size * 8;

	if (g->log_zone_size != 0)
		return XMINIX_GEOMETRY_LOG_ZONE_SIZE;
	if (g->block_size != 1024 && g->block_size != 2048 &&
	    g->block_size != 4096)
		return XMINIX_GEOMETRY_BLOCK_SIZE;
	if (g->ninodes < 1 || g->ninodes == 0xffffffffu)
		return XMINIX_GEOMETRY_NINODES;
	if (g->first_data_zone <= 4 || g->first_data_zone >= g->nzones)
		return XMINIX_GEOMETRY_FIRST_DATA_ZONE;
	if (g->imap_blocks * map_bits < (__u64)g->ninodes + 1)
		return XMINIX_GEOMETRY_IMAP;
	if (g->zmap_blocks * map_bits < (__u64)xminix_data_zones(g) + 1)
		return XMINIX_GEOMETRY_ZMAP;
	if (g->version == 1 && g->max_size > XMINIX_V1_MAX_SIZE)
		return XMINIX_GEOMETRY_MAX_SIZE;
	if (xminix_inode_table_block(g) + xminix_inode_table_blocks(g) >
	    g->first_data_zone)
		return XMINIX_GEOMETRY_INODE_TABLE;
	if (device_bytes && (__u64)g->nzones * g->block_size > device_bytes)
		return XMINIX_GEOMETRY_DEVICE;
	return XMINIX_GEOMETRY_OK;
}

/* Indirect levels of a zone tree: double for V1, triple for V2 and V3. */
static inline unsigned int xminix_tree_levels(unsigned int version)
{
	return version == 1 ? 2 : 3;
}

/* Zone pointers in one indirect block. */
static inline __u32 xminix_pointers_per_block(unsigned int version,
					      __u32 block_size)
{
	return block_size / (version == 1 ? 2 : 4);
}

/*
 * Where file block @index sits in its inode's zone tree: @off[0] is the slot
 * in the inode (0-6 direct, 7 single, 8 double, 9 triple indirect), @off[1..]
 * the slots in the indirect blocks on the way down.  Returns the path's
 * depth (1 for a direct zone), or 0 when the block lies at or past
 * @max_size or beyond what the tree can address.
 */
static inline unsigned int xminix_block_to_path(unsigned int version,
						__u32 block_size,
						__u64 max_size, __u64 index,
						__u32 off[4])
{
	__u32 per_block = xminix_pointers_per_block(version, block_size);
	unsigned int levels = xminix_tree_levels(version);
	unsigned int level, i;
	__u64 span = 1;

	if (index >= max_size / block_size + !!(max_size % block_size))
		return 0;
	if (index < XMINIX_DIRECT_ZONES) {
		off[0] = (__u32)index;
		return 1;
	}
	index -= XMINIX_DIRECT_ZONES;
	for (level = 1; level <= levels; level++) {
		span *= per_block;
		if (index < span) {
			off[0] = XMINIX_DIRECT_ZONES + level - 1;
			for (i = level; i >= 1; i--) {
				off[i] = (__u32)(index % per_block);
				index /= per_block;
			}
			return level + 1;
		}
		index -= span;
	}
	return 0;
}

#endif /* XMINIX_RULES_H */
