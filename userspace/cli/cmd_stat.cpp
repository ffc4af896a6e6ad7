// xloop stat IMAGE PATH: an inode of an image, field by field.
#include <ctime>
#include <memory>

#include <fmt/format.h>

#include "cli/minix_commands.hpp"

namespace xloop::cli
{

namespace
{

struct StatArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image, path;
};

const char *type_name(uint16_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFCHR:
		return "character special file";
	case S_IFBLK:
		return "block special file";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	default:
		return "unknown";
	}
}

std::string utc(uint32_t t)
{
	time_t tt = t;
	struct tm tm {
	};
	gmtime_r(&tt, &tm);
	char buf[40];
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	return fmt::format("{} ({})", buf, t);
}

int run_stat(const StatArgs &args)
{
	Result<OpenImage> image = open_image(args.image, false, args.lock);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	minix::Filesystem &fs = *image->fs;
	Result<uint32_t> ino = fs.resolve(args.path);
	Result<minix::Inode> in = ino ? fs.stat(*ino) : Result<minix::Inode>(ino.error());
	if (!in) {
		print_error(in.error().within(args.image + ": " + args.path));
		return 1;
	}
	fmt::print("  File: {}", args.path);
	if (in->is_symlink()) {
		Result<std::string> target = fs.readlink(*ino);
		fmt::print(" -> {}", target ? *target : "?");
	}
	fmt::print("\n  Type: {}\n", type_name(in->mode));
	fmt::print(" Inode: {}  Links: {}\n", *ino, in->nlinks);
	fmt::print("  Mode: {:04o} ({})  Uid: {}  Gid: {}\n", in->mode & 07777,
	           mode_string(in->mode), in->uid, in->gid);
	if (in->is_device())
		fmt::print("Device: {},{}\n", in->zone[0] >> 8 & 0xff, in->zone[0] & 0xff);
	else
		fmt::print("  Size: {}\n", in->size);
	fmt::print(" Zones:");
	for (unsigned i = 0; i < minix::zone_slots(fs.superblock().version); i++)
		fmt::print(" {}", in->zone[i]);
	fmt::print("\n");
	if (fs.superblock().version == minix::Version::v1) {
		fmt::print("  Time: {}\n", utc(in->mtime));
	} else {
		fmt::print("Access: {}\nModify: {}\nChange: {}\n", utc(in->atime), utc(in->mtime),
		           utc(in->ctime));
	}
	return 0;
}

} // namespace

void setup_stat(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<StatArgs>();
	cmd.add_option("image", args->image, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	cmd.add_option("path", args->path, "file or directory in the image")->required();
	action = [args] { return run_stat(*args); };
}

} // namespace xloop::cli
