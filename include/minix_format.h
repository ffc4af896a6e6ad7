/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Minix V1/V2/V3 on-disk format, as util-linux mkfs.minix writes it and
 * Linux fs/minix reads it.  Plain C with explicit little-endian types so the
 * same header serves xminix.ko (checked by sparse) and the C++ model library.
 *
 * Layout, in filesystem blocks (1 KiB for V1/V2, s_blocksize for V3):
 *   block 0            boot block
 *   byte 1024          superblock (always at byte 1024, whatever the block size)
 *   block 2 ...        inode bitmap (s_imap_blocks), zone bitmap (s_zmap_blocks),
 *                      inode table, then data zones from s_firstdatazone.
 * Bit 0 of both bitmaps is reserved and always set; imap bit i is inode i,
 * zmap bit k is zone s_firstdatazone + k - 1.  Inode numbers start at 1 (the
 * root directory); zone pointer 0 is a hole.
 */
#ifndef XMINIX_FORMAT_H
#define XMINIX_FORMAT_H

#include <linux/types.h>

#define XMINIX_SUPER_OFFSET		1024
#define XMINIX_BOOT_CLEAR_BYTES		512	/* mkfs.minix zeroes only these */
#define XMINIX_FIRST_MAP_BLOCK		2
#define XMINIX_ROOT_INO			1
#define XMINIX_V1_BLOCK_SIZE		1024

/* Magic numbers: V1/V2 at offset 16 of the superblock, V3 at offset 24. */
#define XMINIX_V1_MAGIC14		0x137F
#define XMINIX_V1_MAGIC30		0x138F
#define XMINIX_V2_MAGIC14		0x2468
#define XMINIX_V2_MAGIC30		0x2478
#define XMINIX_V3_MAGIC			0x4d5a
#define XMINIX_V12_MAGIC_OFFSET		16
#define XMINIX_V3_MAGIC_OFFSET		24

/* s_state (V1/V2 only; V3 has no state and counts as always valid). */
#define XMINIX_VALID_FS			0x0001
#define XMINIX_ERROR_FS			0x0002

/* Zone pointers in an inode: 7 direct, single, double and (V2/V3) triple. */
#define XMINIX_DIRECT_ZONES		7
#define XMINIX_V1_ZONES			9
#define XMINIX_V2_ZONES			10

/* Limits. */
#define XMINIX_V1_LINK_MAX		250
#define XMINIX_V2_LINK_MAX		65530
#define XMINIX_V1_MAX_SIZE		((7 + 512 + 512 * 512) * 1024)
#define XMINIX_V2_MAX_SIZE		0x7fffffff
#define XMINIX_MAX_INODES_16		65535
#define XMINIX_MAX_FIRSTDATAZONE	65535
#define XMINIX_V1_MAX_ZONES		65535
#define XMINIX_NAME_LEN_SHORT		14
#define XMINIX_NAME_LEN_LONG		30
#define XMINIX_V3_NAME_LEN		60

/* V1 and V2 superblock, 24 bytes used at byte 1024. */
struct xminix_super_block {
	__le16 s_ninodes;
	__le16 s_nzones;		/* V1 zone count; 0 on V2 */
	__le16 s_imap_blocks;
	__le16 s_zmap_blocks;
	__le16 s_firstdatazone;
	__le16 s_log_zone_size;		/* must be 0 */
	__le32 s_max_size;
	__le16 s_magic;
	__le16 s_state;
	__le32 s_zones;			/* V2 zone count */
};

/* V3 superblock at byte 1024. */
struct xminix3_super_block {
	__le32 s_ninodes;
	__le16 s_pad0;
	__le16 s_imap_blocks;
	__le16 s_zmap_blocks;
	__le16 s_firstdatazone;
	__le16 s_log_zone_size;		/* must be 0 */
	__le16 s_pad1;
	__le32 s_max_size;
	__le32 s_zones;
	__le16 s_magic;
	__le16 s_pad2;
	__le16 s_blocksize;
	__u8 s_disk_version;
};

/* V1 inode, 32 bytes: one timestamp, 8-bit gid and link count. */
struct xminix_inode {
	__le16 i_mode;
	__le16 i_uid;
	__le32 i_size;
	__le32 i_time;
	__u8 i_gid;
	__u8 i_nlinks;
	__le16 i_zone[XMINIX_V1_ZONES];
};

/* V2 and V3 inode, 64 bytes. */
struct xminix2_inode {
	__le16 i_mode;
	__le16 i_nlinks;
	__le16 i_uid;
	__le16 i_gid;
	__le32 i_size;
	__le32 i_atime;
	__le32 i_mtime;
	__le32 i_ctime;
	__le32 i_zone[XMINIX_V2_ZONES];
};

/*
 * Directory entries: an inode number (0 = free slot) and a NUL-padded name
 * that has no terminator when it fills the field.  Entry 0 is ".", entry 1
 * "..", and entries never cross a block boundary.
 */
struct xminix_dirent14 {
	__le16 inode;
	char name[XMINIX_NAME_LEN_SHORT];
};

struct xminix_dirent30 {
	__le16 inode;
	char name[XMINIX_NAME_LEN_LONG];
};

struct xminix3_dirent {
	__le32 inode;
	char name[XMINIX_V3_NAME_LEN];
};

#endif /* XMINIX_FORMAT_H */
