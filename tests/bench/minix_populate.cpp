// Benchmark helper: fills a Minix image through the model with DIRS
// directories of FILES small files each (sizes 0..4 KiB, a fixed pattern),
// so xloop fsck and fsck.minix have a large tree to walk.
//   minix_populate IMAGE DIRS FILES
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "minix/file_device.hpp"
#include "minix/filesystem.hpp"

int main(int argc, char **argv)
{
	using namespace xloop::minix;
	if (argc != 4) {
		std::fprintf(stderr, "usage: minix_populate IMAGE DIRS FILES\n");
		return 2;
	}
	unsigned dirs = static_cast<unsigned>(std::atoi(argv[2])),
	         files = static_cast<unsigned>(std::atoi(argv[3]));
	xloop::Result<FileDevice> dev = FileDevice::open(argv[1], FileDevice::Mode::read_write);
	if (!dev) {
		std::fprintf(stderr, "minix_populate: %s\n", dev.error().message().c_str());
		return 1;
	}
	OpenOptions opts;
	opts.writable = true;
	opts.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
	xloop::Result<std::unique_ptr<Filesystem>> fs = Filesystem::open(*dev, opts);
	if (!fs) {
		std::fprintf(stderr, "minix_populate: %s\n", fs.error().message().c_str());
		return 1;
	}
	std::vector<uint8_t> data(4096, 'x');
	for (unsigned d = 0; d < dirs; d++) {
		xloop::Result<uint32_t> dir = (*fs)->mkdir(kRootIno, "d" + std::to_string(d), 0755);
		if (!dir) {
			std::fprintf(stderr, "minix_populate: mkdir: %s\n",
			             dir.error().message().c_str());
			return 1;
		}
		for (unsigned f = 0; f < files; f++) {
			xloop::Result<uint32_t> ino =
			        (*fs)->create(*dir, "f" + std::to_string(f), 0644);
			size_t size = (f * 37) % 4097;
			xloop::Result<size_t> n =
			        ino ? (*fs)->write(*ino, 0, std::span(data.data(), size))
			            : xloop::Result<size_t>(ino.error());
			if (!n) {
				std::fprintf(stderr, "minix_populate: %s\n",
				             n.error().message().c_str());
				return 1;
			}
		}
	}
	xloop::Status st = (*fs)->unmount();
	if (!st) {
		std::fprintf(stderr, "minix_populate: %s\n", st.error().message().c_str());
		return 1;
	}
	return 0;
}
