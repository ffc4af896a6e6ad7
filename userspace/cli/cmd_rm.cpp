// xloop rm [-r] IMAGE PATH: remove a file, or with -r a directory tree.
#include <memory>

#include "cli/minix_commands.hpp"
#include "minix/tree.hpp"

namespace xloop::cli
{

namespace
{

struct RmArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image, path;
	bool recursive = false;
};

// Removes `name` in `dir`: a file, or with `recursive` a directory tree.
Status remove(minix::Filesystem &fs, uint32_t dir, const std::string &name, bool recursive)
{
	if (!recursive) {
		Result<uint32_t> ino = fs.lookup(dir, name);
		Result<minix::Inode> inode =
		        ino ? fs.stat(*ino) : Result<minix::Inode>(ino.error());
		if (!inode)
			return inode.error();
		if (inode->is_dir())
			return Error(EISDIR, "", "is a directory (use -r)");
	}
	return minix::remove_tree(fs, dir, name);
}

int run_rm(const RmArgs &args)
{
	Result<OpenImage> image = open_image(args.image, true, args.lock);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	std::string where = args.image + ": " + args.path;
	Result<ParentAndName> target = resolve_parent(*image->fs, args.path);
	Status st =
	        target ? (target->name.empty()
	                          ? Status(Error(EBUSY, "/", "cannot remove the root directory"))
	                          : remove(*image->fs, target->dir, target->name, args.recursive))
	               : Status(target.error());
	int status = 0;
	if (!st) {
		print_error(st.error().within(where));
		status = 1;
	}
	return finish_write(*image, args.image) | status;
}

} // namespace

void setup_rm(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<RmArgs>();
	cmd.add_flag("-r,--recursive", args->recursive, "remove directories and their contents");
	cmd.add_option("image", args->image, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	cmd.add_option("path", args->path, "file or directory to remove")->required();
	action = [args] { return run_rm(*args); };
}

} // namespace xloop::cli
