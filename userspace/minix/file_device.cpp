#include "minix/file_device.hpp"

#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

namespace xloop::minix
{

namespace
{

Status lock_image(int fd, const std::string &path, FileDevice::Mode mode, FileDevice::Lock lock)
{
	if (lock == FileDevice::Lock::none)
		return {};
	int op = mode == FileDevice::Mode::read_only ? LOCK_SH : LOCK_EX;
	if (lock == FileDevice::Lock::nowait)
		op |= LOCK_NB;
	while (::flock(fd, op) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return Error(EWOULDBLOCK, path, "in use by another process (locked)");
		return errno_error(path + ": flock");
	}
	return {};
}

} // namespace

Result<FileDevice> FileDevice::open(const std::string &path, Mode mode, Lock lock)
{
	struct stat st {
	};
	if (::stat(path.c_str(), &st) != 0)
		return errno_error(path);
	bool block = S_ISBLK(st.st_mode);
	if (!block && !S_ISREG(st.st_mode))
		return Error(EINVAL, path, "not a regular file or block device");
	int flags = mode == Mode::read_only ? O_RDONLY : O_RDWR;
	if (mode == Mode::read_write && block)
		flags |= O_EXCL;
	Result<Fd> fd = Fd::open(path, flags);
	if (!fd)
		return fd.error();
	if (Status locked = lock_image(fd->get(), path, mode, lock); !locked)
		return locked.error();
	uint64_t size = 0;
	if (block) {
		if (::ioctl(fd->get(), BLKGETSIZE64, &size) != 0)
			return errno_error(path + ": BLKGETSIZE64");
	} else {
		if (::fstat(fd->get(), &st) != 0)
			return errno_error(path);
		size = static_cast<uint64_t>(st.st_size);
	}
	return FileDevice(std::move(*fd), path, size, block);
}

Status FileDevice::read(uint64_t offset, std::span<uint8_t> out)
{
	size_t done = 0;
	while (done < out.size()) {
		ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done,
		                    static_cast<off_t>(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno_error(path_ + ": read");
		if (n == 0)
			return Error(EIO, path_ + ": read", "unexpected end of device");
		done += static_cast<size_t>(n);
	}
	return {};
}

Status FileDevice::write(uint64_t offset, std::span<const uint8_t> in)
{
	size_t done = 0;
	while (done < in.size()) {
		ssize_t n = ::pwrite(fd_.get(), in.data() + done, in.size() - done,
		                     static_cast<off_t>(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errno_error(path_ + ": write");
		done += static_cast<size_t>(n);
	}
	return {};
}

Status FileDevice::flush()
{
	if (::fsync(fd_.get()) != 0 && errno != EINVAL)
		return errno_error(path_ + ": fsync");
	return {};
}

} // namespace xloop::minix
