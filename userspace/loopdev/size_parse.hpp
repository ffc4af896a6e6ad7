// Sizes on the command line the way util-linux reads them (strtosize(), as
// losetup -o/--sizelimit): a number, decimal, hexadecimal with 0x or octal
// with a leading 0, with an optional unit K M G T P E Z Y in either case, in
// powers of 1024 ("4K", "4KiB") or of 1000 with a B ("4KB"), and with a unit
// a decimal fraction ("1.5M").  No sign.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.hpp"

namespace xloop::loopdev
{

// EINVAL for text that is not a size, ERANGE for one beyond 64 bits.
Result<std::uint64_t> parse_size(std::string_view text);

} // namespace xloop::loopdev
