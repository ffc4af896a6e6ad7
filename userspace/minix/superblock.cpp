#include "minix/superblock.hpp"

#include <minix_format.h>
#include <minix_rules.h>

#include <fmt/format.h>

#include "minix/block_device.hpp"
#include "minix/endian.hpp"

namespace xloop::minix
{

unsigned Superblock::name_len() const
{
	switch (magic) {
	case XMINIX_V1_MAGIC14:
	case XMINIX_V2_MAGIC14:
		return XMINIX_NAME_LEN_SHORT;
	case XMINIX_V1_MAGIC30:
	case XMINIX_V2_MAGIC30:
		return XMINIX_NAME_LEN_LONG;
	default:
		return XMINIX_V3_NAME_LEN;
	}
}

unsigned Superblock::dirent_size() const
{
	return name_len() + ino_width();
}

uint32_t Superblock::inode_table_blocks() const
{
	uint32_t ipb = inodes_per_block();
	return static_cast<uint32_t>((uint64_t{ninodes} + ipb - 1) / ipb);
}

uint16_t magic_for(Version version, unsigned name_len)
{
	switch (version) {
	case Version::v1:
		return name_len == XMINIX_NAME_LEN_SHORT ? XMINIX_V1_MAGIC14 : XMINIX_V1_MAGIC30;
	case Version::v2:
		return name_len == XMINIX_NAME_LEN_SHORT ? XMINIX_V2_MAGIC14 : XMINIX_V2_MAGIC30;
	case Version::v3:
		break;
	}
	return XMINIX_V3_MAGIC;
}

const char *version_name(Version version)
{
	switch (version) {
	case Version::v1:
		return "V1";
	case Version::v2:
		return "V2";
	case Version::v3:
		break;
	}
	return "V3";
}

Result<Superblock> decode_superblock(std::span<const uint8_t> b)
{
	if (b.size() < 32)
		return Error(EINVAL, "superblock", "image too small for a superblock");
	Superblock sb;
	uint16_t magic12 = get_le16(&b[XMINIX_V12_MAGIC_OFFSET]);
	switch (magic12) {
	case XMINIX_V1_MAGIC14:
	case XMINIX_V1_MAGIC30:
		sb.version = Version::v1;
		break;
	case XMINIX_V2_MAGIC14:
	case XMINIX_V2_MAGIC30:
		sb.version = Version::v2;
		break;
	default:
		if (get_le16(&b[XMINIX_V3_MAGIC_OFFSET]) != XMINIX_V3_MAGIC)
			return Error(EINVAL, "superblock", "bad magic number in super-block");
		sb.version = Version::v3;
	}
	if (sb.version == Version::v3) {
		sb.magic = XMINIX_V3_MAGIC;
		sb.ninodes = get_le32(&b[0]);
		sb.v3_pad0 = get_le16(&b[4]);
		sb.imap_blocks = get_le16(&b[6]);
		sb.zmap_blocks = get_le16(&b[8]);
		sb.first_data_zone = get_le16(&b[10]);
		sb.log_zone_size = get_le16(&b[12]);
		sb.v3_pad1 = get_le16(&b[14]);
		sb.max_size = get_le32(&b[16]);
		sb.nzones = get_le32(&b[20]);
		sb.v3_pad2 = get_le16(&b[26]);
		sb.block_size = get_le16(&b[28]);
		sb.v3_disk_version = b[30];
		sb.state = kStateValid;
		return sb;
	}
	sb.magic = magic12;
	sb.ninodes = get_le16(&b[0]);
	sb.imap_blocks = get_le16(&b[4]);
	sb.zmap_blocks = get_le16(&b[6]);
	sb.first_data_zone = get_le16(&b[8]);
	sb.log_zone_size = get_le16(&b[10]);
	sb.max_size = get_le32(&b[12]);
	sb.state = get_le16(&b[18]);
	if (sb.version == Version::v1) {
		sb.nzones = get_le16(&b[2]);
	} else {
		sb.v2_nzones16 = get_le16(&b[2]);
		sb.nzones = get_le32(&b[20]);
	}
	return sb;
}

void encode_superblock(const Superblock &sb, std::span<uint8_t> b)
{
	if (sb.version == Version::v3) {
		put_le32(&b[0], sb.ninodes);
		put_le16(&b[4], sb.v3_pad0);
		put_le16(&b[6], sb.imap_blocks);
		put_le16(&b[8], sb.zmap_blocks);
		put_le16(&b[10], sb.first_data_zone);
		put_le16(&b[12], sb.log_zone_size);
		put_le16(&b[14], sb.v3_pad1);
		put_le32(&b[16], sb.max_size);
		put_le32(&b[20], sb.nzones);
		put_le16(&b[24], sb.magic);
		put_le16(&b[26], sb.v3_pad2);
		put_le16(&b[28], static_cast<uint16_t>(sb.block_size));
		b[30] = sb.v3_disk_version;
		return;
	}
	put_le16(&b[0], static_cast<uint16_t>(sb.ninodes));
	put_le16(&b[2],
	         sb.version == Version::v1 ? static_cast<uint16_t>(sb.nzones) : sb.v2_nzones16);
	put_le16(&b[4], sb.imap_blocks);
	put_le16(&b[6], sb.zmap_blocks);
	put_le16(&b[8], sb.first_data_zone);
	put_le16(&b[10], sb.log_zone_size);
	put_le32(&b[12], sb.max_size);
	put_le16(&b[16], sb.magic);
	put_le16(&b[18], sb.state);
	if (sb.version != Version::v1)
		put_le32(&b[20], sb.nzones);
}

static Error corrupt(std::string detail)
{
	return Error(kCorrupted, "superblock", std::move(detail));
}

static xminix_geometry geometry_of(const Superblock &sb)
{
	xminix_geometry g{};
	g.version = static_cast<unsigned>(sb.version);
	g.ninodes = sb.ninodes;
	g.nzones = sb.nzones;
	g.imap_blocks = sb.imap_blocks;
	g.zmap_blocks = sb.zmap_blocks;
	g.first_data_zone = sb.first_data_zone;
	g.log_zone_size = sb.log_zone_size;
	g.max_size = sb.max_size;
	g.block_size = sb.block_size;
	return g;
}

// The rule is xminix.ko's own (include/minix_rules.h); the words are ours.
Status check_superblock(const Superblock &sb, uint64_t device_bytes)
{
	xminix_geometry g = geometry_of(sb);
	switch (xminix_check_geometry(&g, device_bytes)) {
	case XMINIX_GEOMETRY_OK:
		return {};
	case XMINIX_GEOMETRY_LOG_ZONE_SIZE:
		return corrupt(fmt::format("s_log_zone_size {} is not 0", sb.log_zone_size));
	case XMINIX_GEOMETRY_BLOCK_SIZE:
		return corrupt(fmt::format("unsupported block size {}", sb.block_size));
	case XMINIX_GEOMETRY_NINODES:
		return corrupt(fmt::format("bad s_ninodes {}", sb.ninodes));
	case XMINIX_GEOMETRY_FIRST_DATA_ZONE:
		return corrupt(fmt::format("bad s_firstdatazone {} (zones {})", sb.first_data_zone,
		                           sb.nzones));
	case XMINIX_GEOMETRY_IMAP:
		return corrupt(fmt::format("s_imap_blocks {} too small for {} inodes",
		                           sb.imap_blocks, sb.ninodes));
	case XMINIX_GEOMETRY_ZMAP:
		return corrupt(fmt::format("s_zmap_blocks {} too small for {} zones",
		                           sb.zmap_blocks, sb.data_zones()));
	case XMINIX_GEOMETRY_MAX_SIZE:
		return corrupt(fmt::format("s_max_size {} beyond the V1 block map", sb.max_size));
	case XMINIX_GEOMETRY_INODE_TABLE:
		return corrupt(fmt::format(
		        "inode table (blocks {}..{}) overlaps the first data zone {}",
		        sb.inode_table_block(), sb.norm_first_zone() - 1, sb.first_data_zone));
	case XMINIX_GEOMETRY_DEVICE:
		return corrupt(fmt::format("{} zones of {} bytes exceed the device ({} bytes)",
		                           sb.nzones, sb.block_size, device_bytes));
	}
	return corrupt("unknown geometry fault");
}

Result<Superblock> read_superblock(BlockDevice &dev)
{
	std::vector<uint8_t> buf(kSuperSize);
	if (dev.size() < kSuperOffset + kSuperSize)
		return Error(EINVAL, "superblock", "device too small for a minix filesystem");
	if (Status st = dev.read(kSuperOffset, buf); !st)
		return st.error();
	Result<Superblock> sb = decode_superblock(buf);
	if (!sb)
		return sb;
	if (Status st = check_superblock(*sb, dev.size()); !st)
		return st.error();
	return sb;
}

std::vector<Region> layout_of(const Superblock &sb)
{
	std::vector<Region> out;
	uint64_t bs = sb.block_size;
	if (bs == 1024) {
		out.push_back({"boot block", 0, 1});
		out.push_back({"superblock", 1, 1});
	} else {
		out.push_back({"boot block + superblock", 0, 1});
		out.push_back({"unused", 1, 1});
	}
	out.push_back({"inode bitmap", 2, sb.imap_blocks});
	out.push_back({"zone bitmap", 2u + sb.imap_blocks, sb.zmap_blocks});
	out.push_back({"inode table", sb.inode_table_block(), sb.inode_table_blocks()});
	if (sb.norm_first_zone() < sb.first_data_zone)
		out.push_back({"gap", sb.norm_first_zone(),
		               uint64_t{sb.first_data_zone} - sb.norm_first_zone()});
	out.push_back({"data zones", sb.first_data_zone, sb.data_zones()});
	return out;
}

} // namespace xloop::minix
