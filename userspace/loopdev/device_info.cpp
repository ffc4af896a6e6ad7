#include "loopdev/device_info.hpp"

#include <fcntl.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "loopdev/sysfs.hpp"

namespace xloop::loopdev
{

namespace
{

// Everything from LOOP_GET_STATUS64 and the block ioctls: no sysfs here.
Status fill_from_ioctls(LoopOs &os, DeviceInfo &info)
{
	auto device = os.open_device(info.disk.path, O_RDONLY);
	if (!device)
		return device.error();
	if (auto st = os.stat(info.disk.path))
		info.devno = std::pair{major(st->rdev), minor(st->rdev)};
	if (auto size = (*device)->logical_block_size())
		info.sector_size = *size;
	auto status = (*device)->get_status();
	if (!status) {
		if (status.error().code() == ENXIO)
			return {}; // not bound
		return status.error();
	}
	const loop_info64 &lo = *status;
	info.bound = true;
	const auto *name = reinterpret_cast<const char *>(lo.lo_file_name);
	info.backing_file.assign(name, strnlen(name, LO_NAME_SIZE));
	info.offset = lo.lo_offset;
	info.sizelimit = lo.lo_sizelimit;
	info.autoclear = lo.lo_flags & LO_FLAGS_AUTOCLEAR;
	info.partscan = lo.lo_flags & LO_FLAGS_PARTSCAN;
	info.read_only = lo.lo_flags & LO_FLAGS_READ_ONLY;
	info.direct_io = lo.lo_flags & LO_FLAGS_DIRECT_IO;
	info.backing_dev = lo.lo_device;
	info.backing_ino = lo.lo_inode;
	return {};
}

Status fill_from_sysfs(LoopOs &os, const std::string &dir, DeviceInfo &info)
{
	if (auto devno = read_devno(os, dir + "/dev"))
		info.devno = *devno;
	if (auto ro = read_number(os, dir + "/ro"))
		info.read_only = *ro != 0;
	if (auto size = read_number(os, dir + "/queue/logical_block_size"))
		info.sector_size = static_cast<std::uint32_t>(*size);
	std::string group = dir + "/" + kLoopGroup;
	auto backing = read_attribute(os, group + "/backing_file");
	if (!backing)
		return backing.error().code() == ENOENT ? Status{} : backing.error();
	info.bound = true;
	info.backing_file = std::move(*backing);
	struct {
		const char *name;
		std::uint64_t *number;
		bool *flag;
	} const fields[] = {
	        {"offset", &info.offset, nullptr},       {"sizelimit", &info.sizelimit, nullptr},
	        {"autoclear", nullptr, &info.autoclear}, {"partscan", nullptr, &info.partscan},
	        {"dio", nullptr, &info.direct_io},
	};
	for (const auto &field : fields) {
		auto value = read_number(os, group + "/" + field.name);
		if (!value) {
			// Detached while we read: report what the kernel says now.
			if (value.error().code() == ENOENT)
				return Error(ENXIO, info.disk.path);
			return value.error();
		}
		if (field.number)
			*field.number = *value;
		else
			*field.flag = *value != 0;
	}
	return {};
}

} // namespace

Result<DeviceInfo> read_device_info(LoopOs &os, const Disk &disk, bool backing_ids)
{
	DeviceInfo info;
	info.disk = disk;
	std::string dir = sysfs_dir(disk);
	if (!os.exists(dir)) {
		if (Status st = fill_from_ioctls(os, info); !st)
			return st.error();
		return info;
	}
	if (Status st = fill_from_sysfs(os, dir, info); !st)
		return st.error();
	if (backing_ids && info.bound) {
		// Only the ioctl knows the backing file's device and inode;
		// without permission to open the device they stay unknown.
		if (auto device = os.open_device(disk.path, O_RDONLY)) {
			if (auto status = (*device)->get_status()) {
				info.backing_dev = status->lo_device;
				info.backing_ino = status->lo_inode;
			}
		}
	}
	return info;
}

} // namespace xloop::loopdev
