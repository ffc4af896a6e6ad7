// xloop put IMAGE HOSTFILE... PATH: copy host files into an image (replacing
// the contents of an existing file; into a directory under their own names).
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "cli/minix_commands.hpp"
#include "common/fd.hpp"
#include "minix/directory.hpp"

namespace xloop::cli
{

namespace
{

struct PutArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image;
	std::vector<std::string> operands; // HOSTFILE... PATH
};

// Writes the host file's bytes to a new, empty file of the image.  A short
// write is retried for the rest, so the error that stopped it (ENOSPC,
// EFBIG) is the one reported, as with write(2).
Status copy_in(minix::Filesystem &fs, uint32_t ino, int fd, const std::string &host)
{
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
		std::span<const uint8_t> rest(buf.data(), static_cast<size_t>(n));
		while (!rest.empty()) {
			Result<size_t> w = fs.write(ino, offset, rest);
			if (!w)
				return w.error();
			offset += *w;
			rest = rest.subspan(*w);
		}
	}
}

// A name for the new copy while it is written, free in `dir` (one writer
// holds the image: no race), short enough for 14-character names.
Result<std::string> temp_name(minix::Filesystem &fs, uint32_t dir)
{
	for (unsigned i = 0; i < 1000; i++) {
		std::string name = ".xlput" + std::to_string(i);
		Result<uint32_t> found = fs.lookup(dir, name);
		if (!found && found.error().code() == ENOENT)
			return name;
		if (!found)
			return found.error();
	}
	return Error(EEXIST, "temporary file", "no free name");
}

// Copies one host file to `path` in the image (into it, under the host
// name, when it is a directory), all or nothing: a new file is removed
// again on error; an existing one is replaced by a copy written under a
// temporary name and renamed over it when complete (keeping its permissions
// and owner), so an error leaves it as it was.  Prints its own error.
int put_one(OpenImage &image, const std::string &image_path, const std::string &host,
            const std::string &path)
{
	minix::Filesystem &fs = *image.fs;
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
	// Reading the image while writing it would copy a half-written file.
	if (auto shared = shares_image_data(st, image_path)) {
		print_error(Error(EINVAL, host, *shared));
		return 1;
	}
	std::string where = image_path + ": " + path;
	Result<ParentAndName> target = resolve_parent(fs, path);
	if (!target) {
		print_error(target.error().within(image_path));
		return 1;
	}
	Result<uint32_t> existing = target->name.empty() ? Result<uint32_t>(target->dir)
	                                                 : fs.lookup(target->dir, target->name);
	if (existing) {
		Result<minix::Inode> inode = fs.stat(*existing);
		if (inode && inode->is_dir()) {
			target->dir = *existing;
			target->name = host.substr(host.rfind('/') + 1);
			where = image_path + ": " + path + (path.ends_with("/") ? "" : "/") +
			        target->name;
			existing = fs.lookup(target->dir, target->name);
		}
	}
	minix::SetAttr keep;
	if (existing) {
		Result<minix::Inode> old = fs.stat(*existing);
		if (!old) {
			print_error(old.error().within(where));
			return 1;
		}
		if (!old->is_reg()) {
			print_error(Error(EINVAL, where, "not a regular file"));
			return 1;
		}
		keep.mode = static_cast<uint16_t>(old->mode & 07777);
		keep.uid = old->uid;
		keep.gid = old->gid;
	} else if (existing.error().code() != ENOENT) {
		print_error(existing.error().within(where));
		return 1;
	} else if (Status ok = minix::check_new_name(fs.superblock(), target->name); !ok) {
		print_error(ok.error().within(where));
		return 1;
	}
	Result<std::string> name = existing ? temp_name(fs, target->dir) : target->name;
	if (!name) {
		print_error(name.error().within(where));
		return 1;
	}
	Result<uint32_t> created =
	        fs.create(target->dir, *name, static_cast<uint16_t>(st.st_mode & 07777));
	if (!created) {
		print_error(created.error().within(where));
		return 1;
	}
	Status done = copy_in(fs, *created, in->get(), host);
	if (done && existing)
		done = fs.setattr(*created, keep);
	if (done && existing)
		done = fs.rename(target->dir, *name, target->dir, target->name, false);
	if (!done) {
		print_error(done.error().within(where));
		// Nothing of the copy stays behind.
		if (Status gone = fs.unlink(target->dir, *name); !gone)
			print_error(gone.error().within(image_path + ": " + *name));
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
	// As cp: a file that fails is reported, the others still go in.
	int status = 0;
	for (size_t i = 0; i + 1 < args.operands.size(); i++)
		status |= put_one(*image, args.image, args.operands[i], path);
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
