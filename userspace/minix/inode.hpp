// Inodes in one in-memory form for every version: V1's single timestamp,
// 8-bit gid and link count and 16-bit zone pointers widen on decode and
// narrow on encode exactly as Linux writes them.
#pragma once

#include <sys/stat.h>

#include <array>
#include <cstdint>

#include "minix/superblock.hpp"

namespace xloop::minix
{

struct Inode {
	uint16_t mode = 0;
	uint16_t nlinks = 0;
	uint16_t uid = 0;
	uint16_t gid = 0;
	uint32_t size = 0;
	uint32_t atime = 0;
	uint32_t mtime = 0;
	uint32_t ctime = 0;
	std::array<uint32_t, 10> zone{};

	bool is_dir() const { return S_ISDIR(mode); }
	bool is_reg() const { return S_ISREG(mode); }
	bool is_symlink() const { return S_ISLNK(mode); }
	bool is_device() const { return S_ISCHR(mode) || S_ISBLK(mode); }
	// Files whose zones hold data (the others keep a device number or nothing).
	bool has_data() const { return is_dir() || is_reg() || is_symlink(); }
};

// The file types Linux accepts on a minix inode.
bool valid_file_type(uint16_t mode);

unsigned zone_slots(Version version);

Inode decode_inode(Version version, const uint8_t *raw);
void encode_inode(Version version, const Inode &inode, uint8_t *raw);

// Device numbers live in zone[0] in the old 8:8 encoding.
inline uint32_t encode_old_dev(uint32_t major, uint32_t minor)
{
	return (major << 8) | minor;
}

// The format's uid/gid rules: ids beyond 16 bits become 65534 (the kernel's
// overflow id), and V1 keeps only the low 8 bits of the gid.
uint16_t low_uid(uint64_t id);
uint16_t low_gid(Version version, uint64_t id);
// Times are unsigned 32-bit seconds: clamp to 0 .. 2^32-1.
uint32_t clamp_time(int64_t seconds);

} // namespace xloop::minix
