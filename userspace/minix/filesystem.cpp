#include "minix/filesystem.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace xloop::minix
{

namespace
{

// Large copies flush once the cache holds this much.
constexpr uint64_t kCacheLimit = 64ull << 20;
// Linux's PATH_MAX, with the terminating NUL.
constexpr size_t kPathMax = 4096;

std::string ino_ctx(uint32_t ino)
{
	return fmt::format("inode {}", ino);
}

} // namespace

Filesystem::Filesystem(BlockDevice &dev, const Superblock &sb, OpenOptions opts)
    : dev_(dev), sb_(sb), opts_(std::move(opts)), state_at_open_(sb.state),
      cache_(dev, sb.block_size), imap_(cache_, 2, sb.imap_blocks),
      zmap_(cache_, 2u + sb.imap_blocks, sb.zmap_blocks)
{
	map_ = make_block_map(sb_, cache_, *this);
}

Result<std::unique_ptr<Filesystem>> Filesystem::open(BlockDevice &dev, OpenOptions opts)
{
	Result<Superblock> sb = read_superblock(dev);
	if (!sb)
		return sb.error();
	if (!opts.clock)
		opts.clock = [] { return int64_t{0}; };
	std::unique_ptr<Filesystem> fs(new Filesystem(dev, *sb, std::move(opts)));
	Result<Inode> root = fs->read_inode(kRootIno);
	if (!root)
		return root.error();
	if (!root->is_dir())
		return Error(kCorrupted, "root inode", "not a directory");
	if (root->nlinks == 0)
		return Error(kCorrupted, "root inode", "not in use (no links)");
	// Bit 0 of both maps is reserved; Linux sets it in memory at mount.
	for (Bitmap *map : {&fs->imap_, &fs->zmap_}) {
		uint32_t first = map == &fs->imap_ ? 2 : 2u + sb->imap_blocks;
		Result<uint8_t *> block = fs->cache_.get(first);
		if (!block)
			return block.error();
		**block |= 1;
	}
	// Opening writes nothing: the image is marked not clean (as a read-write
	// mount marks it) only before the first block is written.
	if (fs->opts_.writable && fs->sb_.has_state())
		fs->cache_.on_first_write([raw = fs.get()] {
			return raw->write_state(
			        static_cast<uint16_t>(raw->state_at_open_ & ~kStateValid));
		});
	return fs;
}

Status Filesystem::write_state(uint16_t state)
{
	sb_.state = state;
	std::vector<uint8_t> super(kSuperSize);
	if (Status st = dev_.read(kSuperOffset, super); !st)
		return st;
	encode_superblock(sb_, super);
	return dev_.write(kSuperOffset, super);
}

uint32_t Filesystem::now() const
{
	return clamp_time(opts_.clock());
}

Status Filesystem::need_writable() const
{
	if (!opts_.writable)
		return Error(EROFS, "filesystem");
	return {};
}

uint64_t Filesystem::max_file_size() const
{
	return std::min<uint64_t>(sb_.max_size, map_->capacity() * sb_.block_size);
}

// Zones -------------------------------------------------------------------

Result<uint32_t> Filesystem::alloc_zone()
{
	Result<std::optional<uint64_t>> bit = zmap_.first_clear();
	if (!bit)
		return bit.error();
	if (!*bit)
		return Error(ENOSPC, "zone bitmap");
	// Like Linux, the bit is taken before its zone is range-checked, so a
	// clear padding bit ends allocation with ENOSPC.
	if (Result<bool> old = zmap_.assign(**bit, true); !old)
		return old.error();
	uint64_t zone = **bit + sb_.first_data_zone - 1;
	if (zone < sb_.first_data_zone || zone >= sb_.nzones)
		return Error(ENOSPC, "zone bitmap");
	return static_cast<uint32_t>(zone);
}

Status Filesystem::free_zone(uint32_t zone)
{
	if (zone < sb_.first_data_zone || zone >= sb_.nzones)
		return Error(kCorrupted, fmt::format("zone {}", zone),
		             "freeing a zone outside the data zones");
	Result<bool> old = zmap_.assign(uint64_t{zone} - sb_.first_data_zone + 1, false);
	if (!old)
		return old.error();
	return {};
}

Result<bool> Filesystem::zone_in_use(uint32_t zone)
{
	if (zone < sb_.first_data_zone || zone >= sb_.nzones)
		return false;
	return zmap_.test(uint64_t{zone} - sb_.first_data_zone + 1);
}

// Inodes ------------------------------------------------------------------

Result<Inode> Filesystem::read_inode(uint32_t ino)
{
	if (ino == 0 || ino > sb_.ninodes)
		return Error(kCorrupted, ino_ctx(ino),
		             fmt::format("inode number out of range 1..{}", sb_.ninodes));
	uint32_t index = ino - 1;
	Result<uint8_t *> block =
	        cache_.get(sb_.inode_table_block() + index / sb_.inodes_per_block());
	if (!block)
		return block.error();
	return decode_inode(sb_.version,
	                    *block + (index % sb_.inodes_per_block()) * sb_.inode_size());
}

Status Filesystem::write_inode(uint32_t ino, const Inode &inode)
{
	if (ino == 0 || ino > sb_.ninodes)
		return Error(kCorrupted, ino_ctx(ino), "inode number out of range");
	uint32_t index = ino - 1;
	uint32_t block_nr = sb_.inode_table_block() + index / sb_.inodes_per_block();
	Result<uint8_t *> block = cache_.get(block_nr);
	if (!block)
		return block.error();
	encode_inode(sb_.version, inode,
	             *block + (index % sb_.inodes_per_block()) * sb_.inode_size());
	cache_.mark_dirty(block_nr);
	return {};
}

Result<Inode> Filesystem::live_inode(uint32_t ino)
{
	Result<Inode> inode = read_inode(ino);
	if (!inode)
		return inode;
	if (inode->nlinks == 0)
		return Error(ESTALE, ino_ctx(ino), "deleted inode referenced");
	if (!valid_file_type(inode->mode))
		return Error(kCorrupted, ino_ctx(ino),
		             fmt::format("invalid mode {:o}", inode->mode));
	return inode;
}

Result<Inode> Filesystem::dir_inode(uint32_t ino)
{
	Result<Inode> inode = live_inode(ino);
	if (inode && !inode->is_dir())
		return Error(ENOTDIR, ino_ctx(ino));
	if (inode &&
	    (uint64_t{inode->size} + sb_.block_size - 1) / sb_.block_size > sb_.data_zones())
		return Error(kCorrupted, ino_ctx(ino),
		             fmt::format("directory size {} exceeds the filesystem", inode->size));
	if (inode && inode->size % sb_.dirent_size())
		return Error(kCorrupted, ino_ctx(ino),
		             fmt::format("directory size {} is not a multiple of {}", inode->size,
		                         sb_.dirent_size()));
	return inode;
}

Result<uint32_t> Filesystem::new_inode(const Inode &dir, uint16_t mode)
{
	Result<std::optional<uint64_t>> bit = imap_.first_clear();
	if (!bit)
		return bit.error();
	if (!*bit)
		return Error(ENOSPC, "inode bitmap");
	if (Result<bool> old = imap_.assign(**bit, true); !old)
		return old.error();
	if (**bit == 0 || **bit > sb_.ninodes)
		return Error(ENOSPC, "inode bitmap");
	uint32_t ino = static_cast<uint32_t>(**bit);
	Inode inode;
	inode.mode = mode;
	inode.nlinks = 1;
	inode.uid = low_uid(opts_.uid);
	inode.gid = low_gid(sb_.version, opts_.gid);
	if (dir.mode & S_ISGID) {
		// A set-group-ID directory passes on its group (and, to
		// subdirectories, the bit itself).
		inode.gid = dir.gid;
		if (S_ISDIR(mode))
			inode.mode = static_cast<uint16_t>(inode.mode | S_ISGID);
	}
	inode.atime = inode.mtime = inode.ctime = now();
	if (Status st = write_inode(ino, inode); !st)
		return st.error();
	return ino;
}

// Frees an inode whose last link is gone: its zones, then the inode itself
// (on disk only mode and link count are cleared, as Linux does).
Status Filesystem::release_inode(uint32_t ino, Inode &inode)
{
	Inode on_disk = inode;
	if (inode.has_data())
		if (Status st = map_->truncate(ino, inode, 0); !st)
			return st;
	on_disk.mode = 0;
	on_disk.nlinks = 0;
	if (Status st = write_inode(ino, on_disk); !st)
		return st;
	Result<bool> old = imap_.assign(ino, false);
	if (!old)
		return old.error();
	return {};
}

// Directories -------------------------------------------------------------

Status Filesystem::scan_dir(uint32_t ino, const Inode &dir, const EntryVisitor &visit)
{
	const uint32_t bs = sb_.block_size, ds = sb_.dirent_size();
	const uint64_t entries = dir.size / ds;
	std::vector<uint8_t> hole(bs, 0);
	for (uint64_t block = 0; block * bs < uint64_t{entries} * ds; block++) {
		Result<uint32_t> zone = map_->lookup(ino, dir, block);
		if (!zone)
			return zone.error();
		uint8_t *data = hole.data();
		if (*zone) {
			Result<uint8_t *> b = cache_.get(*zone);
			if (!b)
				return b.error();
			data = *b;
		}
		for (uint32_t off = 0; off < bs; off += ds) {
			uint64_t pos = block * bs + off;
			if (pos + ds > uint64_t{entries} * ds)
				return {};
			Result<bool> stop = visit(pos, data + off, *zone);
			if (!stop)
				return stop.error();
			if (*stop)
				return {};
		}
	}
	return {};
}

Result<std::optional<DirEntry>> Filesystem::find_entry(uint32_t ino, const Inode &dir,
                                                       std::string_view name)
{
	// Linux's lookup refuses the name before it reads the directory.
	if (Status st = check_name_lookup(name); !st)
		return st.error();
	std::optional<DirEntry> found;
	Status st = scan_dir(ino, dir, [&](uint64_t pos, uint8_t *entry, uint32_t) -> Result<bool> {
		uint32_t n = entry_ino(sb_, entry);
		if (n && entry_name(sb_, entry) == name) {
			found = DirEntry{n, std::string(name), pos};
			return true;
		}
		return false;
	});
	if (!st)
		return st.error();
	return found;
}

Status Filesystem::check_name_lookup(std::string_view name) const
{
	if (name.size() > sb_.name_len())
		return Error(ENAMETOOLONG, std::string(name));
	return {};
}

// The VFS's checks of a name to create: valid, and not taken (EEXIST).
Status Filesystem::check_name_free(uint32_t dir, const Inode &d, std::string_view name)
{
	if (Status st = check_new_name(sb_, name); !st)
		return st;
	Result<std::optional<DirEntry>> existing = find_entry(dir, d, name);
	if (!existing)
		return existing.error();
	if (*existing)
		return Error(EEXIST, std::string(name));
	return {};
}

Result<uint32_t> Filesystem::lookup(uint32_t dir, std::string_view name)
{
	Result<Inode> d = dir_inode(dir);
	if (!d)
		return d.error();
	if (Status st = check_name_lookup(name); !st)
		return st.error();
	Result<std::optional<DirEntry>> e = find_entry(dir, *d, name);
	if (!e)
		return e.error();
	if (!*e)
		return Error(ENOENT, std::string(name));
	if ((*e)->ino > sb_.ninodes)
		return Error(kCorrupted, std::string(name),
		             fmt::format("bad inode number {}", (*e)->ino));
	return (*e)->ino;
}

Result<uint32_t> Filesystem::resolve(std::string_view path)
{
	uint32_t ino = kRootIno;
	for (const PathPart &part : path_parts(path)) {
		Result<uint32_t> next = lookup(ino, part.name);
		if (!next) // name the path up to the component that failed
			return Error(next.error().code(), std::string(part.through),
			             next.error().detail());
		ino = *next;
	}
	return ino;
}

Result<std::vector<DirEntry>> Filesystem::readdir(uint32_t dir)
{
	Result<Inode> d = dir_inode(dir);
	if (!d)
		return d.error();
	std::vector<DirEntry> out;
	Status st = scan_dir(dir, *d, [&](uint64_t pos, uint8_t *entry, uint32_t) -> Result<bool> {
		if (uint32_t n = entry_ino(sb_, entry))
			out.push_back(DirEntry{n, std::string(entry_name(sb_, entry)), pos});
		return false;
	});
	if (!st)
		return st.error();
	return out;
}

Status Filesystem::set_entry_at(uint32_t dir_ino, uint64_t offset, uint32_t ino)
{
	Result<Inode> dir = read_inode(dir_ino);
	if (!dir)
		return dir.error();
	Result<Mapping> m = map_->map(dir_ino, *dir, offset / sb_.block_size);
	if (!m)
		return m.error();
	Result<uint8_t *> block = m->fresh ? cache_.get_zeroed(m->zone) : cache_.get(m->zone);
	if (!block)
		return block.error();
	set_entry_ino(sb_, *block + offset % sb_.block_size, ino);
	cache_.mark_dirty(m->zone);
	dir->mtime = dir->ctime = now();
	return write_inode(dir_ino, *dir);
}

// Linux's minix_add_link: the first free slot below i_size, else a new
// entry at i_size; the directory's mtime and ctime become now.
Status Filesystem::add_link(uint32_t dir_ino, std::string_view name, uint32_t ino)
{
	Result<Inode> dir = dir_inode(dir_ino);
	if (!dir)
		return dir.error();
	std::optional<uint64_t> slot;
	Status st = scan_dir(dir_ino, *dir,
	                     [&](uint64_t pos, uint8_t *entry, uint32_t) -> Result<bool> {
		                     if (!entry_ino(sb_, entry)) {
			                     slot = pos;
			                     return true;
		                     }
		                     if (entry_name(sb_, entry) == name)
			                     return Error(EEXIST, std::string(name));
		                     return false;
	                     });
	if (!st)
		return st;
	uint64_t pos = slot ? *slot : dir->size;
	if (pos + sb_.dirent_size() > max_file_size())
		return Error(EFBIG, ino_ctx(dir_ino), "directory at its maximum size");
	Result<Mapping> m = map_->map(dir_ino, *dir, pos / sb_.block_size);
	if (!m)
		return m.error();
	Result<uint8_t *> block = m->fresh ? cache_.get_zeroed(m->zone) : cache_.get(m->zone);
	if (!block)
		return block.error();
	set_entry(sb_, *block + pos % sb_.block_size, ino, name);
	cache_.mark_dirty(m->zone);
	if (pos + sb_.dirent_size() > dir->size)
		dir->size = static_cast<uint32_t>(pos + sb_.dirent_size());
	dir->mtime = dir->ctime = now();
	return write_inode(dir_ino, *dir);
}

Result<bool> Filesystem::dir_is_empty(uint32_t ino, const Inode &dir)
{
	bool empty = true;
	Status st = scan_dir(ino, dir, [&](uint64_t, uint8_t *entry, uint32_t) -> Result<bool> {
		uint32_t n = entry_ino(sb_, entry);
		if (!n)
			return false;
		std::string_view name = entry_name(sb_, entry);
		if ((name == "." && n == ino) || name == "..")
			return false;
		empty = false;
		return true;
	});
	if (!st)
		return st.error();
	return empty;
}

Status Filesystem::make_empty(uint32_t ino, Inode &inode, uint32_t parent)
{
	Result<Mapping> m = map_->map(ino, inode, 0);
	if (!m)
		return m.error();
	Result<uint8_t *> block = cache_.get_zeroed(m->zone);
	if (!block)
		return block.error();
	set_entry(sb_, *block, ino, ".");
	set_entry(sb_, *block + sb_.dirent_size(), parent, "..");
	inode.size = 2 * sb_.dirent_size();
	return write_inode(ino, inode);
}

// Namespace operations -----------------------------------------------------

Result<uint32_t> Filesystem::create_node(uint32_t dir, std::string_view name, uint16_t mode,
                                         uint32_t rdev, const Status &fs_check)
{
	if (Status st = need_writable(); !st)
		return st.error();
	Result<Inode> d = dir_inode(dir);
	if (!d)
		return d.error();
	if (Status st = check_name_free(dir, *d, name); !st)
		return st.error();
	if (!fs_check)
		return fs_check.error();
	Result<uint32_t> ino = new_inode(*d, mode);
	if (!ino)
		return ino;
	if (rdev) {
		Result<Inode> inode = read_inode(*ino);
		if (!inode)
			return inode.error();
		inode->zone[0] = rdev;
		if (Status st = write_inode(*ino, *inode); !st)
			return st.error();
	}
	if (Status st = add_link(dir, name, *ino); !st) {
		Result<Inode> inode = read_inode(*ino);
		if (inode)
			(void)release_inode(*ino, *inode);
		return st.error();
	}
	return ino;
}

Result<uint32_t> Filesystem::create(uint32_t dir, std::string_view name, uint16_t mode)
{
	return mknod(dir, name, static_cast<uint16_t>((mode & 07777) | S_IFREG), 0, 0);
}

Result<uint32_t> Filesystem::mknod(uint32_t dir, std::string_view name, uint16_t mode,
                                   uint32_t major, uint32_t minor)
{
	uint16_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	// may_mknod(): a directory is EPERM (mkdir's job), other types EINVAL.
	if (type == S_IFDIR)
		return Error(EPERM, std::string(name), "mknod cannot make a directory");
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
	    type != S_IFSOCK)
		return Error(EINVAL, std::string(name),
		             "mknod makes regular files, devices, FIFOs and sockets");
	bool device = type == S_IFCHR || type == S_IFBLK;
	// Linux's minix_mknod refuses the number once the VFS found the name free.
	Status fits;
	if (device && (major > 255 || minor > 255))
		fits = Error(EINVAL, std::string(name),
		             "device numbers above 255 do not fit the format");
	return create_node(dir, name, static_cast<uint16_t>(type | (mode & 07777)),
	                   device ? encode_old_dev(major, minor) : 0, fits);
}

Result<uint32_t> Filesystem::mkdir(uint32_t dir, std::string_view name, uint16_t mode)
{
	if (Status st = need_writable(); !st)
		return st.error();
	Result<Inode> d = dir_inode(dir);
	if (!d)
		return d.error();
	if (Status st = check_name_free(dir, *d, name); !st)
		return st.error();
	if (d->nlinks >= sb_.link_max())
		return Error(EMLINK, ino_ctx(dir));
	// Linux's order: parent link count, new inode, its first block, then
	// the entry in the parent.
	d->nlinks++;
	if (Status st = write_inode(dir, *d); !st)
		return st.error();
	// mkdir(2) takes the permission and sticky bits only: set-group-ID
	// comes from the parent (new_inode()), set-user-ID never.
	Result<uint32_t> ino = new_inode(*d, static_cast<uint16_t>(S_IFDIR | (mode & 01777)));
	if (!ino) {
		d->nlinks--;
		(void)write_inode(dir, *d);
		return ino;
	}
	Result<Inode> inode = read_inode(*ino);
	if (!inode)
		return inode.error();
	inode->nlinks = 2;
	Status st = make_empty(*ino, *inode, dir);
	if (st)
		st = add_link(dir, name, *ino);
	if (!st) {
		inode->nlinks = 0;
		(void)release_inode(*ino, *inode);
		if (Result<Inode> parent = read_inode(dir); parent) {
			parent->nlinks--;
			(void)write_inode(dir, *parent);
		}
		return st.error();
	}
	return ino;
}

Result<uint32_t> Filesystem::symlink(uint32_t dir, std::string_view name, std::string_view target)
{
	if (Status st = need_writable(); !st)
		return st.error();
	// The VFS takes the target as a path (empty: ENOENT; PATH_MAX: too
	// long), then looks the name up; the block limit is minix_symlink's.
	if (target.empty())
		return Error(ENOENT, std::string(name), "empty symlink target");
	if (target.size() >= kPathMax)
		return Error(ENAMETOOLONG, std::string(name),
		             "symlink target longer than PATH_MAX");
	Result<Inode> d = dir_inode(dir);
	if (!d)
		return d.error();
	if (Status st = check_name_free(dir, *d, name); !st)
		return st.error();
	if (target.size() + 1 > sb_.block_size)
		return Error(ENAMETOOLONG, std::string(name), "symlink target longer than a block");
	Result<uint32_t> ino = new_inode(*d, S_IFLNK | 0777);
	if (!ino)
		return ino;
	Result<Inode> inode = read_inode(*ino);
	if (!inode)
		return inode.error();
	auto bytes = std::span(reinterpret_cast<const uint8_t *>(target.data()), target.size());
	Result<size_t> n = write_data(*ino, *inode, 0, bytes);
	Status st = n ? write_inode(*ino, *inode) : Status(n.error());
	if (st)
		st = add_link(dir, name, *ino);
	if (!st) {
		(void)release_inode(*ino, *inode);
		return st.error();
	}
	return ino;
}

Status Filesystem::link(uint32_t ino, uint32_t dir, std::string_view name)
{
	if (Status st = need_writable(); !st)
		return st;
	Result<Inode> d = dir_inode(dir);
	if (!d)
		return d.error();
	// The VFS's order: the new name first (EEXIST), then vfs_link()'s checks.
	if (Status st = check_name_free(dir, *d, name); !st)
		return st;
	Result<Inode> inode = live_inode(ino);
	if (!inode)
		return inode.error();
	if (inode->is_dir())
		return Error(EPERM, ino_ctx(ino), "hard links to directories are not allowed");
	if (inode->nlinks >= sb_.link_max())
		return Error(EMLINK, ino_ctx(ino));
	inode->ctime = now();
	inode->nlinks++;
	if (Status st = write_inode(ino, *inode); !st)
		return st;
	if (Status st = add_link(dir, name, ino); !st) {
		inode->nlinks--;
		(void)write_inode(ino, *inode);
		return st;
	}
	return {};
}

Status Filesystem::unlink(uint32_t dir, std::string_view name)
{
	if (Status st = need_writable(); !st)
		return st;
	if (name == "." || name == "..")
		return Error(EISDIR, std::string(name));
	Result<Inode> d = dir_inode(dir);
	if (!d)
		return d.error();
	Result<std::optional<DirEntry>> e = find_entry(dir, *d, name);
	if (!e)
		return e.error();
	if (!*e)
		return Error(ENOENT, std::string(name));
	Result<Inode> inode = live_inode((*e)->ino);
	if (!inode)
		return inode.error();
	if (inode->is_dir())
		return Error(EISDIR, std::string(name));
	if (Status st = set_entry_at(dir, (*e)->offset, 0); !st)
		return st;
	inode->ctime = now();
	inode->nlinks--;
	if (inode->nlinks == 0)
		return release_inode((*e)->ino, *inode);
	return write_inode((*e)->ino, *inode);
}

Status Filesystem::rmdir(uint32_t dir, std::string_view name)
{
	if (Status st = need_writable(); !st)
		return st;
	if (name == ".")
		return Error(EINVAL, std::string(name));
	if (name == "..")
		return Error(ENOTEMPTY, std::string(name));
	Result<Inode> d = dir_inode(dir);
	if (!d)
		return d.error();
	Result<std::optional<DirEntry>> e = find_entry(dir, *d, name);
	if (!e)
		return e.error();
	if (!*e)
		return Error(ENOENT, std::string(name));
	uint32_t ino = (*e)->ino;
	Result<Inode> inode = dir_inode(ino);
	if (!inode)
		return inode.error();
	if (ino == kRootIno)
		return Error(EBUSY, std::string(name));
	Result<bool> empty = dir_is_empty(ino, *inode);
	if (!empty)
		return empty.error();
	if (!*empty)
		return Error(ENOTEMPTY, std::string(name));
	if (d->nlinks < 3 || inode->nlinks < 2)
		return Error(kCorrupted, ino_ctx(ino), "directory link count too low to remove");
	if (Status st = set_entry_at(dir, (*e)->offset, 0); !st)
		return st;
	if (Result<Inode> parent = read_inode(dir); parent) {
		parent->nlinks--;
		if (Status st = write_inode(dir, *parent); !st)
			return st;
	}
	inode->ctime = now();
	inode->nlinks = static_cast<uint16_t>(inode->nlinks - 2);
	if (inode->nlinks == 0)
		return release_inode(ino, *inode);
	return write_inode(ino, *inode);
}

Result<bool> Filesystem::is_ancestor(uint32_t ancestor, uint32_t dir)
{
	// Walk up through ".." from dir; a bounded walk, as a corrupt image may
	// hold a cycle.
	for (uint32_t steps = 0; steps <= sb_.ninodes; steps++) {
		if (dir == ancestor)
			return true;
		if (dir == kRootIno)
			return false;
		Result<uint32_t> up = lookup(dir, "..");
		if (!up)
			return up.error();
		dir = *up;
	}
	return Error(kCorrupted, ino_ctx(dir), "directory cycle through '..'");
}

// Linux's minix_rename with the VFS checks in front of it.
Status Filesystem::rename(uint32_t old_dir, std::string_view old_name, uint32_t new_dir,
                          std::string_view new_name, bool noreplace)
{
	if (Status st = need_writable(); !st)
		return st;
	for (std::string_view n : {old_name, new_name})
		if (n == "." || n == "..")
			return Error(EBUSY, std::string(n));
	Result<Inode> od = dir_inode(old_dir);
	if (!od)
		return od.error();
	Result<Inode> nd = dir_inode(new_dir);
	if (!nd)
		return nd.error();
	// do_renameat2()'s order: the source (it must exist), the target's
	// name, RENAME_NOREPLACE, a directory into its own subtree, a target
	// above the source; then vfs_rename(): two names of one inode, the
	// types, the link limit; then the file system: a non-empty target.
	Result<std::optional<DirEntry>> oe = find_entry(old_dir, *od, old_name);
	if (!oe)
		return oe.error();
	if (!*oe)
		return Error(ENOENT, std::string(old_name));
	uint32_t ino = (*oe)->ino;
	if (Status st = check_new_name(sb_, new_name); !st)
		return st;
	Result<std::optional<DirEntry>> ne = find_entry(new_dir, *nd, new_name);
	if (!ne)
		return ne.error();
	if (*ne && noreplace)
		return Error(EEXIST, std::string(new_name));
	if (old_dir != new_dir) {
		Result<bool> inside = is_ancestor(ino, new_dir);
		if (!inside)
			return inside.error();
		if (*inside)
			return Error(EINVAL, std::string(new_name),
			             "cannot move a directory into itself");
		if (*ne) {
			Result<bool> above = is_ancestor((*ne)->ino, old_dir);
			if (!above)
				return above.error();
			if (*above)
				return Error(ENOTEMPTY, std::string(new_name));
		}
	}
	if (*ne && (*ne)->ino == ino)
		return {};
	Result<Inode> inode = live_inode(ino);
	if (!inode)
		return inode.error();
	const bool is_dir = inode->is_dir();
	std::optional<Inode> target;
	if (*ne) {
		Result<Inode> t = live_inode((*ne)->ino);
		if (!t)
			return t.error();
		if (is_dir && !t->is_dir())
			return Error(ENOTDIR, std::string(new_name));
		if (!is_dir && t->is_dir())
			return Error(EISDIR, std::string(new_name));
		target = *t;
	}
	if (is_dir && !target && new_dir != old_dir && nd->nlinks >= sb_.link_max())
		return Error(EMLINK, ino_ctx(new_dir));
	if (target && target->is_dir()) {
		Result<bool> empty = dir_is_empty((*ne)->ino, *target);
		if (!empty)
			return empty.error();
		if (!*empty)
			return Error(ENOTEMPTY, std::string(new_name));
	}

	if (target) {
		uint32_t tino = (*ne)->ino;
		if (Status st = set_entry_at(new_dir, (*ne)->offset, ino); !st)
			return st;
		Result<Inode> t = read_inode(tino);
		if (!t)
			return t.error();
		t->ctime = now();
		unsigned drop = is_dir ? 2 : 1;
		t->nlinks = static_cast<uint16_t>(t->nlinks > drop ? t->nlinks - drop : 0);
		if (t->nlinks == 0) {
			if (Status st = release_inode(tino, *t); !st)
				return st;
		} else if (Status st = write_inode(tino, *t); !st) {
			return st;
		}
	} else {
		if (Status st = add_link(new_dir, new_name, ino); !st)
			return st;
		if (is_dir) {
			Result<Inode> n = read_inode(new_dir);
			if (!n)
				return n.error();
			n->nlinks++;
			if (Status st = write_inode(new_dir, *n); !st)
				return st;
		}
	}
	// The old entry may have moved if old and new directory are the same;
	// it has not (entries never move), so its offset still holds.
	if (Status st = set_entry_at(old_dir, (*oe)->offset, 0); !st)
		return st;
	if (is_dir) {
		// ".." is always the second entry.
		if (Status st = set_entry_at(ino, sb_.dirent_size(), new_dir); !st)
			return st;
		Result<Inode> o = read_inode(old_dir);
		if (!o)
			return o.error();
		o->nlinks--;
		if (Status st = write_inode(old_dir, *o); !st)
			return st;
	}
	return {};
}

// Data --------------------------------------------------------------------

Result<size_t> Filesystem::read(uint32_t ino, uint64_t offset, std::span<uint8_t> out)
{
	Result<Inode> inode = live_inode(ino);
	if (!inode)
		return inode.error();
	if (inode->is_dir())
		return Error(EISDIR, ino_ctx(ino));
	if (!inode->has_data())
		return Error(EINVAL, ino_ctx(ino), "not a regular file or symlink");
	if (offset >= inode->size)
		return size_t{0};
	size_t len = static_cast<size_t>(std::min<uint64_t>(out.size(), inode->size - offset));
	const uint32_t bs = sb_.block_size;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = offset + done;
		uint32_t in_block = static_cast<uint32_t>(pos % bs);
		size_t chunk = std::min<size_t>(len - done, bs - in_block);
		Result<uint32_t> zone = map_->lookup(ino, *inode, pos / bs);
		if (!zone)
			return zone.error();
		if (!*zone) {
			std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(done), chunk, 0);
		} else {
			Result<uint8_t *> block = cache_.get(*zone);
			if (!block)
				return block.error();
			std::copy_n(*block + in_block, chunk,
			            out.begin() + static_cast<std::ptrdiff_t>(done));
		}
		done += chunk;
	}
	if (Status st = cache_.flush_if_large(kCacheLimit); !st)
		return st.error();
	return done;
}

Result<std::string> Filesystem::readlink(uint32_t ino)
{
	Result<Inode> inode = live_inode(ino);
	if (!inode)
		return inode.error();
	if (!inode->is_symlink())
		return Error(EINVAL, ino_ctx(ino), "not a symbolic link");
	if (inode->size >= sb_.block_size)
		return Error(kCorrupted, ino_ctx(ino),
		             fmt::format("symlink size {} too large", inode->size));
	std::string target(inode->size, '\0');
	Result<size_t> n =
	        read(ino, 0, std::span(reinterpret_cast<uint8_t *>(target.data()), target.size()));
	if (!n)
		return n.error();
	return target;
}

Result<size_t> Filesystem::write_data(uint32_t ino, Inode &inode, uint64_t offset,
                                      std::span<const uint8_t> in)
{
	uint64_t limit = max_file_size();
	if (offset >= limit && !in.empty())
		return Error(EFBIG, ino_ctx(ino), "write beyond the maximum file size");
	size_t len = static_cast<size_t>(std::min<uint64_t>(in.size(), limit - offset));
	const uint32_t bs = sb_.block_size;
	size_t done = 0;
	Status failed;
	while (done < len) {
		uint64_t pos = offset + done;
		uint32_t in_block = static_cast<uint32_t>(pos % bs);
		size_t chunk = std::min<size_t>(len - done, bs - in_block);
		Result<Mapping> m = map_->map(ino, inode, pos / bs);
		if (!m) {
			failed = m.error();
			break;
		}
		Result<uint8_t *> block =
		        m->fresh || chunk == bs ? cache_.get_zeroed(m->zone) : cache_.get(m->zone);
		if (!block) {
			failed = block.error();
			break;
		}
		if (m->fresh)
			inode.ctime = now();
		std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(done), chunk,
		            *block + in_block);
		cache_.mark_dirty(m->zone);
		done += chunk;
		if (pos + chunk > inode.size)
			inode.size = static_cast<uint32_t>(pos + chunk);
	}
	// What was written stays written, as with a short write(2).
	if (done == 0 && !failed)
		return failed.error();
	return done;
}

Result<size_t> Filesystem::write(uint32_t ino, uint64_t offset, std::span<const uint8_t> in)
{
	if (Status st = need_writable(); !st)
		return st.error();
	Result<Inode> inode = live_inode(ino);
	if (!inode)
		return inode.error();
	if (inode->is_dir())
		return Error(EISDIR, ino_ctx(ino));
	if (!inode->is_reg())
		return Error(EINVAL, ino_ctx(ino), "not a regular file");
	if (in.empty())
		return size_t{0};
	inode->mtime = inode->ctime = now();
	Result<size_t> n = write_data(ino, *inode, offset, in);
	if (Status st = write_inode(ino, *inode); !st)
		return st.error();
	if (Status st = cache_.flush_if_large(kCacheLimit); !st)
		return st.error();
	return n;
}

Status Filesystem::truncate_data(uint32_t ino, Inode &inode, uint64_t size)
{
	const uint32_t bs = sb_.block_size;
	if (size < inode.size && size % bs) {
		// Zero the tail of the new last block, so a later grow reads zeros.
		Result<uint32_t> zone = map_->lookup(ino, inode, size / bs);
		if (!zone)
			return zone.error();
		if (*zone) {
			Result<uint8_t *> block = cache_.get(*zone);
			if (!block)
				return block.error();
			std::fill(*block + size % bs, *block + bs, 0);
			cache_.mark_dirty(*zone);
		}
	}
	inode.size = static_cast<uint32_t>(size);
	return map_->truncate(ino, inode, size);
}

Status Filesystem::truncate(uint32_t ino, uint64_t size)
{
	if (Status st = need_writable(); !st)
		return st;
	Result<Inode> inode = live_inode(ino);
	if (!inode)
		return inode.error();
	if (inode->is_dir())
		return Error(EISDIR, ino_ctx(ino));
	if (!inode->is_reg())
		return Error(EINVAL, ino_ctx(ino), "not a regular file");
	if (size > max_file_size())
		return Error(EFBIG, ino_ctx(ino));
	if (size != inode->size)
		if (Status st = truncate_data(ino, *inode, size); !st)
			return st;
	inode->mtime = inode->ctime = now();
	return write_inode(ino, *inode);
}

Status Filesystem::setattr(uint32_t ino, const SetAttr &attr)
{
	if (Status st = need_writable(); !st)
		return st;
	Result<Inode> inode = live_inode(ino);
	if (!inode)
		return inode.error();
	if (attr.mode)
		inode->mode = static_cast<uint16_t>((inode->mode & S_IFMT) | (*attr.mode & 07777));
	// chown(2) of anything but a directory drops set-user-ID, and
	// set-group-ID where the group may execute, even for root (the VFS's
	// chown_common(); a mode given with it is taken as it is).
	if ((attr.uid || attr.gid) && !attr.mode && !inode->is_dir()) {
		uint16_t kill = S_ISUID;
		if (inode->mode & S_IXGRP)
			kill |= S_ISGID;
		inode->mode = static_cast<uint16_t>(inode->mode & ~kill);
	}
	if (attr.uid)
		inode->uid = low_uid(*attr.uid);
	if (attr.gid)
		inode->gid = low_gid(sb_.version, *attr.gid);
	if (attr.atime)
		inode->atime = clamp_time(*attr.atime);
	if (attr.mtime)
		inode->mtime = clamp_time(*attr.mtime);
	inode->ctime = now();
	if (sb_.version == Version::v1)
		inode->atime = inode->ctime = inode->mtime;
	return write_inode(ino, *inode);
}

Result<StatFs> Filesystem::statfs()
{
	StatFs s;
	s.block_size = sb_.block_size;
	s.blocks = sb_.data_zones();
	s.files = sb_.ninodes;
	s.name_len = sb_.name_len();
	s.magic = sb_.magic;
	Result<uint64_t> bfree = zmap_.count_clear_blocks(uint64_t{sb_.data_zones()} + 1);
	if (!bfree)
		return bfree.error();
	Result<uint64_t> ffree = imap_.count_clear_blocks(uint64_t{sb_.ninodes} + 1);
	if (!ffree)
		return ffree.error();
	s.blocks_free = *bfree;
	s.files_free = *ffree;
	return s;
}

Result<Usage> Filesystem::usage()
{
	Usage u;
	for (uint64_t i = 1; i <= sb_.ninodes; i++) {
		Result<bool> used = imap_.test(i);
		if (!used)
			return used.error();
		u.inodes_used += *used;
	}
	for (uint64_t z = 1; z <= sb_.data_zones(); z++) {
		Result<bool> used = zmap_.test(z);
		if (!used)
			return used.error();
		u.zones_used += *used;
	}
	return u;
}

Result<Inode> Filesystem::stat(uint32_t ino)
{
	return live_inode(ino);
}

Status Filesystem::sync()
{
	if (Status st = cache_.flush(); !st)
		return st;
	return dev_.flush();
}

Status Filesystem::unmount()
{
	if (Status st = cache_.flush(); !st)
		return st;
	// The state the image had, back once everything else is written.
	if (cache_.has_written() && sb_.has_state())
		if (Status st = write_state(state_at_open_); !st)
			return st;
	return sync();
}

} // namespace xloop::minix
