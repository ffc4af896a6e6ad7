// A write-back cache of filesystem blocks over a BlockDevice.  Pointers it
// hands out stay valid until the next flush_and_trim(); every modified block
// is marked dirty and written back, in block order, by flush().
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "minix/block_device.hpp"

namespace xloop::minix
{

class BlockCache
{
public:
	BlockCache(BlockDevice &dev, uint32_t block_size) : dev_(dev), block_size_(block_size) {}

	uint32_t block_size() const { return block_size_; }
	BlockDevice &device() { return dev_; }

	// The block's bytes, read from the device on first use.
	Result<uint8_t *> get(uint32_t block);
	// A block about to be overwritten whole: zero-filled and dirty, not read.
	Result<uint8_t *> get_zeroed(uint32_t block);
	void mark_dirty(uint32_t block);

	// Runs once, before the first block this cache writes (the filesystem
	// marks the image not clean there); an error stops the write.
	void on_first_write(std::function<Status()> hook) { first_write_ = std::move(hook); }
	bool has_written() const { return written_; }

	Status flush();
	// Flushes, then forgets clean blocks once the cache holds more than
	// limit_bytes (large file copies do not keep the whole file in memory).
	Status flush_if_large(uint64_t limit_bytes);
	uint64_t cached_bytes() const { return uint64_t{entries_.size()} * block_size_; }

private:
	struct Entry {
		std::vector<uint8_t> data;
		bool dirty = false;
	};

	BlockDevice &dev_;
	uint32_t block_size_;
	std::unordered_map<uint32_t, Entry> entries_;
	std::function<Status()> first_write_;
	bool written_ = false;
};

} // namespace xloop::minix
