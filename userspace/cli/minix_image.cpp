// Helpers shared by the Minix filesystem commands.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "cli/minix_commands.hpp"

namespace xloop::cli
{

void print_error(const Error &error)
{
	fmt::print(stderr, "xloop: {}\n", error.message());
}

Result<OpenImage> open_image(const std::string &path, bool writable, minix::FileDevice::Lock lock)
{
	using minix::FileDevice;
	Result<FileDevice> dev = FileDevice::open(
	        path, writable ? FileDevice::Mode::read_write : FileDevice::Mode::read_only, lock);
	if (!dev)
		return dev.error();
	OpenImage image;
	image.device = std::make_unique<FileDevice>(std::move(*dev));
	minix::OpenOptions opts;
	opts.writable = writable;
	opts.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
	opts.uid = geteuid();
	opts.gid = getegid();
	Result<std::unique_ptr<minix::Filesystem>> fs =
	        minix::Filesystem::open(*image.device, opts);
	if (!fs)
		return fs.error().within(path);
	image.fs = std::move(*fs);
	return image;
}

Result<ParentAndName> resolve_parent(minix::Filesystem &fs, const std::string &path)
{
	std::string trimmed = path;
	while (trimmed.size() > 1 && trimmed.back() == '/')
		trimmed.pop_back();
	size_t slash = trimmed.rfind('/');
	std::string dir = slash == std::string::npos ? "/" : trimmed.substr(0, slash + 1);
	std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
	if (name == "/")
		name.clear();
	Result<uint32_t> ino = fs.resolve(dir);
	if (!ino)
		return ino.error();
	return ParentAndName{*ino, name};
}

void add_lock_options(CLI::App &command, minix::FileDevice::Lock &lock)
{
	using Lock = minix::FileDevice::Lock;
	auto *wait = command.add_flag_callback(
	        "--wait", [&lock] { lock = Lock::wait; },
	        "wait while another command holds the image (the default)");
	command.add_flag_callback(
	               "--nowait", [&lock] { lock = Lock::nowait; },
	               "fail at once when another command holds the image")
	        ->excludes(wait);
}

namespace
{

// The file under loop (or xloop) device `rdev`, or under the device a
// partition `rdev` is part of, from sysfs; none for another device, or when
// the file is gone.
std::optional<struct stat> loop_backing(dev_t rdev)
{
	std::string dir = fmt::format("/sys/dev/block/{}:{}", major(rdev), minor(rdev));
	struct stat st {
	};
	if (::stat((dir + "/partition").c_str(), &st) == 0)
		dir += "/..";
	std::ifstream in(dir + "/loop/backing_file");
	std::string path;
	if (!std::getline(in, path) || ::stat(path.c_str(), &st) != 0)
		return std::nullopt;
	return st;
}

bool same_file(const struct stat &a, const struct stat &b)
{
	if (S_ISBLK(a.st_mode) || S_ISBLK(b.st_mode))
		return S_ISBLK(a.st_mode) && S_ISBLK(b.st_mode) && a.st_rdev == b.st_rdev;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

} // namespace

std::optional<std::string> shares_image_data(const struct stat &host, const std::string &image)
{
	struct stat img {
	};
	if (::stat(image.c_str(), &img) != 0)
		return std::nullopt;
	if (same_file(host, img))
		return "is the image itself";
	if (S_ISBLK(img.st_mode)) {
		if (auto under = loop_backing(img.st_rdev); under && same_file(host, *under))
			return "is the file under the image";
	}
	auto host_under = S_ISBLK(host.st_mode) ? loop_backing(host.st_rdev) : std::nullopt;
	if (host_under && same_file(*host_under, img))
		return "is a loop device over the image";
	if (host_under && S_ISBLK(img.st_mode)) {
		if (auto under = loop_backing(img.st_rdev); under && same_file(*host_under, *under))
			return "is a loop device over the image's file";
	}
	return std::nullopt;
}

std::string mode_string(uint16_t mode)
{
	char type = '?';
	switch (mode & S_IFMT) {
	case S_IFREG:
		type = '-';
		break;
	case S_IFDIR:
		type = 'd';
		break;
	case S_IFLNK:
		type = 'l';
		break;
	case S_IFCHR:
		type = 'c';
		break;
	case S_IFBLK:
		type = 'b';
		break;
	case S_IFIFO:
		type = 'p';
		break;
	case S_IFSOCK:
		type = 's';
		break;
	default:
		break;
	}
	std::string s(1, type);
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		s += (mode & (0400 >> i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		s[3] = (mode & S_IXUSR) ? 's' : 'S';
	if (mode & S_ISGID)
		s[6] = (mode & S_IXGRP) ? 's' : 'S';
	if (mode & S_ISVTX)
		s[9] = (mode & S_IXOTH) ? 't' : 'T';
	return s;
}

int finish_write(OpenImage &image, const std::string &path)
{
	if (Status st = image.fs->unmount(); !st) {
		print_error(st.error().within(path));
		return 1;
	}
	return 0;
}

} // namespace xloop::cli
