// One loop device as the Linux 6.12 loop driver keeps it: unbound, bound or
// running down, with the errno every ioctl returns in each state.  It is the
// reference the tool's unit tests run against (an in-memory driver) and the
// VM cases check the real drivers with; it never touches the OS.
#pragma once

#include <linux/loop.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.hpp"

namespace xloop::loopdev
{

// A backing file as the driver sees it through the fd it was given.
struct BackingStore {
	std::string path;
	std::uint64_t size = 0;            // i_size (a block device's size for S_ISBLK)
	std::uint64_t dev = 0;             // st_dev, as the kernel encodes it in lo_device
	std::uint64_t ino = 0;             // st_ino
	bool regular_or_block = true;      // anything else is refused with EINVAL
	bool can_direct_io = true;         // the file system supports O_DIRECT
	std::uint32_t bdev_block_size = 0; // logical block size of the backing bdev, 0 if none
};

// The fd handed to LOOP_SET_FD / LOOP_CONFIGURE.
struct BackingFd {
	std::shared_ptr<BackingStore> store;
	bool writable = true;  // opened O_RDWR
	bool o_direct = false; // opened O_DIRECT: the driver then uses direct I/O if it can
};

enum class DeviceState { unbound, bound, rundown };

class DeviceModel
{
public:
	explicit DeviceModel(std::uint32_t number, std::uint32_t page_size = 4096)
	    : number_(number), page_size_(page_size)
	{
	}

	// Opening and closing the block device.  The last close of a device
	// that is running down, or bound with AUTOCLEAR, unbinds it.
	Status open();
	void close();

	// The ioctls.  `device_writable`: the loop device was opened for write;
	// `may_modify`: opened for write or CAP_SYS_ADMIN (the status setters).
	Status configure(const BackingFd &fd, bool device_writable, const loop_config &config);
	Status set_fd(const BackingFd &fd, bool device_writable);
	Status clear_fd();
	Status set_status(const loop_info64 &info, bool may_modify);
	Result<loop_info64> get_status() const;
	Status set_capacity(bool may_modify);
	Status set_direct_io(bool on, bool may_modify);
	Status set_block_size(std::uint32_t size, bool may_modify);

	DeviceState state() const { return state_; }
	std::uint32_t number() const { return number_; }
	std::uint32_t flags() const { return flags_; }
	std::uint64_t offset() const { return offset_; }
	std::uint64_t sizelimit() const { return sizelimit_; }
	std::uint32_t block_size() const { return block_size_; }
	std::uint64_t size_bytes() const { return size_; }
	unsigned openers() const { return openers_; }
	const BackingStore *backing() const { return file_.get(); }

private:
	bool direct_io_possible() const;
	// Direct I/O is used when wanted and possible; the flag reports it.
	void update_direct_io(bool wanted);
	void teardown();

	std::uint32_t number_;
	std::uint32_t page_size_;
	DeviceState state_ = DeviceState::unbound;
	unsigned openers_ = 0;
	std::shared_ptr<BackingStore> file_;
	bool o_direct_ = false;
	std::uint32_t flags_ = 0;
	std::uint64_t offset_ = 0;
	std::uint64_t sizelimit_ = 0;
	std::uint32_t block_size_ = 512;
	std::uint64_t size_ = 0;
	std::string file_name_;
};

} // namespace xloop::loopdev
