// xloop attach: the setup path of loop-abi.md §3.5, in our own words.
#include <fcntl.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>

#include "loopdev/loop_context.hpp"
#include "loopdev/loop_model.hpp"

namespace xloop::loopdev
{

namespace
{

bool is_one_of(int code, std::initializer_list<int> codes)
{
	return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// Binding failed because another process holds or just took the device (or
// took and released it: a device running down refuses opens with ENXIO).
bool lost_race(const Error &error)
{
	return is_one_of(error.code(), {EBUSY, EAGAIN, ENXIO});
}

// How many immediate retries before backing off: losers of a GET_FREE race
// find the next device at once; a device someone keeps claimed needs time.
constexpr int kImmediateRetries = 4;

} // namespace

Result<std::unique_ptr<BackingFile>> LoopContext::open_backing(const AttachRequest &request)
{
	int direct = request.direct_io.value_or(false) ? O_DIRECT : 0;
	auto file =
	        os_.open_backing(request.file, (request.read_only ? O_RDONLY : O_RDWR) | direct);
	// A file we may only read still makes a (read-only) device.
	if (!file && !request.read_only && is_one_of(file.error().code(), {EROFS, EACCES}))
		file = os_.open_backing(request.file, O_RDONLY | direct);
	if (!file && direct && file.error().code() == EINVAL)
		return Error(EINVAL, request.file, "the file system does not support direct I/O");
	return file;
}

Result<std::unique_ptr<LoopDevice>> LoopContext::open_device(const std::string &path,
                                                             bool allow_read_only)
{
	for (int attempt = 1;; ++attempt) {
		auto device = os_.open_device(path, O_RDWR);
		if (!device && allow_read_only && is_one_of(device.error().code(), {EACCES, EROFS}))
			device = os_.open_device(path, O_RDONLY);
		// udev may not have created the node or set its permissions yet.
		if (device || !is_one_of(device.error().code(), {ENOENT, EACCES}) ||
		    attempt >= retry_.open_attempts)
			return device;
		os_.sleep(retry_.open_delay);
	}
}

Result<std::optional<std::string>> LoopContext::find_overlap(const AttachRequest &request,
                                                             const FileInfo &file)
{
	auto users = find_backing(os_, {driver_}, file);
	if (!users)
		return users.error();
	Extent wanted{request.offset, request.sizelimit};
	for (const DeviceInfo &user : *users) {
		switch (classify_overlap({user.offset, user.sizelimit}, wanted)) {
		case Overlap::same:
			// A read-only device cannot become writable: no reuse (losetup).
			if (user.read_only && !request.read_only)
				return Error(EBUSY, request.file,
				             "overlapping read-only loop device exists (" +
				                     user.disk.path + ")");
			return std::optional<std::string>(user.disk.path);
		case Overlap::overlapping:
			return Error(EBUSY, request.file,
			             "overlapping loop device exists (" + user.disk.path + ")");
		case Overlap::none:
			break;
		}
	}
	return std::optional<std::string>();
}

namespace
{

// Is `file` what the driver reports as a device's backing (LOOP_GET_STATUS64's
// lo_device, in the kernel's encoding, and lo_inode)?
bool backs(std::uint64_t lo_device, std::uint64_t lo_inode, const FileInfo &file)
{
	auto dev = static_cast<dev_t>(lo_device);
	return major(dev) == major(file.dev) && minor(dev) == minor(file.dev) &&
	       lo_inode == file.ino;
}

} // namespace

// The device is the caller's now (losetup -L): it no longer goes away at its
// last close, and scans partitions if asked to.  False when it is no longer
// the mapping found (detached at its last close meanwhile, perhaps bound
// again to something else): then a new device is attached instead.
Result<bool> LoopContext::prepare_reuse(const std::string &path, const AttachRequest &request,
                                        const FileInfo &file)
{
	auto device = open_device(path, true);
	if (!device)
		return device.error();
	// Our open device keeps the binding from here on.
	auto status = (*device)->get_status();
	if (!status && status.error().code() == ENXIO)
		return false;
	if (!status)
		return status.error();
	if (!backs(status->lo_device, status->lo_inode, file) ||
	    status->lo_offset != request.offset || status->lo_sizelimit != request.sizelimit)
		return false;
	loop_info64 info = *status;
	info.lo_flags &= ~LO_FLAGS_AUTOCLEAR;
	if (request.partscan)
		info.lo_flags |= LO_FLAGS_PARTSCAN;
	if (info.lo_flags != status->lo_flags) {
		if (Status st = (*device)->set_status(info); !st)
			return st.error();
	}
	return true;
}

Status LoopContext::bind_legacy(LoopDevice &device, const BackingFile &file,
                                const loop_config &config, const Error &configure_error)
{
	if (Status st = device.set_fd(file); !st) {
		// The same complaint as LOOP_CONFIGURE's: that was the real answer.
		if (st.error().code() == configure_error.code())
			return configure_error;
		return st;
	}
	Status st;
	if (config.block_size)
		st = device.set_block_size(config.block_size);
	if (st) {
		loop_info64 info = config.info;
		info.lo_flags &= kSetStatusSettableFlags;
		for (int attempt = 1;; ++attempt) {
			st = device.set_status(info);
			if (st || st.error().code() != EAGAIN || attempt >= retry_.status_attempts)
				break;
			os_.sleep(retry_.status_delay);
		}
	}
	if (!st)
		(void)device.clear_fd(); // we bound it: never leave it half set up
	return st;
}

Status LoopContext::create_missing(const std::string &path)
{
	auto exists = os_.stat(path);
	if (exists || exists.error().code() != ENOENT)
		return {};
	auto number = driver_.disk_number(path.substr(path.rfind('/') + 1));
	if (!number)
		return {}; // not a name the driver gives: the open says ENOENT
	auto control = os_.open_control(driver_.control);
	if (!control)
		return control.error();
	auto added = (*control)->add(*number);
	if (!added && added.error().code() != EEXIST)
		return added.error();
	return {};
}

Result<std::unique_ptr<LoopDevice>>
LoopContext::bind(const std::string &path, const BackingFile &file, const loop_config &config)
{
	auto device = open_device(path, true);
	if (!device)
		return device.error();
	Status st = (*device)->configure(config);
	// Kernels before 5.8 lack LOOP_CONFIGURE: bind in steps instead.
	if (!st && is_one_of(st.error().code(), {EINVAL, ENOTTY, ENOSYS}))
		st = bind_legacy(**device, file, config, st.error());
	if (!st)
		return st.error();
	return device;
}

Status LoopContext::check_bound(LoopDevice &device, const AttachRequest &request,
                                std::uint64_t expected_size, Attached &result)
{
	if (request.direct_io.value_or(false)) {
		// The driver silently drops direct I/O it cannot do.
		auto status = device.get_status();
		if (!status)
			return status.error();
		result.direct_io_dropped = !(status->lo_flags & LO_FLAGS_DIRECT_IO);
	}
	auto size = device.size();
	if (!size)
		return size.error();
	if (*size != expected_size) {
		if (Status st = device.set_capacity(); !st)
			return st;
		size = device.size();
		if (!size)
			return size.error();
		if (*size != expected_size)
			return Error(ERANGE, device.path(),
			             "size " + std::to_string(*size) + " bytes, expected " +
			                     std::to_string(expected_size));
	}
	return {};
}

Result<Attached> LoopContext::attach(const AttachRequest &request)
{
	if (request.sector_size) {
		if (Status st = check_sector_size(request.sector_size, request.file); !st)
			return st.error();
	}
	auto file = open_backing(request);
	if (!file)
		return file.error();
	auto info = (*file)->info();
	if (!info)
		return info.error();
	auto backing_size = (*file)->size();
	if (!backing_size)
		return backing_size.error();

	Attached result;
	result.partial_sector =
	        drops_partial_sector(*backing_size, request.offset, request.sizelimit);
	result.offset_past_end = request.offset > 0 && request.offset >= *backing_size;

	if (request.no_overlap) {
		auto same = find_overlap(request, *info);
		if (!same)
			return same.error();
		if (*same) {
			auto reused = prepare_reuse(**same, request, *info);
			if (!reused)
				return reused.error();
			if (*reused) {
				result.device = **same;
				result.reused = true;
				return result;
			}
		}
	}

	loop_config config{};
	config.fd = static_cast<std::uint32_t>((*file)->fd());
	config.block_size = request.sector_size;
	config.info.lo_offset = request.offset;
	config.info.lo_sizelimit = request.sizelimit;
	if (request.read_only || !(*file)->writable())
		config.info.lo_flags |= LO_FLAGS_READ_ONLY;
	if (request.autoclear && !request.owned)
		config.info.lo_flags |= LO_FLAGS_AUTOCLEAR;
	if (request.partscan)
		config.info.lo_flags |= LO_FLAGS_PARTSCAN;
	if (request.direct_io.value_or(false))
		config.info.lo_flags |= LO_FLAGS_DIRECT_IO;
	// The absolute name, as LOOP_GET_STATUS64 reports it (truncated to fit).
	auto name = os_.real_path(request.file);
	const std::string &file_name = name ? *name : request.file;
	std::memcpy(config.info.lo_file_name, file_name.data(),
	            std::min<std::size_t>(file_name.size(), LO_NAME_SIZE - 1));
	std::uint64_t expected = device_size(*backing_size, request.offset, request.sizelimit);
	if (request.owned)
		return attach_owned(request, config, expected, std::move(result));

	std::unique_ptr<LoopControl> control;
	for (int attempt = 1;; ++attempt) {
		std::string path;
		if (request.device) {
			path = *request.device;
			if (Status st = create_missing(path); !st)
				return st.error();
		} else {
			if (!control) {
				auto opened = os_.open_control(driver_.control);
				if (!opened)
					return opened.error();
				control = std::move(*opened);
			}
			auto number = control->get_free();
			if (!number)
				return number.error();
			path = driver_.device_path(*number);
		}
		auto device = bind(path, **file, config);
		if (device) {
			if (Status st = check_bound(**device, request, expected, result); !st) {
				(void)(*device)->clear_fd();
				return st.error();
			}
			result.device = path;
			result.handle = std::move(*device);
			return result;
		}
		if (request.device || !lost_race(device.error()) || attempt >= retry_.bind_attempts)
			return device.error();
		if (attempt > kImmediateRetries)
			os_.sleep(retry_.bind_delay);
	}
}

// The driver binds a device it picks (or the one asked for, made if missing)
// in one call, and the handle it returns owns the binding: nothing is left
// bound if this process dies at any point.
Result<Attached> LoopContext::attach_owned(const AttachRequest &request, const loop_config &config,
                                           std::uint64_t expected_size, Attached result)
{
	int index = -1;
	if (request.device) {
		const std::string &path = *request.device;
		auto number = driver_.disk_number(path.substr(path.rfind('/') + 1));
		if (!number)
			return Error(EINVAL, path, "not a " + driver_.disk_prefix + " device");
		index = static_cast<int>(*number);
	}
	auto control = os_.open_control(driver_.control);
	if (!control)
		return control.error();
	auto owned = (*control)->attach_owned(config, index);
	if (!owned)
		return owned.error();
	std::string path = driver_.device_path(owned->number);
	// On an error return the handle closes, and the driver detaches.
	auto device = open_device(path, true);
	if (!device)
		return device.error();
	if (Status st = check_bound(**device, request, expected_size, result); !st)
		return st.error();
	result.device = path;
	result.handle = std::move(*device);
	result.owner = std::move(owned->handle);
	result.diskseq = owned->diskseq;
	return result;
}

Result<std::vector<DeviceInfo>> find_backing(LoopOs &os, const std::vector<Driver> &drivers,
                                             const FileInfo &file,
                                             std::optional<std::uint64_t> offset)
{
	auto disks = list_disks(os, drivers, true);
	if (!disks)
		return disks.error();
	std::vector<DeviceInfo> found;
	for (const Disk &disk : *disks) {
		auto info = read_device_info(os, disk, true);
		if (!info || !info->bound || !info->backing_dev || !info->backing_ino)
			continue; // detached meanwhile, or not ours to ask
		if (!backs(*info->backing_dev, *info->backing_ino, file))
			continue;
		if (offset && info->offset != *offset)
			continue;
		found.push_back(std::move(*info));
	}
	return found;
}

} // namespace xloop::loopdev
