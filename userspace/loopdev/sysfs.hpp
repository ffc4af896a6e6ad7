// Reading /sys/block/<disk>/: the loop/ group both drivers expose (the same
// attribute names and formats), ro and queue/logical_block_size.
#pragma once

#include <cstdint>
#include <string>

#include "loopdev/loop_os.hpp"

namespace xloop::loopdev
{

struct Disk;

inline constexpr const char *kSysBlock = "/sys/block";
inline constexpr const char *kLoopGroup = "loop"; // XLOOP_SYSFS_GROUP

std::string sysfs_dir(const Disk &disk);

// One attribute: its text without the trailing newline.
Result<std::string> read_attribute(LoopOs &os, const std::string &path);
// A decimal number attribute; EINVAL if it holds anything else.
Result<std::uint64_t> read_number(LoopOs &os, const std::string &path);
// A "major:minor" attribute (the disk's dev).
Result<std::pair<unsigned, unsigned>> read_devno(LoopOs &os, const std::string &path);

} // namespace xloop::loopdev
