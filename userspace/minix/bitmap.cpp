#include "minix/bitmap.hpp"

#include <bit>

namespace xloop::minix
{

Result<uint8_t *> Bitmap::byte_of(uint64_t bit, uint32_t &block)
{
	uint64_t per_block = uint64_t{cache_.block_size()} * 8;
	if (bit >= bits())
		return Error(EINVAL, "bitmap", "bit beyond the map");
	block = first_block_ + static_cast<uint32_t>(bit / per_block);
	Result<uint8_t *> data = cache_.get(block);
	if (!data)
		return data;
	return *data + (bit % per_block) / 8;
}

Result<bool> Bitmap::test(uint64_t bit)
{
	uint32_t block;
	Result<uint8_t *> p = byte_of(bit, block);
	if (!p)
		return p.error();
	return ((**p >> (bit % 8)) & 1) != 0;
}

Result<bool> Bitmap::assign(uint64_t bit, bool value)
{
	uint32_t block;
	Result<uint8_t *> p = byte_of(bit, block);
	if (!p)
		return p.error();
	uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
	bool old = (**p & mask) != 0;
	if (old != value) {
		**p = static_cast<uint8_t>(value ? (**p | mask) : (**p & ~mask));
		cache_.mark_dirty(block);
	}
	if (!value && bit < low_)
		low_ = bit;
	return old;
}

Result<std::optional<uint64_t>> Bitmap::first_clear()
{
	const uint32_t bs = cache_.block_size();
	for (uint64_t b = low_ / (uint64_t{bs} * 8); b < blocks_; b++) {
		Result<uint8_t *> data = cache_.get(first_block_ + static_cast<uint32_t>(b));
		if (!data)
			return data.error();
		uint32_t start =
		        b == low_ / (uint64_t{bs} * 8) ? static_cast<uint32_t>((low_ / 8) % bs) : 0;
		for (uint32_t i = start; i < bs; i++) {
			uint8_t byte = (*data)[i];
			if (byte == 0xff)
				continue;
			uint64_t bit =
			        (b * bs + i) * 8 + static_cast<unsigned>(std::countr_one(byte));
			low_ = bit;
			return std::optional<uint64_t>(bit);
		}
	}
	low_ = bits();
	return std::optional<uint64_t>();
}

Result<uint64_t> Bitmap::count_clear_blocks(uint64_t nbits)
{
	const uint32_t bs = cache_.block_size();
	uint64_t blocks = (nbits + uint64_t{bs} * 8 - 1) / (uint64_t{bs} * 8);
	uint64_t clear = 0;
	for (uint64_t b = 0; b < blocks && b < blocks_; b++) {
		Result<uint8_t *> data = cache_.get(first_block_ + static_cast<uint32_t>(b));
		if (!data)
			return data.error();
		for (uint32_t i = 0; i < bs; i++)
			clear += 8 - static_cast<unsigned>(std::popcount((*data)[i]));
	}
	return clear;
}

} // namespace xloop::minix
