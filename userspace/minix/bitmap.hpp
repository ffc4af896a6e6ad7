// The inode and zone bitmaps: bit set = in use, little-endian bit order,
// bit 0 reserved.  Allocation takes the lowest clear bit, as Linux does; a
// lower bound on that bit keeps repeated allocations from rescanning.
#pragma once

#include <cstdint>
#include <optional>

#include "minix/block_cache.hpp"

namespace xloop::minix
{

class Bitmap
{
public:
	Bitmap(BlockCache &cache, uint32_t first_block, uint32_t blocks)
	    : cache_(cache), first_block_(first_block), blocks_(blocks)
	{
	}

	uint64_t bits() const { return uint64_t{blocks_} * cache_.block_size() * 8; }
	Result<bool> test(uint64_t bit);
	// Sets or clears a bit; returns its previous value.
	Result<bool> assign(uint64_t bit, bool value);
	// The lowest clear bit, if any.
	Result<std::optional<uint64_t>> first_clear();
	// Clear bits in the map blocks that cover `bits` bits, padding included
	// (what Linux's statfs reports).
	Result<uint64_t> count_clear_blocks(uint64_t bits);

private:
	Result<uint8_t *> byte_of(uint64_t bit, uint32_t &block);

	BlockCache &cache_;
	uint32_t first_block_;
	uint32_t blocks_;
	uint64_t low_ = 0; // no clear bit below this one
};

} // namespace xloop::minix
