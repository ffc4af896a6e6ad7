// xloop mkdir IMAGE PATH: make a directory in an image (-p: with parents).
#include <memory>

#include "cli/minix_commands.hpp"
#include "minix/tree.hpp"

namespace xloop::cli
{

namespace
{

struct MkdirArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image, path;
	bool parents = false;
	std::string mode = "755";
};

int run_mkdir(const MkdirArgs &args)
{
	unsigned long mode = 0;
	try {
		size_t used = 0;
		mode = std::stoul(args.mode, &used, 8);
		if (used != args.mode.size() || mode > 07777)
			throw std::invalid_argument("mode");
	} catch (const std::exception &) {
		print_error(Error(EINVAL, "--mode " + args.mode, "not an octal mode"));
		return 1;
	}
	Result<OpenImage> image = open_image(args.image, true, args.lock);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	minix::Filesystem &fs = *image->fs;
	std::string where = args.image + ": " + args.path;
	int status = 0;
	if (args.parents) {
		Result<uint32_t> made =
		        minix::make_path(fs, args.path, static_cast<uint16_t>(mode));
		if (!made) {
			print_error(made.error().within(args.image));
			status = 1;
		}
	} else {
		Result<ParentAndName> target = resolve_parent(fs, args.path);
		Result<uint32_t> made =
		        target ? fs.mkdir(target->dir, target->name, static_cast<uint16_t>(mode))
		               : Result<uint32_t>(target.error());
		if (!made) {
			print_error(made.error().within(where));
			status = 1;
		}
	}
	return finish_write(*image, args.image) | status;
}

} // namespace

void setup_mkdir(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<MkdirArgs>();
	cmd.add_flag("-p,--parents", args->parents,
	             "make parent directories as needed, no error if existing");
	cmd.add_option("-m,--mode", args->mode, "permission bits in octal (default 755)");
	cmd.add_option("image", args->image, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	cmd.add_option("path", args->path, "directory to make")->required();
	action = [args] { return run_mkdir(*args); };
}

} // namespace xloop::cli
