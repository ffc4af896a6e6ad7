// xloop put IMAGE HOSTFILE... PATH: copy host files into an image (replacing
// the contents of an existing file; into a directory under their own names).
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
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image;
	std::vector<std::string> operands; // HOSTFILE... PATH
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

// Copies one host file to `path` in the image (into it, under the host
// name, when it is a directory); prints its own error.
int put_one(minix::Filesystem &fs, const std::string &image, const std::string &host,
            const std::string &path)
{
	Result<Fd> in = Fd::open(host, O_RDONLY);
	if (!in) {
		print_error(in.error());
		return 1;
	}
	struct stat st {
	};
	if (::fstat(in->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
		print_error(Error(EINVAL, host, "not a regular file"));
		return 1;
	}
	std::string where = image + ": " + path;
	Result<ParentAndName> target = resolve_parent(fs, path);
	if (!target) {
		print_error(target.error().within(image));
		return 1;
	}
	Result<uint32_t> existing = target->name.empty() ? Result<uint32_t>(target->dir)
	                                                 : fs.lookup(target->dir, target->name);
	if (existing) {
		Result<minix::Inode> inode = fs.stat(*existing);
		if (inode && inode->is_dir()) {
			target->dir = *existing;
			target->name = host.substr(host.rfind('/') + 1);
			where = image + ": " + path + (path.ends_with("/") ? "" : "/") +
			        target->name;
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
	if (Status s = copy_in(fs, ino, in->get(), host); !s) {
		print_error(s.error().within(where));
		return 1;
	}
	return 0;
}

int run_put(const PutArgs &args)
{
	const std::string &path = args.operands.back();
	Result<OpenImage> image = open_image(args.image, true, args.lock);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	if (args.operands.size() > 2) {
		// Several files: PATH must be a directory, as with cp.
		Result<uint32_t> dir = image->fs->resolve(path);
		Result<minix::Inode> inode =
		        dir ? image->fs->stat(*dir) : Result<minix::Inode>(dir.error());
		if (!inode || !inode->is_dir()) {
			print_error(inode ? Error(ENOTDIR, args.image + ": " + path)
			                  : inode.error().within(args.image));
			return finish_write(*image, args.image) | 1;
		}
	}
	int status = 0;
	for (size_t i = 0; i + 1 < args.operands.size() && status == 0; i++)
		status = put_one(*image->fs, args.image, args.operands[i], path);
	return finish_write(*image, args.image) | status;
}

} // namespace

void setup_put(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<PutArgs>();
	cmd.add_option("image", args->image, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	cmd.add_option("files", args->operands,
	               "HOSTFILE... PATH: host files, then where in the image (a directory keeps "
	               "the host names)")
	        ->required()
	        ->expected(2, -1);
	action = [args] { return run_put(*args); };
}

} // namespace xloop::cli
