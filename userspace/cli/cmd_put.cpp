// xloop put IMAGE HOSTFILE PATH: copy a host file into an image (replacing
// the contents of an existing file; into a directory under its own name).
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "cli/minix_commands.hpp"
#include "common/fd.hpp"

namespace xloop::cli
{

namespace
{

struct PutArgs {
	std::string image, host, path;
};

Status copy_in(minix::Filesystem &fs, uint32_t ino, int fd, const std::string &host)
{
	if (Status st = fs.truncate(ino, 0); !st)
		return st;
	std::vector<uint8_t> buf(1 << 20);
	uint64_t offset = 0;
	while (true) {
		ssize_t n = ::read(fd, buf.data(), buf.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno_error(host);
		if (n == 0)
			return {};
		Result<size_t> w =
		        fs.write(ino, offset, std::span(buf.data(), static_cast<size_t>(n)));
		if (!w)
			return w.error();
		if (*w != static_cast<size_t>(n))
			return Error(EFBIG, host, "file larger than the filesystem allows");
		offset += *w;
	}
}

int run_put(const PutArgs &args)
{
	Result<Fd> in = Fd::open(args.host, O_RDONLY);
	if (!in) {
		print_error(in.error());
		return 1;
	}
	struct stat st {
	};
	if (::fstat(in->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
		print_error(Error(EINVAL, args.host, "not a regular file"));
		return 1;
	}
	Result<OpenImage> image = open_image(args.image, true);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	minix::Filesystem &fs = *image->fs;
	std::string where = args.image + ": " + args.path;
	Result<ParentAndName> target = resolve_parent(fs, args.path);
	if (!target) {
		print_error(target.error().within(args.image));
		return 1;
	}
	// PATH naming a directory: put the file in it under the host name.
	Result<uint32_t> existing = target->name.empty() ? Result<uint32_t>(target->dir)
	                                                 : fs.lookup(target->dir, target->name);
	if (existing) {
		Result<minix::Inode> inode = fs.stat(*existing);
		if (inode && inode->is_dir()) {
			target->dir = *existing;
			target->name = args.host.substr(args.host.rfind('/') + 1);
			existing = fs.lookup(target->dir, target->name);
		}
	}
	uint32_t ino;
	if (existing) {
		ino = *existing;
	} else if (existing.error().code() == ENOENT) {
		Result<uint32_t> created = fs.create(target->dir, target->name,
		                                     static_cast<uint16_t>(st.st_mode & 07777));
		if (!created) {
			print_error(created.error().within(where));
			return 1;
		}
		ino = *created;
	} else {
		print_error(existing.error().within(where));
		return 1;
	}
	if (Status s = copy_in(fs, ino, in->get(), args.host); !s) {
		print_error(s.error().within(where));
		(void)finish_write(*image, args.image);
		return 1;
	}
	return finish_write(*image, args.image);
}

} // namespace

void setup_put(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<PutArgs>();
	cmd.add_option("image", args->image, "image file or block device")->required();
	cmd.add_option("hostfile", args->host, "file on the host")->required();
	cmd.add_option("path", args->path,
	               "destination in the image (a directory keeps the host name)")
	        ->required();
	action = [args] { return run_put(*args); };
}

} // namespace xloop::cli
