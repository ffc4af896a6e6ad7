// What a loop device shows about itself, read the way losetup reads it: the
// sysfs attributes first, LOOP_GET_STATUS64 where sysfs has nothing (and for
// the backing file's device and inode, which only the ioctl reports).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "loopdev/disks.hpp"

namespace xloop::loopdev
{

struct DeviceInfo {
	Disk disk;
	bool bound = false;
	std::string backing_file;
	std::uint64_t offset = 0;
	std::uint64_t sizelimit = 0;
	bool autoclear = false;
	bool partscan = false;
	bool read_only = false;
	bool direct_io = false;
	std::uint32_t sector_size = 512;
	std::optional<std::pair<unsigned, unsigned>> devno; // the disk's major:minor
	std::optional<std::uint64_t> backing_dev;           // lo_device (encoded dev_t)
	std::optional<std::uint64_t> backing_ino;           // lo_inode
};

// `backing_ids`: also ask the device for lo_device/lo_inode (needs an open).
Result<DeviceInfo> read_device_info(LoopOs &os, const Disk &disk, bool backing_ids);

} // namespace xloop::loopdev
