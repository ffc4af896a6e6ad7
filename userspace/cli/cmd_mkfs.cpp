// xloop mkfs: make a Minix filesystem, as mkfs.minix does (same options,
// geometry, output and exit codes: 0, 8 operational error, 16 usage), but
// refusing to overwrite an existing filesystem without --force.
#include <blkid/blkid.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include <fmt/format.h>

#include "cli/minix_commands.hpp"
#include "minix/mkfs.hpp"

namespace xloop::cli
{

namespace
{

constexpr int kMkfsError = 8;

struct MkfsArgs {
	bool v1 = false, v2 = false, v3 = false, force = false;
	unsigned name_len = 0;
	uint64_t inodes = 0;
	uint32_t block_size = 1024;
	std::string target;
	uint64_t blocks = 0;
	std::string lock = "yes"; // --lock[=yes|no|nonblock], as mkfs.minix
	bool check = false;       // -c: read every block, keep the bad ones
	std::string bad_list;     // -l FILE: bad block numbers, one a line
};

minix::FileDevice::Lock lock_mode(const std::string &mode)
{
	using Lock = minix::FileDevice::Lock;
	if (mode == "no" || mode == "0")
		return Lock::none;
	if (mode == "nonblock")
		return Lock::nowait;
	return Lock::wait;
}

struct ProbeDeleter {
	void operator()(blkid_probe pr) const { blkid_free_probe(pr); }
};

// What libblkid finds on the target ("minix", "ext4", "dos" partition
// table...), or an empty string.
std::string existing_signature(const std::string &path)
{
	std::unique_ptr<blkid_struct_probe, ProbeDeleter> pr(
	        blkid_new_probe_from_filename(path.c_str()));
	if (!pr)
		return {};
	blkid_probe_enable_superblocks(pr.get(), 1);
	blkid_probe_set_superblocks_flags(pr.get(), BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr.get(), 1);
	int rc = blkid_do_safeprobe(pr.get());
	if (rc == -2)
		return "more than one signature";
	if (rc != 0)
		return {};
	const char *value = nullptr;
	if (blkid_probe_lookup_value(pr.get(), "TYPE", &value, nullptr) == 0 && value)
		return fmt::format("a {} filesystem", value);
	if (blkid_probe_lookup_value(pr.get(), "PTTYPE", &value, nullptr) == 0 && value)
		return fmt::format("a {} partition table", value);
	return {};
}

// -l: block numbers, one a line, as mkfs.minix reads them ("%lu\n").
Result<std::vector<uint32_t>> read_bad_list(const std::string &path)
{
	std::FILE *f = std::fopen(path.c_str(), "r");
	if (!f)
		return errno_error(path);
	std::vector<uint32_t> bad;
	unsigned long block = 0;
	int line = 1;
	int c;
	while ((c = std::fgetc(f)) != EOF) {
		std::ungetc(c, f);
		if (std::fscanf(f, "%lu\n", &block) != 1 || block > UINT32_MAX) {
			std::fclose(f);
			return Error(EINVAL, path,
			             fmt::format("bad block number input error on line {}", line));
		}
		bad.push_back(static_cast<uint32_t>(block));
		line++;
	}
	std::fclose(f);
	return bad;
}

// -c: every block of the new filesystem read, 16 at a time as mkfs.minix
// does; the blocks that cannot be read are bad.
std::vector<uint32_t> unreadable_blocks(minix::FileDevice &dev, const minix::Superblock &sb)
{
	const uint32_t bs = sb.block_size, chunk = 16;
	std::vector<uint8_t> buf(uint64_t{bs} * chunk);
	std::vector<uint32_t> bad;
	for (uint32_t b = 0; b < sb.nzones; b += chunk) {
		uint32_t n = std::min(chunk, sb.nzones - b);
		if (dev.read(uint64_t{b} * bs, std::span(buf.data(), uint64_t{n} * bs)))
			continue;
		for (uint32_t i = 0; i < n; i++)
			if (!dev.read(uint64_t{b + i} * bs, std::span(buf.data(), bs)))
				bad.push_back(b + i);
	}
	return bad;
}

int run_mkfs(const MkfsArgs &args)
{
	if (args.check && !args.bad_list.empty()) {
		fmt::print(stderr, "xloop mkfs: -c and -l are mutually exclusive\n");
		return 16;
	}
	minix::MkfsOptions opts;
	if (args.v1 + args.v2 + args.v3 > 1) {
		fmt::print(stderr, "xloop mkfs: -1, -2 and -3 are mutually exclusive\n");
		return 16;
	}
	opts.version = args.v3   ? minix::Version::v3
	               : args.v2 ? minix::Version::v2
	                         : minix::Version::v1;
	opts.name_len = args.name_len;
	opts.inodes = args.inodes;
	opts.block_size = args.block_size;
	opts.blocks = args.blocks;
	opts.time = static_cast<uint32_t>(std::time(nullptr));
	opts.uid = minix::low_uid(getuid());
	opts.gid = opts.uid ? minix::low_uid(getgid()) : 0;

	if (!args.force) {
		std::string found = existing_signature(args.target);
		if (!found.empty()) {
			fmt::print(stderr, "xloop: {}: contains {}; use --force to overwrite it\n",
			           args.target, found);
			return kMkfsError;
		}
	}
	Result<minix::FileDevice> dev = minix::FileDevice::open(
	        args.target, minix::FileDevice::Mode::read_write, lock_mode(args.lock));
	if (!dev) {
		print_error(dev.error());
		return kMkfsError;
	}
	Result<minix::Superblock> sb = minix::plan_filesystem(opts, dev->size());
	if (!sb) {
		print_error(sb.error().within(args.target));
		return kMkfsError;
	}
	if (args.check) {
		opts.bad_blocks = unreadable_blocks(*dev, *sb);
	} else if (!args.bad_list.empty()) {
		Result<std::vector<uint32_t>> listed = read_bad_list(args.bad_list);
		if (!listed) {
			print_error(listed.error());
			return kMkfsError;
		}
		opts.bad_blocks = std::move(*listed);
	}
	Result<std::vector<uint32_t>> bad = minix::checked_bad_blocks(*sb, opts);
	if (!bad) {
		print_error(bad.error().within(args.target));
		return kMkfsError;
	}
	if (Status st = minix::make_filesystem(*dev, *sb, opts); !st) {
		print_error(st.error());
		return kMkfsError;
	}
	fmt::print("{} inodes\n{} blocks\nFirstdatazone={} ({})\nZonesize={}\nMaxsize={}\n\n",
	           sb->ninodes, sb->nzones, sb->first_data_zone, sb->norm_first_zone(),
	           sb->block_size, sb->max_size);
	if (!bad->empty())
		fmt::print("{} bad block{}\n", bad->size(), bad->size() == 1 ? "" : "s");
	return 0;
}

} // namespace

void setup_mkfs(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<MkfsArgs>();
	cmd.add_flag("-1", args->v1, "Minix V1 (the default)");
	cmd.add_flag("-2", args->v2, "Minix V2");
	cmd.add_flag("-3", args->v3, "Minix V3");
	cmd.add_option("-n,--namelength", args->name_len,
	               "maximum file name length: 14 or 30 (V1/V2), 60 (V3)")
	        ->check(kUnsignedNumber);
	cmd.add_option("-i,--inodes", args->inodes, "number of inodes")->check(kUnsignedNumber);
	cmd.add_option("--block-size", args->block_size, "block size for V3: 1024, 2048 or 4096")
	        ->check(CLI::IsMember({1024, 2048, 4096}));
	cmd.add_flag("--force", args->force, "overwrite an existing filesystem or partition table");
	cmd.add_flag("-c,--check", args->check,
	             "read every block first; keep the unreadable ones out of use");
	cmd.add_option("-l,--badblocks", args->bad_list,
	               "a file of bad block numbers, one a line, to keep out of use");
	cmd.add_flag("--lock{yes}", args->lock,
	             "lock the target while making the filesystem: yes (the default: wait), "
	             "no, or nonblock (fail if it is locked)")
	        ->check(CLI::IsMember({"yes", "no", "nonblock", "1", "0"}));
	cmd.add_option("target", args->target, "image file or block device")->required();
	cmd.add_option("blocks", args->blocks,
	               "size in filesystem blocks (default: the whole target)")
	        ->check(kUnsignedNumber);
	action = [args] { return run_mkfs(*args); };
}

} // namespace xloop::cli
