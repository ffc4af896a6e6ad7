// libFuzzer target: arbitrary bytes as a Minix image.  It runs fsck (check,
// then repair on a copy), opens the image, walks the whole tree reading
// files and symlinks, and tries a few changes.  Built with ASan and UBSan
// by tests/fuzz/run.sh; any crash, leak, sanitizer report or hang fails.
#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "minix/block_device.hpp"
#include "minix/filesystem.hpp"
#include "minix/fsck.hpp"

namespace
{

using namespace xloop::minix;

void walk(Filesystem &fs, uint32_t dir, std::set<uint32_t> &seen, unsigned depth)
{
	if (depth > 64 || !seen.insert(dir).second)
		return;
	xloop::Result<std::vector<DirEntry>> entries = fs.readdir(dir);
	if (!entries)
		return;
	std::vector<uint8_t> buf(4096);
	for (const DirEntry &e : *entries) {
		if (e.name == "." || e.name == "..")
			continue;
		(void)fs.lookup(dir, e.name);
		xloop::Result<Inode> in = fs.stat(e.ino);
		if (!in)
			continue;
		if (in->is_dir())
			walk(fs, e.ino, seen, depth + 1);
		else if (in->is_symlink())
			(void)fs.readlink(e.ino);
		else if (in->is_reg())
			for (uint64_t off = 0; off < 65536; off += buf.size())
				if (!fs.read(e.ino, off, buf).ok())
					break;
	}
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
	std::set<uint32_t> seen;
	walk(**fs, kRootIno, seen, 0);
	(void)(*fs)->statfs();
	(void)(*fs)->usage();
	// Changes on a possibly corrupt image: errors are fine, crashes are not.
	xloop::Result<uint32_t> f = (*fs)->create(kRootIno, "fz", 0644);
	if (f) {
		std::vector<uint8_t> chunk(3000, 0x5a);
		(void)(*fs)->write(*f, 5000, chunk);
		(void)(*fs)->truncate(*f, 100);
	}
	(void)(*fs)->mkdir(kRootIno, "fd", 0755);
	(void)(*fs)->rename(kRootIno, "fz", kRootIno, "fd2");
	xloop::Result<std::vector<DirEntry>> root = (*fs)->readdir(kRootIno);
	if (root)
		for (const DirEntry &e : *root)
			if (e.name != "." && e.name != "..") {
				(void)(*fs)->unlink(kRootIno, e.name);
				(void)(*fs)->rmdir(kRootIno, e.name);
			}
	(void)(*fs)->unmount();
	return 0;
}
