// libFuzzer target: arbitrary bytes as a Minix image.  It runs fsck (check,
// then repair on a copy), opens the image, walks the whole tree with the
// library's walk (reading files and symlinks), and makes the changes the
// tool makes: a path with its parents (mkdir -p), a file copied in and out
// (put, get), trees removed (rm -r), a rename.  Built with ASan and UBSan
// by tests/fuzz/run.sh; any crash, leak, sanitizer report or hang fails.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "minix/block_device.hpp"
#include "minix/filesystem.hpp"
#include "minix/fsck.hpp"
#include "minix/tree.hpp"

namespace
{

using namespace xloop::minix;

// Reads what the tree holds, as ls -R -l and get do.
void read_tree(Filesystem &fs)
{
	std::vector<uint8_t> buf(4096);
	(void)walk_tree(fs, kRootIno, [&](const TreeEntry &e) {
		(void)fs.lookup(e.dir, e.name);
		if (e.inode.is_symlink())
			(void)fs.readlink(e.ino);
		else if (e.inode.is_reg())
			for (uint64_t off = 0; off < 65536; off += buf.size())
				if (!fs.read(e.ino, off, buf).ok())
					break;
		return xloop::Status{};
	});
}

void run_fsck(std::vector<uint8_t> bytes, bool repair)
{
	MemoryDevice dev(std::move(bytes));
	FsckOptions opts;
	opts.force = true;
	opts.repair = repair;
	opts.list = true;
	opts.verbose = true;
	opts.print = [](const std::string &) {};
	(void)fsck(dev, opts);
	if (repair) {
		// A repaired image must check clean or still report what it
		// could not fix; either way a second pass must not crash.
		opts.repair = false;
		(void)fsck(dev, opts);
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 20))
		return 0;
	std::vector<uint8_t> bytes(data, data + size);
	run_fsck(bytes, false);
	run_fsck(bytes, true);

	MemoryDevice dev(bytes);
	OpenOptions opts;
	opts.writable = true;
	opts.clock = [] { return int64_t{1700000000}; };
	xloop::Result<std::unique_ptr<Filesystem>> fs = Filesystem::open(dev, opts);
	if (!fs)
		return 0;
	Filesystem &f = **fs;
	read_tree(f);
	(void)f.statfs();
	(void)f.usage();
	// Changes on a possibly corrupt image: errors are fine, crashes are not.
	xloop::Result<uint32_t> dir = make_path(f, "/fz/a/b", 0755);
	xloop::Result<uint32_t> file = f.create(dir ? *dir : kRootIno, "data", 0644);
	if (file) {
		std::vector<uint8_t> chunk(3000, 0x5a);
		(void)f.write(*file, 5000, chunk);
		std::vector<uint8_t> back(8000);
		(void)f.read(*file, 0, back);
		(void)f.truncate(*file, 100);
	}
	(void)f.rename(kRootIno, "fz", kRootIno, "fz2");
	xloop::Result<std::vector<DirEntry>> root = f.readdir(kRootIno);
	if (root)
		for (const DirEntry &e : *root)
			if (e.name != "." && e.name != "..")
				(void)remove_tree(f, kRootIno, e.name);
	read_tree(f);
	(void)f.unmount();
	return 0;
}
