// xloop ls IMAGE [PATH]: list a directory of an image without mounting it.
// -R lists the whole tree below PATH, one path per line (as find does); -n
// prints every field as a number, for scripts: mode (octal, with the type),
// links, uid, gid, size or major,minor, mtime (seconds), path.
#include <ctime>
#include <memory>

#include <fmt/format.h>

#include "cli/minix_commands.hpp"
#include "minix/tree.hpp"

namespace xloop::cli
{

namespace
{

struct LsArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image;
	std::string path = "/";
	bool long_format = false;
	bool numeric = false;
	bool recursive = false;
	bool all = false;
};

std::string format_time(uint32_t t)
{
	time_t tt = t;
	struct tm tm {
	};
	gmtime_r(&tt, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
	return buf;
}

int print_entry(minix::Filesystem &fs, uint32_t ino, const std::string &name, const LsArgs &args)
{
	if (!args.long_format && !args.numeric) {
		fmt::print("{}\n", name);
		return 0;
	}
	Result<minix::Inode> inode = fs.stat(ino);
	if (!inode) {
		print_error(inode.error().within(name));
		return 1;
	}
	std::string size = inode->is_device() ? fmt::format("{}, {}", inode->zone[0] >> 8 & 0xff,
	                                                    inode->zone[0] & 0xff)
	                                      : std::to_string(inode->size);
	std::string shown = name;
	if (inode->is_symlink()) {
		Result<std::string> target = fs.readlink(ino);
		shown += " -> " + (target ? *target : std::string("?"));
	}
	if (args.numeric)
		fmt::print("{:07o} {} {} {} {} {} {}\n", inode->mode, inode->nlinks, inode->uid,
		           inode->gid,
		           inode->is_device() ? fmt::format("{},{}", inode->zone[0] >> 8 & 0xff,
		                                            inode->zone[0] & 0xff)
		                              : std::to_string(inode->size),
		           inode->mtime, shown);
	else
		fmt::print("{} {:3} {:5} {:5} {:>10} {} {}\n", mode_string(inode->mode),
		           inode->nlinks, inode->uid, inode->gid, size, format_time(inode->mtime),
		           shown);
	return 0;
}

// Lists a directory's entries (with -a, "." and ".." too).
int list_dir(minix::Filesystem &fs, uint32_t dir, const LsArgs &args)
{
	Result<std::vector<minix::DirEntry>> entries = fs.readdir(dir);
	if (!entries) {
		print_error(entries.error().within(args.image + ": " + args.path));
		return 1;
	}
	int status = 0;
	for (const minix::DirEntry &e : *entries) {
		if ((e.name == "." || e.name == "..") && !args.all)
			continue;
		status |= print_entry(fs, e.ino, e.name, args);
	}
	return status;
}

// -R: every entry below the directory, by its path from there; a corrupt
// tree (a directory cycle) ends the listing with an error.
int list_tree(minix::Filesystem &fs, uint32_t dir, const LsArgs &args)
{
	int status = 0;
	Status walked = minix::walk_tree(fs, dir, [&](const minix::TreeEntry &e) {
		status |= print_entry(fs, e.ino, e.path, args);
		return Status{};
	});
	if (!walked) {
		print_error(walked.error().within(args.image + ": " + args.path));
		return 1;
	}
	return status;
}

int run_ls(const LsArgs &args)
{
	Result<OpenImage> image = open_image(args.image, false, args.lock);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	minix::Filesystem &fs = *image->fs;
	Result<uint32_t> ino = fs.resolve(args.path);
	if (!ino) {
		print_error(ino.error().within(args.image));
		return 1;
	}
	Result<minix::Inode> inode = fs.stat(*ino);
	if (!inode) {
		print_error(inode.error().within(args.image + ": " + args.path));
		return 1;
	}
	if (!inode->is_dir())
		return print_entry(fs, *ino, args.path, args);
	return args.recursive ? list_tree(fs, *ino, args) : list_dir(fs, *ino, args);
}

} // namespace

void setup_ls(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<LsArgs>();
	cmd.add_flag("-l", args->long_format,
	             "long format: mode, links, uid, gid, size, mtime (UTC), name");
	cmd.add_flag("-n,--numeric", args->numeric,
	             "numbers only: octal mode, links, uid, gid, size or major,minor, mtime in "
	             "seconds, name");
	cmd.add_flag("-R,--recursive", args->recursive,
	             "the whole tree below PATH, one path per line");
	cmd.add_flag("-a,--all", args->all, "include . and ..");
	cmd.add_option("image", args->image, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	cmd.add_option("path", args->path, "directory or file in the image (default /)");
	action = [args] { return run_ls(*args); };
}

} // namespace xloop::cli
