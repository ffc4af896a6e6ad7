#include "loopdev/loop_model.hpp"

#include <climits>
#include <limits>

namespace xloop::loopdev
{

std::uint64_t mapped_bytes(std::uint64_t backing_size, std::uint64_t offset,
                           std::uint64_t sizelimit)
{
	if (offset >= backing_size)
		return 0;
	std::uint64_t bytes = backing_size - offset;
	if (sizelimit != 0 && sizelimit < bytes)
		bytes = sizelimit;
	return bytes;
}

std::uint64_t device_size(std::uint64_t backing_size, std::uint64_t offset, std::uint64_t sizelimit)
{
	return mapped_bytes(backing_size, offset, sizelimit) / kSectorSize * kSectorSize;
}

bool drops_partial_sector(std::uint64_t backing_size, std::uint64_t offset, std::uint64_t sizelimit)
{
	return mapped_bytes(backing_size, offset, sizelimit) % kSectorSize != 0;
}

std::uint32_t flags_after_set_status(std::uint32_t current, std::uint32_t requested)
{
	std::uint32_t flags = current;
	flags &= ~(kSetStatusClearableFlags & ~requested);
	flags |= requested & kSetStatusSettableFlags;
	return flags;
}

static bool power_of_two(std::uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

bool valid_block_size(std::uint32_t size, std::uint32_t page_size)
{
	return size == 0 || (power_of_two(size) && size >= kSectorSize && size <= page_size);
}

bool plausible_sector_size(std::uint64_t size)
{
	return power_of_two(size) && size >= kSectorSize &&
	       size <= std::numeric_limits<std::uint32_t>::max();
}

Status check_sector_size(std::uint64_t size, const std::string &object)
{
	if (plausible_sector_size(size))
		return {};
	return Error(EINVAL, object,
	             "sector size " + std::to_string(size) +
	                     " is not a power of two of at least 512");
}

Status check_status(const loop_info64 &info)
{
	constexpr auto max = static_cast<std::uint64_t>(LLONG_MAX);
	if (info.lo_encrypt_type != 0 || info.lo_encrypt_key_size > LO_KEY_SIZE)
		return Error(EINVAL, "loop_info64", "encryption is not supported");
	if (info.lo_offset > max || info.lo_sizelimit > max)
		return Error(EOVERFLOW, "loop_info64", "offset or size limit beyond LLONG_MAX");
	return {};
}

Status check_configure(const loop_config &config, std::uint32_t page_size)
{
	if (config.info.lo_flags & ~kConfigureSettableFlags)
		return Error(EINVAL, "loop_config", "flags outside LOOP_CONFIGURE_SETTABLE_FLAGS");
	if (!valid_block_size(config.block_size, page_size))
		return Error(EINVAL, "loop_config", "invalid block size");
	return check_status(config.info);
}

Overlap classify_overlap(const Extent &existing, const Extent &wanted)
{
	if (existing.offset == wanted.offset && existing.sizelimit == wanted.sizelimit)
		return Overlap::same;
	constexpr auto unbounded = std::numeric_limits<std::uint64_t>::max();
	auto end = [](const Extent &e) {
		if (e.sizelimit == 0 || e.sizelimit > unbounded - e.offset)
			return unbounded;
		return e.offset + e.sizelimit;
	};
	if (existing.offset < end(wanted) && wanted.offset < end(existing))
		return Overlap::overlapping;
	return Overlap::none;
}

} // namespace xloop::loopdev
