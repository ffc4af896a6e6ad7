// xloop cat IMAGE PATH...: files of an image, concatenated, on standard output.
#include <unistd.h>

#include <memory>
#include <vector>

#include "cli/minix_commands.hpp"

namespace xloop::cli
{

Status copy_out(minix::Filesystem &fs, uint32_t ino, int fd, const std::string &what)
{
	std::vector<uint8_t> buf(1 << 20);
	uint64_t offset = 0;
	while (true) {
		Result<size_t> n = fs.read(ino, offset, buf);
		if (!n)
			return n.error();
		if (*n == 0)
			return {};
		size_t done = 0;
		while (done < *n) {
			ssize_t w = ::write(fd, buf.data() + done, *n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return errno_error(what);
			done += static_cast<size_t>(w);
		}
		offset += *n;
	}
}

namespace
{

struct CatArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image;
	std::vector<std::string> paths;
};

int run_cat(const CatArgs &args)
{
	Result<OpenImage> image = open_image(args.image, false, args.lock);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	int status = 0;
	for (const std::string &path : args.paths) {
		Result<uint32_t> ino = image->fs->resolve(path);
		if (!ino) {
			print_error(ino.error().within(args.image));
			status = 1;
			continue;
		}
		if (Status st = copy_out(*image->fs, *ino, STDOUT_FILENO, "standard output"); !st) {
			print_error(st.error().within(args.image + ": " + path));
			status = 1;
		}
	}
	return status;
}

} // namespace

void setup_cat(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<CatArgs>();
	cmd.add_option("image", args->image, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	cmd.add_option("paths", args->paths, "files in the image")->required();
	action = [args] { return run_cat(*args); };
}

} // namespace xloop::cli
