// The tool's block device: an image file or a block device node.  This is
// the only part of the library that touches the OS.
#pragma once

#include <string>

#include "common/fd.hpp"
#include "minix/block_device.hpp"

namespace xloop::minix
{

class FileDevice : public BlockDevice
{
public:
	enum class Mode { read_only, read_write };
	// What to do when another process holds a conflicting lock.
	enum class Lock { wait, nowait, none };

	// Opens an image for a command, locked against other commands: a shared
	// flock for read_only, an exclusive one for read_write (as util-linux's
	// --lock and fsck -l use on devices), waited for or refused (EWOULDBLOCK)
	// as `lock` says.  read_write opens a block device with O_EXCL too, so a
	// mounted or otherwise claimed device is refused (EBUSY), never written.
	static Result<FileDevice> open(const std::string &path, Mode mode, Lock lock = Lock::wait);

	uint64_t size() const override { return size_; }
	Status read(uint64_t offset, std::span<uint8_t> out) override;
	Status write(uint64_t offset, std::span<const uint8_t> in) override;
	Status flush() override;

	const std::string &path() const { return path_; }
	bool is_block_device() const { return block_device_; }

private:
	FileDevice(Fd fd, std::string path, uint64_t size, bool block_device)
	    : fd_(std::move(fd)), path_(std::move(path)), size_(size), block_device_(block_device)
	{
	}

	Fd fd_;
	std::string path_;
	uint64_t size_;
	bool block_device_;
};

} // namespace xloop::minix
