#include "minix/block_cache.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace xloop::minix
{

Result<uint8_t *> BlockCache::get(uint32_t block)
{
	auto it = entries_.find(block);
	if (it != entries_.end())
		return it->second.data.data();
	uint64_t offset = uint64_t{block} * block_size_;
	if (offset + block_size_ > dev_.size())
		return Error(EIO, fmt::format("block {}", block), "beyond the end of the device");
	Entry entry;
	entry.data.resize(block_size_);
	if (Status st = dev_.read(offset, entry.data); !st)
		return st.error();
	return entries_.emplace(block, std::move(entry)).first->second.data.data();
}

Result<uint8_t *> BlockCache::get_zeroed(uint32_t block)
{
	if ((uint64_t{block} + 1) * block_size_ > dev_.size())
		return Error(EIO, fmt::format("block {}", block), "beyond the end of the device");
	Entry &entry = entries_[block];
	entry.data.assign(block_size_, 0);
	entry.dirty = true;
	return entry.data.data();
}

void BlockCache::mark_dirty(uint32_t block)
{
	auto it = entries_.find(block);
	if (it != entries_.end())
		it->second.dirty = true;
}

Status BlockCache::flush()
{
	std::vector<uint32_t> dirty;
	for (auto &[block, entry] : entries_)
		if (entry.dirty)
			dirty.push_back(block);
	std::sort(dirty.begin(), dirty.end());
	if (!dirty.empty() && !written_) {
		if (first_write_)
			if (Status st = first_write_(); !st)
				return st;
		written_ = true;
	}
	// Adjacent dirty blocks go out in one write.
	std::vector<uint8_t> run;
	size_t i = 0;
	while (i < dirty.size()) {
		size_t j = i;
		run.clear();
		while (j < dirty.size() && dirty[j] == dirty[i] + (j - i)) {
			Entry &entry = entries_[dirty[j]];
			run.insert(run.end(), entry.data.begin(), entry.data.end());
			j++;
		}
		if (Status st = dev_.write(uint64_t{dirty[i]} * block_size_, run); !st)
			return st;
		for (size_t k = i; k < j; k++)
			entries_[dirty[k]].dirty = false;
		i = j;
	}
	return {};
}

Status BlockCache::flush_if_large(uint64_t limit_bytes)
{
	if (cached_bytes() <= limit_bytes)
		return {};
	if (Status st = flush(); !st)
		return st;
	entries_.clear();
	return {};
}

} // namespace xloop::minix
