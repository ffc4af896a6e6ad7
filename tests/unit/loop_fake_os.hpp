// An in-memory LoopOs for the loop library's tests: devices are DeviceModels
// (the kernel's rules), their sysfs attributes and /dev nodes are derived from
// the models, and every ioctl is logged.  Tests can make any call fail or run
// something first (another process winning a race) through `before`.
#pragma once

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fcntl.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loopdev/device_model.hpp"
#include "loopdev/loop_os.hpp"

namespace xloop::loopdev::testing
{

class FakeLoopOs : public LoopOs
{
public:
	// One driver's devices: /dev/<prefix>N, block major `major`.
	explicit FakeLoopOs(std::string prefix = "loop", unsigned major = 7, unsigned devices = 4)
	    : prefix_(std::move(prefix)), major_(major)
	{
		for (unsigned i = 0; i < devices; ++i)
			add_device();
	}

	// A regular file (or, with `block`, a block device) to back devices.
	std::shared_ptr<BackingStore> add_file(const std::string &path, std::uint64_t size,
	                                       bool block = false)
	{
		auto store = std::make_shared<BackingStore>();
		store->path = path;
		store->size = size;
		store->dev = makedev(0, 28);
		store->ino = ++next_ino_;
		files_[path] = {store, block};
		return store;
	}

	unsigned add_device()
	{
		auto n = static_cast<unsigned>(devices_.size());
		devices_.push_back(std::make_unique<DeviceModel>(n, page_size_));
		return n;
	}

	DeviceModel &device(unsigned n) { return *devices_.at(n); }
	std::size_t device_count() const { return devices_.size(); }
	std::string path_of(unsigned n) const { return "/dev/" + prefix_ + std::to_string(n); }

	// Runs before every call named e.g. "LOOP_CONFIGURE /dev/loop0",
	// "open /dev/loop0", "open a.img", "LOOP_CTL_GET_FREE"; an errno makes it fail.
	std::function<std::optional<int>(const std::string &call)> before;
	std::vector<std::string> calls;     // every call, in order
	std::chrono::milliseconds slept{0}; // total sleep asked for
	bool has_sysfs = true;
	bool has_control = true;
	bool has_handles = true;              // XLOOP_CTL_ATTACH (ENOSYS without, as loop-control)
	std::uint64_t diskseq = 100;          // the last one a handle attach reported
	std::vector<std::string> sysfs_order; // /sys/block listing order (default: by number)

	// What a call does first: log it and ask `before`.
	std::optional<Error> enter(const std::string &call)
	{
		calls.push_back(call);
		if (before) {
			if (auto code = before(call))
				return Error(*code, call);
		}
		return std::nullopt;
	}

	// Bind a device behind the tool's back, as another process would.
	void bind_elsewhere(unsigned n, const std::string &path)
	{
		loop_config config{};
		(void)device(n).configure({files_.at(path).store, true, false}, true, config);
	}

	Result<std::unique_ptr<BackingFile>> open_backing(const std::string &path,
	                                                  int flags) override;
	Result<std::unique_ptr<LoopDevice>> open_device(const std::string &path,
	                                                int flags) override;
	Result<std::unique_ptr<LoopControl>> open_control(const std::string &path) override;
	Result<FileInfo> stat(const std::string &path) override;
	Result<std::string> read_file(const std::string &path) override;
	Result<std::vector<std::string>> list_dir(const std::string &path) override;
	Result<std::string> read_link(const std::string &path) override;
	Result<std::string> real_path(const std::string &path) override
	{
		if (!files_.count(path) && !device_number(path))
			return Error(ENOENT, path);
		return path.starts_with("/") ? path : "/work/" + path;
	}
	bool exists(const std::string &path) override
	{
		return read_file(path).ok() || is_dir(path);
	}
	std::uint32_t page_size() override { return page_size_; }
	void sleep(std::chrono::milliseconds duration) override { slept += duration; }

	// The backing fd numbers handed out, and what they refer to.
	std::map<int, BackingFd> fds;

private:
	struct File {
		std::shared_ptr<BackingStore> store;
		bool block = false;
	};

	std::optional<unsigned> device_number(const std::string &path) const
	{
		std::string dev = "/dev/" + prefix_;
		if (!path.starts_with(dev))
			return std::nullopt;
		std::string digits = path.substr(dev.size());
		if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
			return std::nullopt;
		unsigned n = static_cast<unsigned>(std::stoul(digits));
		if (n >= devices_.size())
			return std::nullopt;
		return n;
	}
	// "/sys/block/loopN[/rest]" → N and rest.
	std::optional<std::pair<unsigned, std::string>> sysfs_device(const std::string &path) const;
	bool is_dir(const std::string &path) const;

	std::string prefix_;
	unsigned major_;
	std::uint32_t page_size_ = 4096;
	std::uint64_t next_ino_ = 10;
	int next_fd_ = 100;
	std::map<std::string, File> files_;
	std::vector<std::unique_ptr<DeviceModel>> devices_;
};

namespace detail
{

class FakeBackingFile final : public BackingFile
{
public:
	FakeBackingFile(FakeLoopOs &os, int fd, BackingFd backing, bool block)
	    : os_(os), fd_(fd), backing_(std::move(backing)), block_(block)
	{
	}
	~FakeBackingFile() override { os_.fds.erase(fd_); }
	int fd() const override { return fd_; }
	bool writable() const override { return backing_.writable; }
	Result<FileInfo> info() const override
	{
		FileInfo info;
		info.mode = block_ ? S_IFBLK | 0660 : S_IFREG | 0644;
		info.dev = static_cast<dev_t>(backing_.store->dev);
		info.ino = static_cast<ino_t>(backing_.store->ino);
		info.size = block_ ? 0 : backing_.store->size;
		return info;
	}
	Result<std::uint64_t> size() const override { return backing_.store->size; }

private:
	FakeLoopOs &os_;
	int fd_;
	BackingFd backing_;
	bool block_;
};

class FakeLoopDevice final : public LoopDevice
{
public:
	FakeLoopDevice(FakeLoopOs &os, DeviceModel &model, std::string path, bool writable)
	    : os_(os), model_(model), path_(std::move(path)), writable_(writable)
	{
	}
	~FakeLoopDevice() override { model_.close(); }
	const std::string &path() const override { return path_; }

	Status configure(const loop_config &config) override
	{
		if (auto err = os_.enter("LOOP_CONFIGURE " + path_))
			return *err;
		return named("LOOP_CONFIGURE",
		             model_.configure(backing(config.fd), writable_, config));
	}
	Status set_fd(const BackingFile &file) override
	{
		if (auto err = os_.enter("LOOP_SET_FD " + path_))
			return *err;
		return named("LOOP_SET_FD", model_.set_fd(backing(file.fd()), writable_));
	}
	Status clear_fd() override
	{
		if (auto err = os_.enter("LOOP_CLR_FD " + path_))
			return *err;
		return named("LOOP_CLR_FD", model_.clear_fd());
	}
	Status set_status(const loop_info64 &info) override
	{
		if (auto err = os_.enter("LOOP_SET_STATUS64 " + path_))
			return *err;
		return named("LOOP_SET_STATUS64", model_.set_status(info, writable_));
	}
	Result<loop_info64> get_status() override
	{
		if (auto err = os_.enter("LOOP_GET_STATUS64 " + path_))
			return *err;
		auto info = model_.get_status();
		if (!info)
			return Error(info.error().code(), path_ + ": LOOP_GET_STATUS64");
		return info;
	}
	Status set_capacity() override
	{
		if (auto err = os_.enter("LOOP_SET_CAPACITY " + path_))
			return *err;
		return named("LOOP_SET_CAPACITY", model_.set_capacity(writable_));
	}
	Status set_direct_io(bool on) override
	{
		if (auto err = os_.enter("LOOP_SET_DIRECT_IO " + path_))
			return *err;
		return named("LOOP_SET_DIRECT_IO", model_.set_direct_io(on, writable_));
	}
	Status set_block_size(std::uint32_t size) override
	{
		if (auto err = os_.enter("LOOP_SET_BLOCK_SIZE " + path_))
			return *err;
		return named("LOOP_SET_BLOCK_SIZE", model_.set_block_size(size, writable_));
	}
	Result<std::uint64_t> size() override
	{
		if (auto err = os_.enter("BLKGETSIZE64 " + path_))
			return *err;
		return model_.size_bytes();
	}
	Result<std::uint32_t> logical_block_size() override { return model_.block_size(); }

private:
	BackingFd backing(std::uint32_t fd) const
	{
		auto it = os_.fds.find(static_cast<int>(fd));
		return it == os_.fds.end() ? BackingFd{} : it->second;
	}
	Status named(const char *ioctl, Status st) const
	{
		if (!st)
			return Error(st.error().code(), path_ + ": " + ioctl);
		return st;
	}

	FakeLoopOs &os_;
	DeviceModel &model_;
	std::string path_;
	bool writable_;
};

class FakeLoopControl final : public LoopControl
{
public:
	explicit FakeLoopControl(FakeLoopOs &os) : os_(os) {}
	Result<unsigned> get_free() override
	{
		if (auto err = os_.enter("LOOP_CTL_GET_FREE"))
			return *err;
		return first_free();
	}
	Result<unsigned> add(unsigned number) override
	{
		if (auto err = os_.enter("LOOP_CTL_ADD"))
			return *err;
		if (number < os_.device_count())
			return Error(EEXIST, "LOOP_CTL_ADD");
		while (os_.device_count() <= number)
			os_.add_device();
		return number;
	}
	// The binding as XLOOP_CTL_ATTACH makes it; the handle is an eventfd
	// standing in for the driver's (its close ends nothing here).
	Result<OwnedAttachment> attach_owned(const loop_config &config, int index) override
	{
		if (auto err = os_.enter("XLOOP_CTL_ATTACH " + std::to_string(index)))
			return *err;
		if (!os_.has_handles)
			return Error(ENOSYS, "XLOOP_CTL_ATTACH");
		if (config.info.lo_flags & LO_FLAGS_AUTOCLEAR)
			return Error(EINVAL, "XLOOP_CTL_ATTACH");
		unsigned n = index < 0 ? first_free() : static_cast<unsigned>(index);
		while (os_.device_count() <= n)
			os_.add_device();
		auto it = os_.fds.find(static_cast<int>(config.fd));
		BackingFd backing = it == os_.fds.end() ? BackingFd{} : it->second;
		if (Status st = os_.device(n).configure(backing, true, config); !st)
			return Error(st.error().code(), "XLOOP_CTL_ATTACH");
		return OwnedAttachment{n, ++os_.diskseq, Fd(::eventfd(0, EFD_CLOEXEC))};
	}

private:
	// The driver's choice for "any free device": the first unbound one,
	// else a new one.
	unsigned first_free()
	{
		for (unsigned n = 0; n < os_.device_count(); ++n) {
			if (os_.device(n).state() == DeviceState::unbound)
				return n;
		}
		return os_.add_device();
	}

	FakeLoopOs &os_;
};

} // namespace detail

inline Result<std::unique_ptr<BackingFile>> FakeLoopOs::open_backing(const std::string &path,
                                                                     int flags)
{
	if (auto err = enter("open " + path))
		return Error(err->code(), path);
	auto it = files_.find(path);
	if (it == files_.end())
		return Error(ENOENT, path);
	if ((flags & O_DIRECT) && !it->second.store->can_direct_io)
		return Error(EINVAL, path);
	int fd = next_fd_++;
	BackingFd backing{it->second.store, (flags & O_ACCMODE) != O_RDONLY,
	                  (flags & O_DIRECT) != 0};
	fds[fd] = backing;
	return std::unique_ptr<BackingFile>(
	        std::make_unique<detail::FakeBackingFile>(*this, fd, backing, it->second.block));
}

inline Result<std::unique_ptr<LoopDevice>> FakeLoopOs::open_device(const std::string &path,
                                                                   int flags)
{
	if (auto err = enter("open " + path))
		return Error(err->code(), path);
	auto n = device_number(path);
	if (!n)
		return Error(ENOENT, path);
	if (Status st = device(*n).open(); !st)
		return Error(st.error().code(), path);
	return std::unique_ptr<LoopDevice>(std::make_unique<detail::FakeLoopDevice>(
	        *this, device(*n), path, (flags & O_ACCMODE) != O_RDONLY));
}

inline Result<std::unique_ptr<LoopControl>> FakeLoopOs::open_control(const std::string &path)
{
	if (auto err = enter("open " + path))
		return Error(err->code(), path);
	if (!has_control || path != "/dev/" + prefix_ + "-control")
		return Error(ENOENT, path);
	return std::unique_ptr<LoopControl>(std::make_unique<detail::FakeLoopControl>(*this));
}

inline Result<FileInfo> FakeLoopOs::stat(const std::string &path)
{
	if (auto n = device_number(path)) {
		FileInfo info;
		info.mode = S_IFBLK | 0660;
		info.rdev = makedev(major_, *n);
		return info;
	}
	auto it = files_.find(path);
	if (it == files_.end())
		return Error(ENOENT, path);
	FileInfo info;
	info.mode = it->second.block ? S_IFBLK | 0660 : S_IFREG | 0644;
	info.dev = static_cast<dev_t>(it->second.store->dev);
	info.ino = static_cast<ino_t>(it->second.store->ino);
	info.size = it->second.block ? 0 : it->second.store->size;
	return info;
}

inline std::optional<std::pair<unsigned, std::string>>
FakeLoopOs::sysfs_device(const std::string &path) const
{
	std::string base = "/sys/block/" + prefix_;
	if (!has_sysfs || !path.starts_with(base))
		return std::nullopt;
	std::string rest = path.substr(base.size());
	auto slash = rest.find('/');
	std::string digits = rest.substr(0, slash);
	if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
		return std::nullopt;
	unsigned n = static_cast<unsigned>(std::stoul(digits));
	if (n >= devices_.size())
		return std::nullopt;
	return std::pair{n, slash == std::string::npos ? std::string() : rest.substr(slash + 1)};
}

inline bool FakeLoopOs::is_dir(const std::string &path) const
{
	if (path == "/sys/block")
		return has_sysfs;
	if (path == "/dev")
		return true;
	auto dev = sysfs_device(path);
	if (!dev)
		return false;
	const DeviceModel &model = *devices_.at(dev->first);
	return dev->second.empty() || dev->second == "queue" ||
	       (dev->second == "loop" && model.state() == DeviceState::bound);
}

inline Result<std::string> FakeLoopOs::read_file(const std::string &path)
{
	if (path == "/dev/" + prefix_ + "-control" && has_control)
		return std::string();
	if (device_number(path) || files_.count(path))
		return std::string();
	auto dev = sysfs_device(path);
	if (!dev)
		return Error(ENOENT, path);
	const DeviceModel &model = *devices_.at(dev->first);
	const std::string &attr = dev->second;
	auto line = [](auto value) { return std::to_string(value) + "\n"; };
	if (attr == "dev")
		return std::to_string(major_) + ":" + std::to_string(dev->first) + "\n";
	if (attr == "ro")
		return line((model.flags() & LO_FLAGS_READ_ONLY) ? 1 : 0);
	if (attr == "queue/logical_block_size")
		return line(model.block_size());
	if (!attr.starts_with("loop/") || model.state() != DeviceState::bound)
		return Error(ENOENT, path);
	std::string name = attr.substr(5);
	if (name == "backing_file")
		return model.backing()->path + "\n";
	if (name == "offset")
		return line(model.offset());
	if (name == "sizelimit")
		return line(model.sizelimit());
	if (name == "autoclear")
		return line((model.flags() & LO_FLAGS_AUTOCLEAR) ? 1 : 0);
	if (name == "partscan")
		return line((model.flags() & LO_FLAGS_PARTSCAN) ? 1 : 0);
	if (name == "dio")
		return line((model.flags() & LO_FLAGS_DIRECT_IO) ? 1 : 0);
	return Error(ENOENT, path);
}

inline Result<std::vector<std::string>> FakeLoopOs::list_dir(const std::string &path)
{
	std::vector<std::string> names;
	if (path == "/sys/block" && has_sysfs) {
		if (!sysfs_order.empty())
			return sysfs_order;
		for (unsigned n = 0; n < devices_.size(); ++n)
			names.push_back(prefix_ + std::to_string(n));
		names.push_back("sda");
		return names;
	}
	if (path == "/dev") {
		names.push_back("null");
		for (unsigned n = 0; n < devices_.size(); ++n)
			names.push_back(prefix_ + std::to_string(n));
		names.push_back(prefix_ + "-control");
		return names;
	}
	return Error(ENOENT, path);
}

inline Result<std::string> FakeLoopOs::read_link(const std::string &path)
{
	std::string base = "/sys/dev/block/" + std::to_string(major_) + ":";
	if (!has_sysfs || !path.starts_with(base))
		return Error(ENOENT, path);
	return "../../devices/virtual/block/" + prefix_ + path.substr(base.size());
}

} // namespace xloop::loopdev::testing
