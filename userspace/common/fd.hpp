// An owned file descriptor: closed exactly once, movable, never copied.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "common/result.hpp"

namespace xloop
{

class Fd
{
public:
	Fd() = default;
	explicit Fd(int fd) : fd_(fd) {}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	Fd(Fd &&other) noexcept : fd_(other.release()) {}
	Fd &operator=(Fd &&other) noexcept
	{
		if (this != &other)
			reset(other.release());
		return *this;
	}
	~Fd() { reset(); }

	// open(2) with O_CLOEXEC; the error names the path.
	static Result<Fd> open(const std::string &path, int flags, mode_t mode = 0)
	{
		int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
		if (fd < 0)
			return errno_error(path);
		return Fd(fd);
	}

	int get() const { return fd_; }
	explicit operator bool() const { return fd_ >= 0; }

	int release() { return std::exchange(fd_, -1); }

	void reset(int fd = -1)
	{
		if (fd_ >= 0)
			::close(fd_);
		fd_ = fd;
	}

private:
	int fd_ = -1;
};

} // namespace xloop
