#include "minix/inode.hpp"

#include "minix/endian.hpp"

namespace xloop::minix
{

bool valid_file_type(uint16_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode) || S_ISCHR(mode) || S_ISBLK(mode) ||
	       S_ISFIFO(mode) || S_ISSOCK(mode);
}

unsigned zone_slots(Version version)
{
	return version == Version::v1 ? 9 : 10;
}

Inode decode_inode(Version version, const uint8_t *raw)
{
	Inode ino;
	ino.mode = get_le16(raw);
	if (version == Version::v1) {
		ino.uid = get_le16(raw + 2);
		ino.size = get_le32(raw + 4);
		ino.mtime = ino.atime = ino.ctime = get_le32(raw + 8);
		ino.gid = raw[12];
		ino.nlinks = raw[13];
		for (unsigned i = 0; i < 9; i++)
			ino.zone[i] = get_le16(raw + 14 + 2 * i);
		return ino;
	}
	ino.nlinks = get_le16(raw + 2);
	ino.uid = get_le16(raw + 4);
	ino.gid = get_le16(raw + 6);
	ino.size = get_le32(raw + 8);
	ino.atime = get_le32(raw + 12);
	ino.mtime = get_le32(raw + 16);
	ino.ctime = get_le32(raw + 20);
	for (unsigned i = 0; i < 10; i++)
		ino.zone[i] = get_le32(raw + 24 + 4 * i);
	return ino;
}

void encode_inode(Version version, const Inode &ino, uint8_t *raw)
{
	put_le16(raw, ino.mode);
	if (version == Version::v1) {
		put_le16(raw + 2, ino.uid);
		put_le32(raw + 4, ino.size);
		put_le32(raw + 8, ino.mtime);
		raw[12] = static_cast<uint8_t>(ino.gid);
		raw[13] = static_cast<uint8_t>(ino.nlinks);
		for (unsigned i = 0; i < 9; i++)
			put_le16(raw + 14 + 2 * i, static_cast<uint16_t>(ino.zone[i]));
		return;
	}
	put_le16(raw + 2, ino.nlinks);
	put_le16(raw + 4, ino.uid);
	put_le16(raw + 6, ino.gid);
	put_le32(raw + 8, ino.size);
	put_le32(raw + 12, ino.atime);
	put_le32(raw + 16, ino.mtime);
	put_le32(raw + 20, ino.ctime);
	for (unsigned i = 0; i < 10; i++)
		put_le32(raw + 24 + 4 * i, ino.zone[i]);
}

uint16_t low_uid(uint64_t id)
{
	return id > 65535 ? 65534 : static_cast<uint16_t>(id);
}

uint16_t low_gid(Version version, uint64_t id)
{
	uint16_t gid = low_uid(id);
	return version == Version::v1 ? static_cast<uint16_t>(gid & 0xff) : gid;
}

uint32_t clamp_time(int64_t seconds)
{
	if (seconds < 0)
		return 0;
	if (seconds > int64_t{UINT32_MAX})
		return UINT32_MAX;
	return static_cast<uint32_t>(seconds);
}

} // namespace xloop::minix
