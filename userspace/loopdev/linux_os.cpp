#include "loopdev/linux_os.hpp"

#include <dirent.h>
#include <linux/fs.h>
#include <linux/xloop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <thread>

#include "common/fd.hpp"

namespace xloop::loopdev
{

namespace
{

FileInfo file_info(const struct stat &st)
{
	return {st.st_mode, st.st_dev, st.st_ino, st.st_rdev,
	        static_cast<std::uint64_t>(st.st_size)};
}

Result<FileInfo> fstat_info(int fd, const std::string &path)
{
	struct stat st;
	if (::fstat(fd, &st) != 0)
		return errno_error(path);
	return file_info(st);
}

class LinuxBackingFile final : public BackingFile
{
public:
	LinuxBackingFile(Fd fd, std::string path, bool writable)
	    : fd_(std::move(fd)), path_(std::move(path)), writable_(writable)
	{
	}
	int fd() const override { return fd_.get(); }
	bool writable() const override { return writable_; }
	Result<FileInfo> info() const override { return fstat_info(fd_.get(), path_); }
	Result<std::uint64_t> size() const override
	{
		auto st = info();
		if (!st)
			return st.error();
		if (!S_ISBLK(st->mode))
			return st->size;
		std::uint64_t bytes = 0;
		if (::ioctl(fd_.get(), BLKGETSIZE64, &bytes) != 0)
			return errno_error(path_ + ": BLKGETSIZE64");
		return bytes;
	}

private:
	Fd fd_;
	std::string path_;
	bool writable_;
};

class LinuxLoopDevice final : public LoopDevice
{
public:
	LinuxLoopDevice(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
	const std::string &path() const override { return path_; }

	Status configure(const loop_config &config) override
	{
		return call("LOOP_CONFIGURE", LOOP_CONFIGURE, &config);
	}
	Status set_fd(const BackingFile &file) override
	{
		return call("LOOP_SET_FD", LOOP_SET_FD, static_cast<unsigned long>(file.fd()));
	}
	Status clear_fd() override { return call("LOOP_CLR_FD", LOOP_CLR_FD, 0UL); }
	Status set_status(const loop_info64 &info) override
	{
		return call("LOOP_SET_STATUS64", LOOP_SET_STATUS64, &info);
	}
	Result<loop_info64> get_status() override
	{
		loop_info64 info{};
		if (Status st = call("LOOP_GET_STATUS64", LOOP_GET_STATUS64, &info); !st)
			return st.error();
		return info;
	}
	Status set_capacity() override { return call("LOOP_SET_CAPACITY", LOOP_SET_CAPACITY, 0UL); }
	Status set_direct_io(bool on) override
	{
		return call("LOOP_SET_DIRECT_IO", LOOP_SET_DIRECT_IO, on ? 1UL : 0UL);
	}
	Status set_block_size(std::uint32_t size) override
	{
		return call("LOOP_SET_BLOCK_SIZE", LOOP_SET_BLOCK_SIZE,
		            static_cast<unsigned long>(size));
	}
	Result<std::uint64_t> size() override
	{
		std::uint64_t bytes = 0;
		if (Status st = call("BLKGETSIZE64", BLKGETSIZE64, &bytes); !st)
			return st.error();
		return bytes;
	}
	Result<std::uint32_t> logical_block_size() override
	{
		int size = 0;
		if (Status st = call("BLKSSZGET", BLKSSZGET, &size); !st)
			return st.error();
		return static_cast<std::uint32_t>(size);
	}

private:
	template <typename Arg> Status call(const char *name, unsigned long request, Arg arg)
	{
		if (::ioctl(fd_.get(), request, arg) < 0)
			return errno_error(path_ + ": " + name);
		return {};
	}

	Fd fd_;
	std::string path_;
};

class LinuxLoopControl final : public LoopControl
{
public:
	LinuxLoopControl(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
	Result<unsigned> get_free() override
	{
		int n = ::ioctl(fd_.get(), LOOP_CTL_GET_FREE);
		if (n < 0)
			return errno_error(path_ + ": LOOP_CTL_GET_FREE");
		return static_cast<unsigned>(n);
	}
	Result<unsigned> add(unsigned number) override
	{
		int n = ::ioctl(fd_.get(), LOOP_CTL_ADD, number);
		if (n < 0)
			return errno_error(path_ + ": LOOP_CTL_ADD");
		return static_cast<unsigned>(n);
	}
	Result<OwnedAttachment> attach_owned(const loop_config &config, int index) override
	{
		xloop_attach request{};
		request.config = config;
		request.index = index;
		request.flags = XLOOP_ATTACH_CLOEXEC;
		if (::ioctl(fd_.get(), XLOOP_CTL_ATTACH, &request) != 0)
			return errno_error(path_ + ": XLOOP_CTL_ATTACH");
		return OwnedAttachment{request.number, request.diskseq, Fd(request.handle_fd)};
	}

private:
	Fd fd_;
	std::string path_;
};

} // namespace

Result<std::unique_ptr<BackingFile>> LinuxOs::open_backing(const std::string &path, int flags)
{
	auto fd = Fd::open(path, flags);
	if (!fd)
		return fd.error();
	bool writable = (flags & O_ACCMODE) != O_RDONLY;
	return std::unique_ptr<BackingFile>(
	        std::make_unique<LinuxBackingFile>(std::move(*fd), path, writable));
}

Result<std::unique_ptr<LoopDevice>> LinuxOs::open_device(const std::string &path, int flags)
{
	auto fd = Fd::open(path, flags);
	if (!fd)
		return fd.error();
	return std::unique_ptr<LoopDevice>(std::make_unique<LinuxLoopDevice>(std::move(*fd), path));
}

Result<std::unique_ptr<LoopControl>> LinuxOs::open_control(const std::string &path)
{
	auto fd = Fd::open(path, O_RDWR);
	if (!fd)
		return fd.error();
	return std::unique_ptr<LoopControl>(
	        std::make_unique<LinuxLoopControl>(std::move(*fd), path));
}

Result<FileInfo> LinuxOs::stat(const std::string &path)
{
	struct stat st;
	if (::stat(path.c_str(), &st) != 0)
		return errno_error(path);
	return file_info(st);
}

Result<std::string> LinuxOs::read_file(const std::string &path)
{
	auto fd = Fd::open(path, O_RDONLY);
	if (!fd)
		return fd.error();
	std::string contents;
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(fd->get(), buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno_error(path);
		}
		if (n == 0)
			break;
		contents.append(buf, static_cast<std::size_t>(n));
	}
	return contents;
}

Result<std::vector<std::string>> LinuxOs::list_dir(const std::string &path)
{
	auto fd = Fd::open(path, O_RDONLY | O_DIRECTORY);
	if (!fd)
		return fd.error();
	DIR *dir = ::fdopendir(fd->get());
	if (!dir)
		return errno_error(path);
	fd->release(); // the DIR owns it now
	std::unique_ptr<DIR, int (*)(DIR *)> owned(dir, ::closedir);
	std::vector<std::string> names;
	errno = 0;
	while (const dirent *entry = ::readdir(dir)) {
		std::string name = entry->d_name;
		if (name != "." && name != "..")
			names.push_back(std::move(name));
	}
	if (errno != 0)
		return errno_error(path);
	return names;
}

Result<std::string> LinuxOs::read_link(const std::string &path)
{
	char buf[PATH_MAX];
	ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
	if (n < 0)
		return errno_error(path);
	return std::string(buf, static_cast<std::size_t>(n));
}

Result<std::string> LinuxOs::real_path(const std::string &path)
{
	std::unique_ptr<char, void (*)(void *)> resolved(::realpath(path.c_str(), nullptr),
	                                                 std::free);
	if (!resolved)
		return errno_error(path);
	return std::string(resolved.get());
}

bool LinuxOs::exists(const std::string &path)
{
	return ::access(path.c_str(), F_OK) == 0;
}

std::uint32_t LinuxOs::page_size()
{
	long size = ::sysconf(_SC_PAGESIZE);
	return size > 0 ? static_cast<std::uint32_t>(size) : 4096;
}

void LinuxOs::sleep(std::chrono::milliseconds duration)
{
	std::this_thread::sleep_for(duration);
}

} // namespace xloop::loopdev
