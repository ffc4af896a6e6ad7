// The loop driver's rules as pure functions: how big a device is, which flags
// each ioctl may set or clear, which block sizes are valid, and when two
// mappings of one file overlap.  No OS access; the kernel module and the tool
// are both held to these.
#pragma once

#include <linux/loop.h>

#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace xloop::loopdev
{

inline constexpr std::uint64_t kSectorSize = 512;

// The flags each call may change (uapi <linux/loop.h>, the same on 6.1 and 6.12).
inline constexpr std::uint32_t kConfigureSettableFlags = LOOP_CONFIGURE_SETTABLE_FLAGS;
inline constexpr std::uint32_t kSetStatusSettableFlags = LOOP_SET_STATUS_SETTABLE_FLAGS;
inline constexpr std::uint32_t kSetStatusClearableFlags = LOOP_SET_STATUS_CLEARABLE_FLAGS;

// Bytes of the backing store a device maps: what is left after the offset,
// capped by a non-zero size limit.  An offset past the end maps nothing.
std::uint64_t mapped_bytes(std::uint64_t backing_size, std::uint64_t offset,
                           std::uint64_t sizelimit);

// The device size the driver reports: the mapped bytes rounded down to whole
// 512-byte sectors (a trailing partial sector is dropped).
std::uint64_t device_size(std::uint64_t backing_size, std::uint64_t offset,
                          std::uint64_t sizelimit);

// True when a tail of the mapped bytes is lost to that rounding.
bool drops_partial_sector(std::uint64_t backing_size, std::uint64_t offset,
                          std::uint64_t sizelimit);

// The flags a device has after LOOP_SET_STATUS(64) asked for `requested`:
// READ_ONLY and DIRECT_IO keep their value, AUTOCLEAR follows the request,
// PARTSCAN can be set but never cleared.
std::uint32_t flags_after_set_status(std::uint32_t current, std::uint32_t requested);

// A logical block size the kernel accepts: a power of two from 512 up to the
// page size.  Zero means "the default" and is valid too.
bool valid_block_size(std::uint32_t size, std::uint32_t page_size);

// A sector size worth passing to any kernel: a power of two of at least 512
// (the upper bound is the running kernel's to decide; it grew in 6.14).
bool plausible_sector_size(std::uint64_t size);
// The same as a Status: EINVAL naming `object` and the size.
Status check_sector_size(std::uint64_t size, const std::string &object);

// What LOOP_CONFIGURE checks in the request itself before it binds anything:
// EINVAL for flags outside the settable set, an encryption type or key size,
// or a bad block size; EOVERFLOW for an offset or limit beyond LLONG_MAX.
Status check_configure(const loop_config &config, std::uint32_t page_size);

// The same checks LOOP_SET_STATUS64 applies to its loop_info64.
Status check_status(const loop_info64 &info);

// A mapping of a backing file: where it starts and how far it may reach
// (sizelimit 0 means "to the end of the file, however far that grows").
struct Extent {
	std::uint64_t offset = 0;
	std::uint64_t sizelimit = 0;
};

enum class Overlap {
	none,        // disjoint ranges of the file
	same,        // exactly the same offset and size limit: the device can be reused
	overlapping, // they share bytes: a second device would alias the first
};

Overlap classify_overlap(const Extent &existing, const Extent &wanted);

} // namespace xloop::loopdev
