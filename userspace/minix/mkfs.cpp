#include "minix/mkfs.hpp"

#include <sys/stat.h>

#include <minix_format.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "minix/directory.hpp"
#include "minix/endian.hpp"
#include "minix/inode.hpp"

namespace xloop::minix
{

namespace
{

uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

Error usage(std::string detail)
{
	return Error(EINVAL, "", std::move(detail));
}

void set_bit(std::vector<uint8_t> &map, uint64_t bit, bool on)
{
	uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
	if (on)
		map[bit / 8] |= mask;
	else
		map[bit / 8] &= static_cast<uint8_t>(~mask);
}

// Clears bits [first, end): whole bytes at once, the ragged ends bit by bit.
void clear_bits(std::vector<uint8_t> &map, uint64_t first, uint64_t end)
{
	while (first < end && first % 8)
		set_bit(map, first++, false);
	uint64_t bytes = (end - first) / 8;
	std::fill_n(map.begin() + static_cast<std::ptrdiff_t>(first / 8), bytes, 0);
	for (first += bytes * 8; first < end; first++)
		set_bit(map, first, false);
}

} // namespace

Result<Superblock> plan_filesystem(const MkfsOptions &opts, uint64_t device_bytes)
{
	Superblock sb;
	sb.version = opts.version;
	unsigned name_len = opts.name_len;
	if (opts.version == Version::v3) {
		if (name_len == 0)
			name_len = XMINIX_V3_NAME_LEN;
		if (name_len != XMINIX_V3_NAME_LEN)
			return usage(fmt::format("unsupported name length: {}", name_len));
		if (opts.block_size != 1024 && opts.block_size != 2048 && opts.block_size != 4096)
			return usage(fmt::format("unsupported block size: {}", opts.block_size));
		sb.block_size = opts.block_size;
	} else {
		if (name_len == 0)
			name_len = XMINIX_NAME_LEN_LONG;
		if (name_len != XMINIX_NAME_LEN_SHORT && name_len != XMINIX_NAME_LEN_LONG)
			return usage(fmt::format("unsupported name length: {}", name_len));
		if (opts.block_size != 1024)
			return usage(fmt::format("block size {} needs -3 (V1 and V2 use 1024)",
			                         opts.block_size));
		sb.block_size = 1024;
	}
	sb.magic = magic_for(opts.version, name_len);

	uint64_t available = device_bytes / sb.block_size;
	uint64_t blocks = opts.blocks ? opts.blocks : available;
	if (blocks > available)
		return usage(fmt::format("requested blocks ({}) exceeds available ({}) blocks",
		                         blocks, available));
	if (blocks < 10)
		return usage("number of blocks too small");
	if (opts.version == Version::v1 && blocks > XMINIX_V1_MAX_ZONES)
		blocks = XMINIX_V1_MAX_ZONES;
	uint64_t bits = uint64_t{sb.block_size} * 8;
	uint64_t max_blocks = 4 + (uint64_t{65535} - 4) * bits;
	if (blocks > max_blocks)
		blocks = max_blocks;

	uint64_t inodes = opts.inodes;
	if (!inodes) {
		if (blocks > 2048 * 1024)
			inodes = blocks / 16;
		else if (blocks > 512 * 1024)
			inodes = blocks / 8;
		else
			inodes = blocks / 3;
	}
	uint64_t ipb = sb.block_size / (opts.version == Version::v1 ? 32 : 64);
	// Before rounding up, which would wrap near 2^64 (to an empty table).
	if (inodes >= UINT32_MAX)
		return usage(fmt::format("too many inodes: {}", inodes));
	inodes = div_up(inodes, ipb) * ipb;
	if (opts.version != Version::v3 && inodes > XMINIX_MAX_INODES_16)
		inodes = XMINIX_MAX_INODES_16;
	if (inodes >= UINT32_MAX)
		return usage(fmt::format("too many inodes: {}", inodes));

	uint64_t inode_blocks = div_up(inodes, ipb);
	uint64_t imap = div_up(inodes + 1, bits);
	uint64_t meta = 1 + imap + inode_blocks;
	uint64_t zmap = blocks > meta ? div_up(blocks - meta, bits + 1) : 1;
	uint64_t first = 2 + imap + zmap + inode_blocks;
	if (first > XMINIX_MAX_FIRSTDATAZONE)
		return usage(fmt::format("First data block at {}, which is too far (max {}).\n"
		                         "Try specifying fewer inodes by passing --inodes <num>",
		                         first, XMINIX_MAX_FIRSTDATAZONE));
	if (first >= blocks)
		return usage(
		        fmt::format("{} inodes leave no data zones in {} blocks", inodes, blocks));

	sb.ninodes = static_cast<uint32_t>(inodes);
	sb.nzones = static_cast<uint32_t>(blocks);
	sb.imap_blocks = static_cast<uint16_t>(imap);
	sb.zmap_blocks = static_cast<uint16_t>(zmap);
	sb.first_data_zone = static_cast<uint16_t>(first);
	sb.log_zone_size = 0;
	sb.max_size = opts.version == Version::v1 ? XMINIX_V1_MAX_SIZE : XMINIX_V2_MAX_SIZE;
	sb.state = opts.version == Version::v3 ? 0 : kStateValid;
	return sb;
}

Result<std::vector<uint32_t>> checked_bad_blocks(const Superblock &sb, const MkfsOptions &opts)
{
	std::vector<uint32_t> bad = opts.bad_blocks;
	std::sort(bad.begin(), bad.end());
	bad.erase(std::unique(bad.begin(), bad.end()), bad.end());
	for (uint32_t b : bad)
		if (b < sb.first_data_zone || b >= sb.nzones)
			return usage(fmt::format(
			        "bad block {} is not a data zone ({}-{}): cannot make fs", b,
			        sb.first_data_zone, sb.nzones - 1));
	return bad;
}

namespace
{

// mkfs.minix's zone allocation while it makes the image: the zones it takes
// for itself (the root directory, the bad-blocks inode's indirect blocks)
// come one after another, skipping bad zones (the only ones marked so far).
class ZonePlan
{
public:
	ZonePlan(const Superblock &sb, const std::vector<uint32_t> &bad) : sb_(sb), bad_(bad) {}

	bool is_bad(uint32_t z) const { return std::binary_search(bad_.begin(), bad_.end(), z); }

	Result<uint32_t> take()
	{
		uint32_t z = taken_.empty() ? sb_.first_data_zone : taken_.back() + 1;
		while (z < sb_.nzones && is_bad(z))
			z++;
		if (z >= sb_.nzones)
			return usage("not enough good blocks");
		taken_.push_back(z);
		return z;
	}

	const std::vector<uint32_t> &taken() const { return taken_; }

private:
	const Superblock &sb_;
	const std::vector<uint32_t> &bad_;
	std::vector<uint32_t> taken_;
};

// Zone pointers, each 16 bits (V1) or 32 (V2, V3), little-endian.
void put_zone(const Superblock &sb, uint8_t *p, uint32_t zone)
{
	if (sb.version == Version::v1)
		put_le16(p, static_cast<uint16_t>(zone));
	else
		put_le32(p, zone);
}

// Inode 2 keeps the bad zones as its data, as mkfs.minix's make_bad_inode()
// lays them out: 7 direct, then an indirect block, then a double indirect
// one, their blocks taken from `plan`.  The blocks to write go to `blocks`.
Result<Inode> bad_inode(const Superblock &sb, const std::vector<uint32_t> &bad, uint32_t time,
                        ZonePlan &plan,
                        std::vector<std::pair<uint32_t, std::vector<uint8_t>>> &blocks)
{
	const uint32_t bs = sb.block_size;
	const uint32_t width = sb.version == Version::v1 ? 2 : 4;
	const uint32_t per = bs / width;
	Inode in;
	in.mode = S_IFREG;
	in.nlinks = 1;
	in.size = static_cast<uint32_t>(bad.size() * bs);
	in.atime = in.mtime = in.ctime = time;
	size_t next = 0;
	for (uint32_t i = 0; i < 7 && next < bad.size(); i++)
		in.zone[i] = bad[next++];
	if (next == bad.size())
		return in;
	Result<uint32_t> ind = plan.take();
	if (!ind)
		return ind.error();
	in.zone[7] = *ind;
	std::vector<uint8_t> block(bs, 0);
	for (uint32_t i = 0; i < per && next < bad.size(); i++)
		put_zone(sb, &block[i * width], bad[next++]);
	blocks.emplace_back(*ind, block);
	if (next == bad.size())
		return in;
	Result<uint32_t> dind = plan.take();
	if (!dind)
		return dind.error();
	in.zone[8] = *dind;
	std::vector<uint8_t> dblock(bs, 0);
	for (uint32_t i = 0; i < per && next < bad.size(); i++) {
		Result<uint32_t> leaf = plan.take();
		if (!leaf)
			return leaf.error();
		put_zone(sb, &dblock[i * width], *leaf);
		std::fill(block.begin(), block.end(), 0);
		for (uint32_t j = 0; j < per && next < bad.size(); j++)
			put_zone(sb, &block[j * width], bad[next++]);
		blocks.emplace_back(*leaf, block);
	}
	if (next < bad.size())
		return usage("too many bad blocks");
	blocks.emplace_back(*dind, dblock);
	return in;
}

} // namespace

Status make_filesystem(BlockDevice &dev, const Superblock &sb, const MkfsOptions &opts)
{
	const uint64_t bs = sb.block_size;
	Result<std::vector<uint32_t>> bad = checked_bad_blocks(sb, opts);
	if (!bad)
		return bad.error();
	// The root directory's zone first, then the bad-blocks inode's.
	ZonePlan plan(sb, *bad);
	Result<uint32_t> root_zone = plan.take();
	if (!root_zone)
		return root_zone.error();
	std::vector<std::pair<uint32_t, std::vector<uint8_t>>> blocks;
	std::optional<Inode> bad_ino;
	if (!bad->empty()) {
		Result<Inode> in = bad_inode(sb, *bad, opts.time, plan, blocks);
		if (!in)
			return in.error();
		bad_ino = *in;
	}

	std::vector<uint8_t> boot(XMINIX_BOOT_CLEAR_BYTES, 0);
	if (Status st = dev.write(0, boot); !st)
		return st;
	std::vector<uint8_t> super(kSuperSize, 0);
	encode_superblock(sb, super);
	if (Status st = dev.write(kSuperOffset, super); !st)
		return st;

	// Bitmaps and inode table are contiguous from block 2: build them in one
	// buffer.  Maps start all-ones (padding bits stay set), then the real
	// inodes and zones are cleared, and the root's inode and zone, the bad
	// zones and the bad-blocks inode with its blocks marked.
	uint64_t imap_bytes = sb.imap_blocks * bs, zmap_bytes = sb.zmap_blocks * bs;
	uint64_t table_bytes = uint64_t{sb.inode_table_blocks()} * bs;
	std::vector<uint8_t> meta(imap_bytes + zmap_bytes + table_bytes, 0);
	std::vector<uint8_t> imap(imap_bytes, 0xff), zmap(zmap_bytes, 0xff);
	clear_bits(imap, 1, uint64_t{sb.ninodes} + 1);
	clear_bits(zmap, 1, uint64_t{sb.data_zones()} + 1);
	set_bit(imap, kRootIno, true);
	auto zbit = [&](uint32_t z) { return uint64_t{z} - sb.first_data_zone + 1; };
	for (uint32_t z : plan.taken())
		set_bit(zmap, zbit(z), true);
	for (uint32_t z : *bad)
		set_bit(zmap, zbit(z), true);
	if (bad_ino)
		set_bit(imap, kBadIno, true);
	std::copy(imap.begin(), imap.end(), meta.begin());
	std::copy(zmap.begin(), zmap.end(), meta.begin() + static_cast<std::ptrdiff_t>(imap_bytes));

	const unsigned dirent = sb.dirent_size();
	Inode root;
	root.mode = S_IFDIR | 0755;
	root.nlinks = 2;
	root.uid = opts.uid;
	root.gid = low_gid(sb.version, opts.gid);
	root.size = (bad_ino ? 3 : 2) * dirent;
	root.atime = root.mtime = root.ctime = opts.time;
	root.zone[0] = *root_zone;
	uint8_t *table = &meta[imap_bytes + zmap_bytes];
	encode_inode(sb.version, root, table);
	if (bad_ino)
		encode_inode(sb.version, *bad_ino, table + (kBadIno - 1) * sb.inode_size());
	if (Status st = dev.write(2 * bs, meta); !st)
		return st;

	std::vector<uint8_t> dir(bs, 0);
	const unsigned w = sb.ino_width();
	auto put_entry = [&](unsigned slot, uint32_t ino, std::string_view name) {
		uint8_t *p = &dir[slot * dirent];
		if (w == 4)
			put_le32(p, ino);
		else
			put_le16(p, static_cast<uint16_t>(ino));
		std::copy(name.begin(), name.end(), p + w);
	};
	put_entry(0, kRootIno, ".");
	put_entry(1, kRootIno, "..");
	if (bad_ino)
		put_entry(2, kBadIno, ".badblocks");
	if (Status st = dev.write(uint64_t{*root_zone} * bs, dir); !st)
		return st;
	for (const auto &[zone, bytes] : blocks)
		if (Status st = dev.write(uint64_t{zone} * bs, bytes); !st)
			return st;
	return dev.flush();
}

} // namespace xloop::minix
