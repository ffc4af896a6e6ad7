// fsck: check (and with repair, fix) a Minix image.  It finds everything
// util-linux fsck.minix finds, in the same walk order and with the same
// exit status (0 clean, 3 corrected, 4 left uncorrected, 7 both; operational
// errors are returned as an Error, exit 8), plus what fsck.minix misses:
// bitmap padding and bit 0, directory sizes that are not a multiple of the
// entry size, zones mapped past a file's size, more than 255 links, '..'
// naming the wrong parent, directories linked twice, bad names, symlink
// sizes, zones on special files, any depth, V3 with 2 and 4 KiB blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.hpp"
#include "minix/block_device.hpp"

namespace xloop::minix
{

struct FsckOptions {
	bool repair = false;    // -a: fix everything fixable without asking
	bool force = false;     // -f: check a clean V1/V2 image too
	bool list = false;      // -l: print every path
	bool verbose = false;   // -v: usage statistics
	bool super = false;     // -s: superblock information
	bool warn_mode = false; // -m: unused inodes whose mode is not cleared
	std::string name;       // the device or image, as messages name it
	// -r: with repair, asked about each problem (the problem and fsck.minix's
	// question for it, without a newline); true fixes it.  Empty: -a, every
	// fixable problem is fixed.
	std::function<bool(const std::string &)> ask;
	// Receives every line of the report (problems, listings, statistics).
	std::function<void(const std::string &)> print;
};

struct FsckResult {
	int exit_code = 0; // 0, 3, 4 or 7
	bool skipped = false;
	unsigned problems = 0;
	bool changed = false;
	bool uncorrected = false;
};

Result<FsckResult> fsck(BlockDevice &dev, const FsckOptions &opts);

} // namespace xloop::minix
