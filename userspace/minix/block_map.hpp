// Block mapping: file block -> zone through 7 direct pointers and single,
// double and (V2/V3) triple indirect blocks, with holes (pointer 0).  One
// template serves V1's 16-bit and V2/V3's 32-bit pointers.  Allocation and
// truncation follow Linux fs/minix/itree_common.c: a missing branch is
// allocated top-down (indirect blocks first, zero-filled, then the data
// zone), and truncate frees whole subtrees past the cut and an indirect
// block on the cut's path only when nothing before the cut remains in it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "minix/block_cache.hpp"
#include "minix/inode.hpp"
#include "minix/superblock.hpp"

namespace xloop::minix
{

// What the mapper needs from the filesystem: zones from the zone bitmap.
class ZoneAllocator
{
public:
	virtual ~ZoneAllocator() = default;
	virtual Result<uint32_t> alloc_zone() = 0;
	virtual Status free_zone(uint32_t zone) = 0;
	virtual Result<bool> zone_in_use(uint32_t zone) = 0;
};

struct Mapping {
	uint32_t zone = 0;  // 0: a hole
	bool fresh = false; // newly allocated: contents undefined until written
};

class BlockMap
{
public:
	virtual ~BlockMap() = default;
	// The zone holding file block `index`, 0 for a hole.  ino names the
	// inode in errors about out-of-range pointers.
	virtual Result<uint32_t> lookup(uint32_t ino, const Inode &inode, uint64_t index) = 0;
	// Like lookup, allocating the missing path; EFBIG past the maximum size.
	virtual Result<Mapping> map(uint32_t ino, Inode &inode, uint64_t index) = 0;
	// Frees every block at or past ceil(size / block size).
	virtual Status truncate(uint32_t ino, Inode &inode, uint64_t size) = 0;
	// Calls visit(zone, depth) for every non-zero pointer, indirect blocks
	// (depth > 0) before what they point to; an indirect block's pointers
	// are walked only if visit returns true.  Stops at the first error.
	using Visitor = std::function<Result<bool>(uint32_t zone, unsigned depth)>;
	virtual Status walk(uint32_t ino, const Inode &inode, const Visitor &visit) = 0;
	// Largest number of file blocks the tree can address.
	virtual uint64_t capacity() const = 0;
};

std::unique_ptr<BlockMap> make_block_map(const Superblock &sb, BlockCache &cache,
                                         ZoneAllocator &alloc);

} // namespace xloop::minix
