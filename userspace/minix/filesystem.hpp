// The Minix filesystem model: every operation a filesystem has, on an image
// behind a BlockDevice, with Linux fs/minix's allocation rules (lowest free
// inode, lowest free zone, first free directory slot else append,
// directories never shrink), so the kernel module can be held to it
// operation by operation.  Corrupt images give kCorrupted errors, never a
// crash.  Changes live in a write-back cache until sync() or unmount().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "minix/bitmap.hpp"
#include "minix/block_cache.hpp"
#include "minix/block_map.hpp"
#include "minix/directory.hpp"
#include "minix/inode.hpp"
#include "minix/superblock.hpp"

namespace xloop::minix
{

struct OpenOptions {
	bool writable = false;
	// Seconds since the epoch for new timestamps; the tool passes the
	// current time, tests a fixed or counting clock.
	std::function<int64_t()> clock;
	// Owner of new inodes (the caller's fsuid/fsgid).
	uint32_t uid = 0;
	uint32_t gid = 0;
};

struct StatFs {
	uint32_t block_size = 0;
	uint64_t blocks = 0; // data zones
	uint64_t blocks_free = 0;
	uint64_t files = 0;
	uint64_t files_free = 0;
	uint32_t name_len = 0;
	uint32_t magic = 0;
};

struct SetAttr {
	std::optional<uint16_t> mode; // permission bits (07777); the type stays
	std::optional<uint64_t> uid;
	std::optional<uint64_t> gid;
	std::optional<int64_t> atime;
	std::optional<int64_t> mtime;
};

// Inodes and data zones in use by the bitmaps (padding bits excluded).
struct Usage {
	uint64_t inodes_used = 0;
	uint64_t zones_used = 0;
};

class Filesystem : private ZoneAllocator
{
public:
	static Result<std::unique_ptr<Filesystem>> open(BlockDevice &dev, OpenOptions opts);
	~Filesystem() override = default;

	const Superblock &superblock() const { return sb_; }
	bool writable() const { return opts_.writable; }
	void set_owner(uint32_t uid, uint32_t gid)
	{
		opts_.uid = uid;
		opts_.gid = gid;
	}

	// Reading.
	Result<Inode> stat(uint32_t ino);
	Result<uint32_t> lookup(uint32_t dir, std::string_view name);
	// A path from the root ("/a/b", "a/b", "/" ); symlinks are not followed.
	Result<uint32_t> resolve(std::string_view path);
	Result<std::vector<DirEntry>> readdir(uint32_t dir);
	Result<size_t> read(uint32_t ino, uint64_t offset, std::span<uint8_t> out);
	Result<std::string> readlink(uint32_t ino);
	Result<StatFs> statfs();
	Result<Usage> usage();

	// Namespace changes.  mode carries the permission bits; create and mknod
	// take the file type in mode too (S_IFREG, S_IFCHR, S_IFIFO...).
	Result<uint32_t> create(uint32_t dir, std::string_view name, uint16_t mode);
	Result<uint32_t> mknod(uint32_t dir, std::string_view name, uint16_t mode, uint32_t major,
	                       uint32_t minor);
	Result<uint32_t> mkdir(uint32_t dir, std::string_view name, uint16_t mode);
	Result<uint32_t> symlink(uint32_t dir, std::string_view name, std::string_view target);
	Status link(uint32_t ino, uint32_t dir, std::string_view name);
	Status unlink(uint32_t dir, std::string_view name);
	Status rmdir(uint32_t dir, std::string_view name);
	Status rename(uint32_t old_dir, std::string_view old_name, uint32_t new_dir,
	              std::string_view new_name, bool noreplace = false);

	// Data and attributes.
	Result<size_t> write(uint32_t ino, uint64_t offset, std::span<const uint8_t> in);
	Status truncate(uint32_t ino, uint64_t size);
	Status setattr(uint32_t ino, const SetAttr &attr);

	// Writes back every dirty block.
	Status sync();
	// Writes back every dirty block and, if anything was written, restores
	// the superblock state the image had when opened (which the first write
	// cleared VALID in, as Linux does while mounted read-write); syncs.
	Status unmount();

	// Largest file size the image allows (s_max_size and the block tree).
	uint64_t max_file_size() const;

private:
	Filesystem(BlockDevice &dev, const Superblock &sb, OpenOptions opts);
	// Writes the superblock with this state field.
	Status write_state(uint16_t state);

	Result<uint32_t> alloc_zone() override;
	Status free_zone(uint32_t zone) override;
	Result<bool> zone_in_use(uint32_t zone) override;

	uint32_t now() const;
	Status need_writable() const;
	Result<Inode> read_inode(uint32_t ino);
	Status write_inode(uint32_t ino, const Inode &inode);
	// An inode a directory entry may name: in range, linked, of a valid type.
	Result<Inode> live_inode(uint32_t ino);
	Result<Inode> dir_inode(uint32_t ino);
	Result<uint32_t> new_inode(const Inode &dir, uint16_t mode);
	Status release_inode(uint32_t ino, Inode &inode);

	// Directory internals.  The visitor gets each entry's offset and bytes
	// and returns true to stop.
	using EntryVisitor =
	        std::function<Result<bool>(uint64_t offset, uint8_t *entry, uint32_t zone)>;
	Status scan_dir(uint32_t ino, const Inode &dir, const EntryVisitor &visit);
	Result<std::optional<DirEntry>> find_entry(uint32_t ino, const Inode &dir,
	                                           std::string_view name);
	Status add_link(uint32_t dir_ino, std::string_view name, uint32_t ino);
	Status set_entry_at(uint32_t dir_ino, uint64_t offset, uint32_t ino);
	Result<bool> dir_is_empty(uint32_t ino, const Inode &dir);
	Status make_empty(uint32_t ino, Inode &inode, uint32_t parent);

	// Data internals: no timestamp or permission handling.
	Result<size_t> write_data(uint32_t ino, Inode &inode, uint64_t offset,
	                          std::span<const uint8_t> in);
	Status truncate_data(uint32_t ino, Inode &inode, uint64_t size);
	Status check_name_lookup(std::string_view name) const;
	Status check_name_free(uint32_t dir, const Inode &d, std::string_view name);
	// fs_check: an error of the file system's own, reported once the VFS's
	// checks passed (the name is free), as Linux orders them.
	Result<uint32_t> create_node(uint32_t dir, std::string_view name, uint16_t mode,
	                             uint32_t rdev, const Status &fs_check = {});
	Result<bool> is_ancestor(uint32_t ancestor, uint32_t dir);

	BlockDevice &dev_;
	Superblock sb_;
	OpenOptions opts_;
	uint16_t state_at_open_;
	BlockCache cache_;
	Bitmap imap_;
	Bitmap zmap_;
	std::unique_ptr<BlockMap> map_;
};

} // namespace xloop::minix
