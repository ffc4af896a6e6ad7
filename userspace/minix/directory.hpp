// Directory entries: {inode number, NUL-padded name} records of 16, 32 or
// 64 bytes.  A name that fills its field has no terminator; inode 0 marks a
// free slot.  Name rules are the kernel's (at most name_len bytes, no '/').
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "minix/endian.hpp"
#include "minix/superblock.hpp"

namespace xloop::minix
{

struct DirEntry {
	uint32_t ino = 0;
	std::string name;
	uint64_t offset = 0; // byte offset of the entry in the directory
};

inline uint32_t entry_ino(const Superblock &sb, const uint8_t *entry)
{
	return sb.ino_width() == 4 ? get_le32(entry) : get_le16(entry);
}

inline std::string_view entry_name(const Superblock &sb, const uint8_t *entry)
{
	const char *name = reinterpret_cast<const char *>(entry + sb.ino_width());
	return {name, strnlen(name, sb.name_len())};
}

inline void set_entry_ino(const Superblock &sb, uint8_t *entry, uint32_t ino)
{
	if (sb.ino_width() == 4)
		put_le32(entry, ino);
	else
		put_le16(entry, static_cast<uint16_t>(ino));
}

// Writes a whole entry: the number, the name, zero padding.
inline void set_entry(const Superblock &sb, uint8_t *entry, uint32_t ino, std::string_view name)
{
	set_entry_ino(sb, entry, ino);
	uint8_t *field = entry + sb.ino_width();
	std::memset(field, 0, sb.name_len());
	std::memcpy(field, name.data(), name.size());
}

// A name usable for a new entry: ENOENT when empty, ENAMETOOLONG beyond
// name_len, EINVAL with '/' or NUL, EEXIST for "." and "..".
Status check_new_name(const Superblock &sb, std::string_view name);

// A path's components in order, without empty ones and "." ("/a//./b/" is
// a, b), each with the path up to and including it ("/a", "/a//./b").
struct PathPart {
	std::string_view name;
	std::string_view through;
};
std::vector<PathPart> path_parts(std::string_view path);

} // namespace xloop::minix
