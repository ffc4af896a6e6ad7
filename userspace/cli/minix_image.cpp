// Helpers shared by the Minix filesystem commands.
#include <unistd.h>

#include <ctime>

#include <fmt/format.h>

#include "cli/minix_commands.hpp"

namespace xloop::cli
{

void print_error(const Error &error)
{
	fmt::print(stderr, "xloop: {}\n", error.message());
}

Result<OpenImage> open_image(const std::string &path, bool writable)
{
	using minix::FileDevice;
	Result<FileDevice> dev = FileDevice::open(path, writable ? FileDevice::Mode::read_write
	                                                         : FileDevice::Mode::read_only);
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

int finish_write(OpenImage &image, const std::string &path)
{
	if (Status st = image.fs->unmount(); !st) {
		print_error(st.error().within(path));
		return 1;
	}
	return 0;
}

} // namespace xloop::cli
