// The superblock: which version an image is, its geometry, and the checks
// that decide whether an image may be opened at all.
#pragma once

#include <cerrno>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace xloop::minix
{

// Userspace has no EFSCORRUPTED; the kernel defines it as EUCLEAN.
constexpr int kCorrupted = EUCLEAN;

enum class Version : uint8_t { v1 = 1, v2 = 2, v3 = 3 };

constexpr uint32_t kSuperOffset = 1024;
constexpr uint32_t kSuperSize = 1024;
constexpr uint32_t kRootIno = 1;
// mkfs.minix keeps bad zones (-c, -l) as the data of inode 2, "/.badblocks".
constexpr uint32_t kBadIno = 2;

// A decoded superblock.  Fields that neither Linux nor util-linux read are
// kept so that an untouched superblock re-encodes byte for byte.
struct Superblock {
	Version version = Version::v1;
	uint16_t magic = 0;
	uint32_t ninodes = 0;
	uint32_t nzones = 0; // V1 s_nzones, V2/V3 s_zones
	uint16_t imap_blocks = 0;
	uint16_t zmap_blocks = 0;
	uint16_t first_data_zone = 0;
	uint16_t log_zone_size = 0;
	uint32_t max_size = 0;
	uint16_t state = 0;         // V1/V2 only
	uint32_t block_size = 1024; // V3 s_blocksize; 1024 for V1/V2
	uint16_t v2_nzones16 = 0;   // V2: the unused 16-bit s_nzones
	uint16_t v3_pad0 = 0, v3_pad1 = 0, v3_pad2 = 0;
	uint8_t v3_disk_version = 0;

	unsigned name_len() const;
	unsigned dirent_size() const;
	unsigned ino_width() const { return version == Version::v3 ? 4 : 2; }
	unsigned inode_size() const { return version == Version::v1 ? 32 : 64; }
	unsigned inodes_per_block() const { return block_size / inode_size(); }
	uint32_t bits_per_block() const { return block_size * 8; }
	uint32_t inode_table_block() const { return 2u + imap_blocks + zmap_blocks; }
	uint32_t inode_table_blocks() const;
	// Where the data zones start if the inode table is where it belongs.
	uint32_t norm_first_zone() const { return inode_table_block() + inode_table_blocks(); }
	uint32_t data_zones() const
	{
		return nzones > first_data_zone ? nzones - first_data_zone : 0;
	}
	uint32_t link_max() const { return version == Version::v1 ? 250 : 65530; }
	bool has_state() const { return version != Version::v3; }
	bool is_clean() const { return !has_state() || ((state & 1) && !(state & 2)); }
};

constexpr uint16_t kStateValid = 0x0001;
constexpr uint16_t kStateError = 0x0002;

uint16_t magic_for(Version version, unsigned name_len);

// Version detection by magic, in the kernel's order (offset 16 first, then
// the V3 magic at offset 24).  Only the magic is judged here.
Result<Superblock> decode_superblock(std::span<const uint8_t> bytes);
// Writes the fields into a 1024-byte superblock buffer (other bytes kept).
void encode_superblock(const Superblock &sb, std::span<uint8_t> bytes);

// Everything Linux 6.1's minix_check_superblock rejects, plus what it lacks:
// a block size it can use, bitmaps large enough for ninodes + 1 bits, the
// inode table ending at or before the first data zone, and a device large
// enough for s_zones.  device_bytes 0 skips the size check.
Status check_superblock(const Superblock &sb, uint64_t device_bytes);

// Reads and checks the superblock of a device image.
class BlockDevice;
Result<Superblock> read_superblock(BlockDevice &dev);

// One region of the on-disk layout, for `xloop inspect`.
struct Region {
	std::string name;
	uint64_t first_block;
	uint64_t blocks;
};
std::vector<Region> layout_of(const Superblock &sb);

const char *version_name(Version version);

} // namespace xloop::minix
