// The OS as the loop library sees it: a few small interfaces, so everything
// above them (attach, detach, listing) runs against an in-memory driver in the
// unit tests and against the kernel in the tool (linux_os.hpp).  Every handle
// is owned: a BackingFile, LoopDevice or LoopControl closes on destruction.
#pragma once

#include <linux/loop.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace xloop::loopdev
{

// The parts of stat(2) the library uses.
struct FileInfo {
	mode_t mode = 0;
	dev_t dev = 0;
	ino_t ino = 0;
	dev_t rdev = 0;
	std::uint64_t size = 0;
};

// An open backing file.
class BackingFile
{
public:
	virtual ~BackingFile() = default;
	// The descriptor LOOP_SET_FD and LOOP_CONFIGURE take.
	virtual int fd() const = 0;
	// Opened read-write (a read-only open forces a read-only device).
	virtual bool writable() const = 0;
	virtual Result<FileInfo> info() const = 0;
	// Bytes: st_size for a file, BLKGETSIZE64 for a block device.
	virtual Result<std::uint64_t> size() const = 0;
};

// An open loop block device; errors name the device and the ioctl.
class LoopDevice
{
public:
	virtual ~LoopDevice() = default;
	virtual const std::string &path() const = 0;
	virtual Status configure(const loop_config &config) = 0;
	virtual Status set_fd(const BackingFile &file) = 0;
	virtual Status clear_fd() = 0;
	virtual Status set_status(const loop_info64 &info) = 0;
	virtual Result<loop_info64> get_status() = 0;
	virtual Status set_capacity() = 0;
	virtual Status set_direct_io(bool on) = 0;
	virtual Status set_block_size(std::uint32_t size) = 0;
	virtual Result<std::uint64_t> size() = 0;               // BLKGETSIZE64
	virtual Result<std::uint32_t> logical_block_size() = 0; // BLKSSZGET
};

// An attachment a handle owns (XLOOP_CTL_ATTACH): the last close of the
// handle ends it, at once or, while the device is open, at its last close.
struct OwnedAttachment {
	unsigned number = 0;
	std::uint64_t diskseq = 0; // names this binding of the device, no later one
	Fd handle;
};

// An open loop control device (/dev/loop-control, /dev/xloop-control).
class LoopControl
{
public:
	virtual ~LoopControl() = default;
	virtual Result<unsigned> get_free() = 0;           // LOOP_CTL_GET_FREE
	virtual Result<unsigned> add(unsigned number) = 0; // LOOP_CTL_ADD
	// XLOOP_CTL_ATTACH on device `index`, or any free one (-1).  ENOSYS from
	// a driver without it (the stock loop driver).
	virtual Result<OwnedAttachment> attach_owned(const loop_config &config, int index) = 0;
};

class LoopOs
{
public:
	virtual ~LoopOs() = default;
	virtual Result<std::unique_ptr<BackingFile>> open_backing(const std::string &path,
	                                                          int flags) = 0;
	virtual Result<std::unique_ptr<LoopDevice>> open_device(const std::string &path,
	                                                        int flags) = 0;
	virtual Result<std::unique_ptr<LoopControl>> open_control(const std::string &path) = 0;
	// stat(2), following symbolic links.
	virtual Result<FileInfo> stat(const std::string &path) = 0;
	// A small file's contents (sysfs attributes, module parameters).
	virtual Result<std::string> read_file(const std::string &path) = 0;
	// Directory entries in the order the directory returns them, no "." or "..".
	virtual Result<std::vector<std::string>> list_dir(const std::string &path) = 0;
	virtual Result<std::string> read_link(const std::string &path) = 0;
	virtual Result<std::string> real_path(const std::string &path) = 0;
	virtual bool exists(const std::string &path) = 0;
	virtual std::uint32_t page_size() = 0;
	virtual void sleep(std::chrono::milliseconds duration) = 0;
};

} // namespace xloop::loopdev
