// mkfs: util-linux mkfs.minix's geometry and initial image, so that both
// tools write byte-identical filesystems (V3 block sizes above 1 KiB are
// ours: mkfs.minix only makes 1 KiB blocks).
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.hpp"
#include "minix/block_device.hpp"
#include "minix/superblock.hpp"

namespace xloop::minix
{

struct MkfsOptions {
	Version version = Version::v1;
	unsigned name_len = 0;      // 0: 30 for V1/V2, 60 for V3
	uint64_t blocks = 0;        // 0: the whole device; in filesystem blocks
	uint64_t inodes = 0;        // 0: mkfs.minix's default for the size
	uint32_t block_size = 1024; // V3 only: 1024, 2048 or 4096
	uint32_t time = 0;          // root inode times
	uint16_t uid = 0;           // root inode owner
	uint16_t gid = 0;
	// Zones not to use (mkfs -c found them unreadable, or -l listed them):
	// kept by inode 2, ".badblocks" in the root, as mkfs.minix keeps them.
	std::vector<uint32_t> bad_blocks;
};

// The superblock mkfs.minix would write for these options on a device of
// device_bytes; errors carry mkfs.minix's wording.
Result<Superblock> plan_filesystem(const MkfsOptions &opts, uint64_t device_bytes);

// Writes the boot block, superblock, bitmaps, inode table and root directory
// (and the bad-blocks inode, for opts.bad_blocks).  A bad block outside the
// data zones is EINVAL, nothing written.
Status make_filesystem(BlockDevice &dev, const Superblock &sb, const MkfsOptions &opts);

// The bad blocks `opts.bad_blocks` would keep: sorted, each once, checked to
// lie among the data zones of `sb`.
Result<std::vector<uint32_t>> checked_bad_blocks(const Superblock &sb, const MkfsOptions &opts);

} // namespace xloop::minix
