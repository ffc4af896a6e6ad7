#include "loopdev/device_model.hpp"

#include <algorithm>
#include <cstring>

#include "loopdev/loop_model.hpp"

namespace xloop::loopdev
{

namespace
{

constexpr std::uint32_t kDirectIo = LO_FLAGS_DIRECT_IO;

std::string file_name_of(const loop_info64 &info)
{
	const auto *name = reinterpret_cast<const char *>(info.lo_file_name);
	return std::string(name, strnlen(name, LO_NAME_SIZE - 1));
}

} // namespace

Status DeviceModel::open()
{
	// 6.12: a device on its way down refuses new openers.
	if (state_ == DeviceState::rundown)
		return Error(ENXIO, "open");
	++openers_;
	return {};
}

void DeviceModel::close()
{
	if (openers_ == 0)
		return;
	if (--openers_ != 0)
		return;
	if (state_ == DeviceState::rundown ||
	    (state_ == DeviceState::bound && (flags_ & LO_FLAGS_AUTOCLEAR)))
		teardown();
}

void DeviceModel::teardown()
{
	file_.reset();
	o_direct_ = false;
	state_ = DeviceState::unbound;
	flags_ = 0;
	offset_ = sizelimit_ = size_ = 0;
	block_size_ = 512;
	file_name_.clear();
}

bool DeviceModel::direct_io_possible() const
{
	if (!file_ || !file_->can_direct_io)
		return false;
	std::uint32_t bdev = file_->bdev_block_size;
	return bdev == 0 || (block_size_ >= bdev && offset_ % bdev == 0);
}

void DeviceModel::update_direct_io(bool wanted)
{
	// Direct I/O asked for but impossible is dropped, not refused.
	if (wanted && direct_io_possible())
		flags_ |= kDirectIo;
	else
		flags_ &= ~kDirectIo;
}

Status DeviceModel::configure(const BackingFd &fd, bool device_writable, const loop_config &config)
{
	if (state_ != DeviceState::unbound)
		return Error(EBUSY, "LOOP_CONFIGURE");
	if (!fd.store)
		return Error(EBADF, "LOOP_CONFIGURE");
	if (!fd.store->regular_or_block)
		return Error(EINVAL, "LOOP_CONFIGURE");
	if (Status st = check_configure(config, page_size_); !st)
		return Error(st.error().code(), "LOOP_CONFIGURE", st.error().detail());

	file_ = fd.store;
	o_direct_ = fd.o_direct;
	offset_ = config.info.lo_offset;
	sizelimit_ = config.info.lo_sizelimit;
	flags_ = config.info.lo_flags;
	if (!fd.writable || !device_writable)
		flags_ |= LO_FLAGS_READ_ONLY;
	// 6.12's default: the backing bdev's block size when direct I/O is asked for.
	if (config.block_size)
		block_size_ = config.block_size;
	else if ((flags_ & kDirectIo) && file_->bdev_block_size)
		block_size_ = file_->bdev_block_size;
	else
		block_size_ = 512;
	file_name_ = file_name_of(config.info);
	update_direct_io(o_direct_ || (flags_ & kDirectIo));
	size_ = device_size(file_->size, offset_, sizelimit_);
	state_ = DeviceState::bound;
	return {};
}

Status DeviceModel::set_fd(const BackingFd &fd, bool device_writable)
{
	loop_config config{};
	if (Status st = configure(fd, device_writable, config); !st)
		return Error(st.error().code(), "LOOP_SET_FD", st.error().detail());
	return {};
}

Status DeviceModel::clear_fd()
{
	if (state_ != DeviceState::bound)
		return Error(ENXIO, "LOOP_CLR_FD");
	// 6.12: always AUTOCLEAR; if the caller alone holds the device it runs
	// down at once, and the last close does the teardown either way.
	flags_ |= LO_FLAGS_AUTOCLEAR;
	if (openers_ <= 1)
		state_ = DeviceState::rundown;
	return {};
}

Status DeviceModel::set_status(const loop_info64 &info, bool may_modify)
{
	if (!may_modify)
		return Error(EPERM, "LOOP_SET_STATUS64");
	if (state_ != DeviceState::bound)
		return Error(ENXIO, "LOOP_SET_STATUS64");
	if (Status st = check_status(info); !st)
		return Error(st.error().code(), "LOOP_SET_STATUS64", st.error().detail());
	bool resized = info.lo_offset != offset_ || info.lo_sizelimit != sizelimit_;
	offset_ = info.lo_offset;
	sizelimit_ = info.lo_sizelimit;
	flags_ = flags_after_set_status(flags_, info.lo_flags);
	file_name_ = file_name_of(info);
	if (resized)
		size_ = device_size(file_->size, offset_, sizelimit_);
	update_direct_io(flags_ & kDirectIo);
	return {};
}

Result<loop_info64> DeviceModel::get_status() const
{
	if (state_ != DeviceState::bound)
		return Error(ENXIO, "LOOP_GET_STATUS64");
	loop_info64 info{};
	info.lo_number = number_;
	info.lo_device = file_->dev;
	info.lo_inode = file_->ino;
	info.lo_offset = offset_;
	info.lo_sizelimit = sizelimit_;
	info.lo_flags = flags_;
	std::memcpy(info.lo_file_name, file_name_.data(),
	            std::min<std::size_t>(file_name_.size(), LO_NAME_SIZE - 1));
	return info;
}

Status DeviceModel::set_capacity(bool may_modify)
{
	if (!may_modify)
		return Error(EPERM, "LOOP_SET_CAPACITY");
	if (state_ != DeviceState::bound)
		return Error(ENXIO, "LOOP_SET_CAPACITY");
	size_ = device_size(file_->size, offset_, sizelimit_);
	return {};
}

Status DeviceModel::set_direct_io(bool on, bool may_modify)
{
	if (!may_modify)
		return Error(EPERM, "LOOP_SET_DIRECT_IO");
	if (state_ != DeviceState::bound)
		return Error(ENXIO, "LOOP_SET_DIRECT_IO");
	update_direct_io(on);
	if (static_cast<bool>(flags_ & kDirectIo) != on)
		return Error(EINVAL, "LOOP_SET_DIRECT_IO");
	return {};
}

Status DeviceModel::set_block_size(std::uint32_t size, bool may_modify)
{
	if (!may_modify)
		return Error(EPERM, "LOOP_SET_BLOCK_SIZE");
	if (state_ != DeviceState::bound)
		return Error(ENXIO, "LOOP_SET_BLOCK_SIZE");
	if (size == 0 || !valid_block_size(size, page_size_))
		return Error(EINVAL, "LOOP_SET_BLOCK_SIZE");
	block_size_ = size;
	update_direct_io(o_direct_ || (flags_ & kDirectIo));
	return {};
}

} // namespace xloop::loopdev
