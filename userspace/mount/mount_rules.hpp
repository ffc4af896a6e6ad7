// xloop mount's rules: the loop options mount(8) takes in -o, and which
// registered file system type mounts a probed image.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace xloop::mount
{

// The loop device options of a mount(8) option string, and the string left
// for the file system.
struct LoopOptions {
	std::string fs_options;      // the rest, as given ("" for none)
	std::uint64_t offset = 0;    // offset=
	std::uint64_t sizelimit = 0; // sizelimit= (0: to the end)
	bool read_only = false;      // "ro" among the options (the device too)
	unsigned long flags = 0;     // the MS_* flags the options stand for
};

// Takes offset=, sizelimit= and loop[=DEVICE] out of `options` (libmount's
// option-string parser: quotes and commas as mount(8) reads them).  EINVAL
// for a bad size or a loop=DEVICE (xloop picks its device).
Result<LoopOptions> take_loop_options(std::string_view options);

// The names in /proc/filesystems' format ("nodev\tproc\n\text4\n").
std::set<std::string> parse_filesystems(std::string_view proc_filesystems);

// The type to mount a file system probed as `probed` with: a Minix image
// goes to xminix when that is registered, everything else as probed.
std::string kernel_type(std::string_view probed, const std::set<std::string> &registered);

} // namespace xloop::mount
