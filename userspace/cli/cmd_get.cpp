// xloop get IMAGE PATH HOSTFILE: copy a file out of an image.
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "cli/minix_commands.hpp"
#include "common/fd.hpp"

namespace xloop::cli
{

namespace
{

struct GetArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image, path, host;
};

int run_get(const GetArgs &args)
{
	Result<OpenImage> image = open_image(args.image, false, args.lock);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	Result<uint32_t> ino = image->fs->resolve(args.path);
	if (!ino) {
		print_error(ino.error().within(args.image));
		return 1;
	}
	Result<minix::Inode> inode = image->fs->stat(*ino);
	if (!inode) {
		print_error(inode.error().within(args.image + ": " + args.path));
		return 1;
	}
	if (!inode->is_reg()) {
		print_error(Error(EINVAL, args.image + ": " + args.path, "not a regular file"));
		return 1;
	}
	// Not truncated before it is known not to be the image itself.
	Result<Fd> out = Fd::open(args.host, O_WRONLY | O_CREAT, inode->mode & 0777);
	if (!out) {
		print_error(out.error());
		return 1;
	}
	struct stat host {
	};
	if (::fstat(out->get(), &host) != 0) {
		print_error(errno_error(args.host));
		return 1;
	}
	if (auto shared = shares_image_data(host, args.image)) {
		print_error(Error(EINVAL, args.host, *shared));
		return 1;
	}
	if (S_ISREG(host.st_mode) && ::ftruncate(out->get(), 0) != 0) {
		print_error(errno_error(args.host));
		return 1;
	}
	if (Status st = copy_out(*image->fs, *ino, out->get(), args.host); !st) {
		print_error(st.error());
		return 1;
	}
	return 0;
}

} // namespace

void setup_get(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<GetArgs>();
	cmd.add_option("image", args->image, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	cmd.add_option("path", args->path, "file in the image")->required();
	cmd.add_option("hostfile", args->host, "where to write it on the host")->required();
	action = [args] { return run_get(*args); };
}

} // namespace xloop::cli
