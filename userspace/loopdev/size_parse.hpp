// Sizes on the command line the way util-linux reads them: a number with an
// optional unit, K M G T P E in powers of 1024 ("4K", "4KiB"), or of 1000 with
// a B ("4KB").  Decimal, or hexadecimal with 0x.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.hpp"

namespace xloop::loopdev
{

// EINVAL for text that is not a size, ERANGE for one beyond 64 bits.
Result<std::uint64_t> parse_size(std::string_view text);

} // namespace xloop::loopdev
