// xloop inspect IMAGE [--json]: superblock, geometry, usage and a map of
// the on-disk layout (boot block, superblock, bitmaps, inode table, zones).
#include <memory>

#include <fmt/format.h>

#include "cli/minix_commands.hpp"

namespace xloop::cli
{

namespace
{

struct InspectArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	std::string image;
	bool json = false;
};

int run_inspect(const InspectArgs &args)
{
	Result<OpenImage> image = open_image(args.image, false, args.lock);
	if (!image) {
		print_error(image.error());
		return 1;
	}
	const minix::Superblock &sb = image->fs->superblock();
	Result<minix::Usage> usage = image->fs->usage();
	if (!usage) {
		print_error(usage.error().within(args.image));
		return 1;
	}
	std::vector<minix::Region> layout = minix::layout_of(sb);
	if (args.json) {
		fmt::print("{{\n  \"version\": {},\n  \"magic\": \"0x{:04x}\",\n  \"name_length\": "
		           "{},\n"
		           "  \"dirent_size\": {},\n  \"block_size\": {},\n  \"inodes\": {},\n  "
		           "\"zones\": {},\n"
		           "  \"imap_blocks\": {},\n  \"zmap_blocks\": {},\n  \"first_data_zone\": "
		           "{},\n"
		           "  \"log_zone_size\": {},\n  \"max_size\": {},\n  \"state\": {},\n",
		           static_cast<int>(sb.version), sb.magic, sb.name_len(), sb.dirent_size(),
		           sb.block_size, sb.ninodes, sb.nzones, sb.imap_blocks, sb.zmap_blocks,
		           sb.first_data_zone, sb.log_zone_size, sb.max_size, sb.state);
		fmt::print("  \"inodes_used\": {},\n  \"data_zones\": {},\n  \"data_zones_used\": "
		           "{},\n  \"layout\": [\n",
		           usage->inodes_used, sb.data_zones(), usage->zones_used);
		for (size_t i = 0; i < layout.size(); i++)
			fmt::print("    {{\"region\": \"{}\", \"first_block\": {}, \"blocks\": "
			           "{}}}{}\n",
			           layout[i].name, layout[i].first_block, layout[i].blocks,
			           i + 1 < layout.size() ? "," : "");
		fmt::print("  ]\n}}\n");
		return 0;
	}
	fmt::print("Minix {} filesystem, magic 0x{:04x}, {}-byte names ({}-byte entries)\n",
	           minix::version_name(sb.version), sb.magic, sb.name_len(), sb.dirent_size());
	fmt::print("block size      {}\ninodes          {} ({} used)\n", sb.block_size, sb.ninodes,
	           usage->inodes_used);
	fmt::print("zones           {} ({} data zones, {} used)\n", sb.nzones, sb.data_zones(),
	           usage->zones_used);
	fmt::print("imap blocks     {}\nzmap blocks     {}\nfirst data zone {} (normal {})\n",
	           sb.imap_blocks, sb.zmap_blocks, sb.first_data_zone, sb.norm_first_zone());
	fmt::print("log zone size   {}\nmax file size   {}\n", sb.log_zone_size, sb.max_size);
	if (sb.has_state())
		fmt::print("state           {}{}\n",
		           sb.state & minix::kStateValid ? "valid" : "not clean",
		           sb.state & minix::kStateError ? ", errors" : "");
	fmt::print("\nlayout (blocks of {} bytes):\n", sb.block_size);
	for (const minix::Region &r : layout) {
		uint64_t last = r.blocks ? r.first_block + r.blocks - 1 : r.first_block;
		fmt::print("  {:>10} .. {:<10} {:>10} blocks  {}\n", r.first_block, last, r.blocks,
		           r.name);
	}
	return 0;
}

} // namespace

void setup_inspect(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<InspectArgs>();
	cmd.add_flag("--json", args->json, "machine-readable output");
	cmd.add_option("image", args->image, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	action = [args] { return run_inspect(*args); };
}

} // namespace xloop::cli
