// Shared pieces of the Minix tests: the configurations every test runs
// over, in-memory images, temporary image files and running tools.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "minix/block_device.hpp"
#include "minix/filesystem.hpp"
#include "minix/fsck.hpp"
#include "minix/mkfs.hpp"

namespace xloop::minix::test
{

struct Config {
	Version version;
	unsigned name_len;
	uint32_t block_size;
};

inline std::string config_name(const Config &c)
{
	return "V" + std::to_string(static_cast<int>(c.version)) + "n" +
	       std::to_string(c.name_len) + "b" + std::to_string(c.block_size);
}

// Test names for INSTANTIATE_TEST_SUITE_P.
inline std::string param_name(const ::testing::TestParamInfo<Config> &p)
{
	return config_name(p.param);
}

// Every version, name length and block size the format has.
inline std::vector<Config> all_configs()
{
	return {{Version::v1, 14, 1024}, {Version::v1, 30, 1024}, {Version::v2, 14, 1024},
	        {Version::v2, 30, 1024}, {Version::v3, 60, 1024}, {Version::v3, 60, 2048},
	        {Version::v3, 60, 4096}};
}

// The ones util-linux can check (1 KiB blocks).
inline std::vector<Config> util_linux_configs()
{
	return {{Version::v1, 14, 1024},
	        {Version::v1, 30, 1024},
	        {Version::v2, 14, 1024},
	        {Version::v2, 30, 1024},
	        {Version::v3, 60, 1024}};
}

inline MkfsOptions mkfs_options(const Config &c, uint64_t blocks = 0, uint64_t inodes = 0)
{
	MkfsOptions o;
	o.version = c.version;
	o.name_len = c.name_len;
	o.block_size = c.block_size;
	o.blocks = blocks;
	o.inodes = inodes;
	o.time = 1438460212;
	return o;
}

// A freshly made filesystem in memory.
inline std::unique_ptr<MemoryDevice> make_image(const Config &c, uint64_t bytes,
                                                uint64_t inodes = 0)
{
	auto dev = std::make_unique<MemoryDevice>(bytes);
	Result<Superblock> sb = plan_filesystem(mkfs_options(c, 0, inodes), bytes);
	EXPECT_TRUE(sb.ok()) << (sb ? "" : sb.error().message());
	if (sb) {
		EXPECT_TRUE(make_filesystem(*dev, *sb, mkfs_options(c, 0, inodes)).ok());
	}
	return dev;
}

// A counting clock, so every timestamp is distinct and reproducible.
inline OpenOptions writable_options()
{
	OpenOptions o;
	o.writable = true;
	auto t = std::make_shared<int64_t>(1700000000);
	o.clock = [t] { return (*t)++; };
	return o;
}

inline std::unique_ptr<Filesystem> open_fs(BlockDevice &dev, bool writable = true)
{
	OpenOptions o = writable ? writable_options() : OpenOptions{};
	Result<std::unique_ptr<Filesystem>> fs = Filesystem::open(dev, o);
	EXPECT_TRUE(fs.ok()) << (fs ? "" : fs.error().message());
	return fs ? std::move(*fs) : nullptr;
}

// Our fsck's exit code (8 for an operational error), collecting messages.
inline int run_fsck(BlockDevice &dev, bool repair = false, std::string *log = nullptr)
{
	FsckOptions o;
	o.force = true;
	o.repair = repair;
	o.print = [log](const std::string &line) {
		if (log)
			*log += line + "\n";
	};
	Result<FsckResult> r = fsck(dev, o);
	if (!r) {
		if (log)
			*log += r.error().message() + "\n";
		return 8;
	}
	return r->exit_code;
}

// A temporary file, removed on destruction.
class TempFile
{
public:
	explicit TempFile(const std::string &stem = "xloop-minix")
	{
		std::string pattern = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
		                      ("/" + stem + "-XXXXXX");
		std::vector<char> buf(pattern.begin(), pattern.end());
		buf.push_back('\0');
		int fd = mkstemp(buf.data());
		if (fd >= 0)
			close(fd);
		path_ = buf.data();
	}
	~TempFile() { unlink(path_.c_str()); }
	TempFile(const TempFile &) = delete;
	TempFile &operator=(const TempFile &) = delete;
	const std::string &path() const { return path_; }

	void write(const std::vector<uint8_t> &bytes) const
	{
		std::ofstream(path_, std::ios::binary | std::ios::trunc)
		        .write(reinterpret_cast<const char *>(bytes.data()),
		               static_cast<std::streamsize>(bytes.size()));
	}
	std::vector<uint8_t> read() const
	{
		std::ifstream in(path_, std::ios::binary);
		return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
	}

private:
	std::string path_;
};

// A temporary directory, removed with its contents on destruction.
class TempDir
{
public:
	TempDir()
	{
		std::string pattern = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
		                      std::string("/xloop-dir-XXXXXX");
		std::vector<char> buf(pattern.begin(), pattern.end());
		buf.push_back('\0');
		if (mkdtemp(buf.data()))
			path_ = buf.data();
	}
	~TempDir()
	{
		if (!path_.empty())
			std::filesystem::remove_all(path_);
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

// Runs a shell command; returns its exit status (output to *out if given).
inline int run_command(const std::string &cmd, std::string *out = nullptr)
{
	FILE *p = popen((cmd + " 2>&1").c_str(), "r");
	if (!p)
		return -1;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		if (out)
			out->append(buf, n);
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::string shell_quote(const std::string &s)
{
	std::string q = "'";
	for (char c : s)
		q += c == '\'' ? std::string("'\\''") : std::string(1, c);
	return q + "'";
}

inline std::span<const uint8_t> bytes_of(const std::string &s)
{
	return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

} // namespace xloop::minix::test
