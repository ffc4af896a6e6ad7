#include "minix/fsck.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "minix/directory.hpp"
#include "minix/endian.hpp"
#include "minix/inode.hpp"
#include "minix/superblock.hpp"

namespace xloop::minix
{

namespace
{

struct Stats {
	uint64_t regular = 0, directories = 0, chardevs = 0, blockdevs = 0, fifos = 0, sockets = 0,
	         links = 0, symlinks = 0;
};

// One directory being walked: the depth-first walk keeps these on an
// explicit stack, so any depth is fine.
struct Frame {
	uint32_t ino;
	uint32_t parent;
	std::string path;
	uint64_t pos = 0;
	uint32_t size = 0;
	std::vector<uint32_t> blocks; // zone of each directory block, 0 if none
	std::set<std::string> names;
	bool loaded = false;
	uint64_t cached_index = UINT64_MAX; // the directory block in `cached`
	std::vector<uint8_t> cached;
};

class Checker
{
public:
	Checker(BlockDevice &dev, const FsckOptions &opts, const Superblock &sb)
	    : dev_(dev), opts_(opts), sb_(sb)
	{
	}

	Result<FsckResult> run();

private:
	void say(const std::string &line)
	{
		if (opts_.print)
			opts_.print(line);
	}

	// Reports a problem; returns true when it is to be fixed.  -r asks
	// `question` right after it, as fsck.minix does ("...bitmap.Clear").
	bool problem(const std::string &what, const char *question = "Fix", bool fixable = true)
	{
		result_.problems++;
		if (opts_.repair && fixable && opts_.ask) {
			if (opts_.ask(what + question)) {
				result_.changed = true;
				return true;
			}
			result_.uncorrected = true;
			return false;
		}
		say(what);
		if (opts_.repair && fixable) {
			result_.changed = true;
			return true;
		}
		result_.uncorrected = true;
		return false;
	}

	Status load();
	Status write_back();

	Inode inode(uint32_t ino) const
	{
		return decode_inode(sb_.version, &table_[uint64_t{ino - 1} * sb_.inode_size()]);
	}
	void put_inode(uint32_t ino, const Inode &inode)
	{
		encode_inode(sb_.version, inode, &table_[uint64_t{ino - 1} * sb_.inode_size()]);
		table_dirty_ = true;
	}

	static bool bit(const std::vector<uint8_t> &map, uint64_t n)
	{
		return (map[n / 8] >> (n % 8)) & 1;
	}
	static void set_bit(std::vector<uint8_t> &map, uint64_t n, bool on)
	{
		uint8_t mask = static_cast<uint8_t>(1u << (n % 8));
		map[n / 8] = static_cast<uint8_t>(on ? map[n / 8] | mask : map[n / 8] & ~mask);
	}
	uint64_t zbit(uint32_t zone) const { return uint64_t{zone} - sb_.first_data_zone + 1; }

	Status read_block(uint32_t zone, std::vector<uint8_t> &out)
	{
		out.resize(sb_.block_size);
		return dev_.read(uint64_t{zone} * sb_.block_size, out);
	}
	Status write_block(uint32_t zone, const std::vector<uint8_t> &data)
	{
		return dev_.write(uint64_t{zone} * sb_.block_size, data);
	}

	uint32_t ptr_at(const std::vector<uint8_t> &b, uint32_t i) const
	{
		return sb_.version == Version::v1 ? get_le16(&b[2 * i]) : get_le32(&b[4 * i]);
	}
	void set_ptr_at(std::vector<uint8_t> &b, uint32_t i, uint32_t v) const
	{
		if (sb_.version == Version::v1)
			put_le16(&b[2 * i], static_cast<uint16_t>(v));
		else
			put_le32(&b[4 * i], v);
	}
	uint32_t per_block() const { return sb_.block_size / (sb_.version == Version::v1 ? 2 : 4); }
	uint64_t span(unsigned depth) const
	{
		uint64_t s = 1;
		for (unsigned i = 0; i < depth; i++)
			s *= per_block();
		return s;
	}

	Result<uint32_t> check_ptr(uint32_t zone, unsigned depth, uint64_t first, uint64_t nblocks,
	                           const std::string &path);
	bool holds_no_pointers(const std::vector<uint8_t> &block, unsigned depth, uint64_t first,
	                       uint64_t nblocks) const;
	// Calls `visit(slot, depth, first, nblocks)` for each zone slot of `in`:
	// the tree depth below it, the first file block it maps, the file's
	// size in blocks.
	template <typename Visit> Status for_each_slot(const Inode &in, Visit visit);
	Status count_claims(uint32_t zone, unsigned depth, uint64_t first, uint64_t nblocks);
	Status count_all_claims();
	Result<uint32_t> take_free_zone(const std::vector<uint8_t> &contents);
	Status check_zones(uint32_t ino, const std::string &path);
	Result<std::vector<uint32_t>> dir_blocks(const Inode &dir);
	Result<uint32_t> recover_dir_size(const Inode &dir);
	Status check_inode_kind(uint32_t ino, const std::string &path);
	Status walk();
	Status visit_entry(size_t frame_index);
	Status set_entry_bytes(Frame &f, uint64_t pos, uint32_t ino, std::string_view name);
	void check_counts();
	void check_padding();
	void report_stats();

	BlockDevice &dev_;
	const FsckOptions &opts_;
	Superblock sb_;
	std::vector<uint8_t> imap_, zmap_, table_;
	bool table_dirty_ = false;
	std::vector<uint32_t> inode_count_;
	std::vector<uint8_t> zone_count_;
	// How many pointers of all the inodes with data name each zone (up to
	// 2): a zone named twice is never rewritten in place, and a copy goes
	// only to a zone no pointer names.
	std::vector<uint8_t> claims_;
	uint32_t next_free_ = 0;
	std::vector<Frame> stack_;
	Stats stats_;
	FsckResult result_;
};

Status Checker::load()
{
	const uint64_t bs = sb_.block_size;
	imap_.resize(sb_.imap_blocks * bs);
	zmap_.resize(sb_.zmap_blocks * bs);
	table_.resize(uint64_t{sb_.inode_table_blocks()} * bs);
	if (Status st = dev_.read(2 * bs, imap_); !st)
		return st;
	if (Status st = dev_.read((2 + uint64_t{sb_.imap_blocks}) * bs, zmap_); !st)
		return st;
	if (Status st = dev_.read(uint64_t{sb_.inode_table_block()} * bs, table_); !st)
		return st;
	inode_count_.assign(uint64_t{sb_.ninodes} + 1, 0);
	zone_count_.assign(sb_.nzones, 0);
	claims_.assign(sb_.nzones, 0);
	next_free_ = sb_.first_data_zone;
	return {};
}

// Is this "indirect block" something else (the old contents of a zone
// whose new pointers never reached the disk)?  Most of the numbers it has
// for the file's blocks lie outside the data zones or repeat one another.
// A block with one bad pointer among good ones is kept, and that pointer
// dropped.
bool Checker::holds_no_pointers(const std::vector<uint8_t> &block, unsigned depth, uint64_t first,
                                uint64_t nblocks) const
{
	std::set<uint32_t> seen;
	uint32_t named = 0, bad = 0;
	for (uint32_t i = 0; i < per_block() && first + i * span(depth - 1) < nblocks; i++) {
		uint32_t child = ptr_at(block, i);
		if (!child)
			continue;
		named++;
		if (child < sb_.first_data_zone || child >= sb_.nzones ||
		    !seen.insert(child).second)
			bad++;
	}
	return bad >= 2 && 2 * bad > named;
}

// The first pass: counts every pointer, within its file's size and the data
// zones, of every inode that has a file type with data.
Status Checker::count_claims(uint32_t zone, unsigned depth, uint64_t first, uint64_t nblocks)
{
	if (!zone || zone < sb_.first_data_zone || zone >= sb_.nzones || first >= nblocks)
		return {};
	if (claims_[zone] < 2)
		claims_[zone]++;
	if (depth == 0)
		return {};
	std::vector<uint8_t> block;
	if (Status st = read_block(zone, block); !st)
		return st;
	for (uint32_t i = 0; i < per_block(); i++)
		if (Status st = count_claims(ptr_at(block, i), depth - 1,
		                             first + i * span(depth - 1), nblocks);
		    !st)
			return st;
	return {};
}

template <typename Visit> Status Checker::for_each_slot(const Inode &in, Visit visit)
{
	uint64_t nblocks = (uint64_t{in.size} + sb_.block_size - 1) / sb_.block_size;
	uint64_t first = 0;
	for (unsigned slot = 0; slot < zone_slots(sb_.version); slot++) {
		unsigned depth = slot < 7 ? 0 : slot - 6;
		if (Status st = visit(slot, depth, first, nblocks); !st)
			return st;
		first += span(depth);
	}
	return {};
}

Status Checker::count_all_claims()
{
	for (uint32_t ino = 1; ino <= sb_.ninodes; ino++) {
		Inode in = inode(ino);
		if (!in.has_data())
			continue;
		Status st = for_each_slot(
		        in, [&](unsigned slot, unsigned depth, uint64_t first, uint64_t nblocks) {
			        return count_claims(in.zone[slot], depth, first, nblocks);
		        });
		if (!st)
			return st;
	}
	return {};
}

// A zone no pointer names, free in the bitmap if one is, holding
// @contents and marked in use; 0 when there is none.
Result<uint32_t> Checker::take_free_zone(const std::vector<uint8_t> &contents)
{
	auto unnamed = [&](uint32_t z) { return !claims_[z] && !zone_count_[z]; };
	uint32_t found = 0;
	for (uint32_t z = next_free_; z < sb_.nzones && !found; z++)
		if (unnamed(z) && !bit(zmap_, zbit(z)))
			found = z;
	if (found)
		next_free_ = found + 1;
	// Else one marked in use that nothing names (it will not be freed now).
	for (uint32_t z = sb_.first_data_zone; z < sb_.nzones && !found; z++)
		if (unnamed(z))
			found = z;
	if (!found)
		return uint32_t{0};
	if (Status st = write_block(found, contents); !st)
		return st.error();
	set_bit(zmap_, zbit(found), true);
	zone_count_[found] = 1;
	claims_[found] = 1;
	return found;
}

// Checks a pointer and, for an indirect block, the pointers in it; returns
// what the pointer is to be (0: dropped).  A zone another file took first
// is copied for this one rather than cleared: one of the two is data of a
// live file, and which one no check can tell (fsck.minix clears it here,
// and the file that loses it may be the good one).
Result<uint32_t> Checker::check_ptr(uint32_t zone, unsigned depth, uint64_t first, uint64_t nblocks,
                                    const std::string &path)
{
	if (!zone)
		return zone;
	if (zone < sb_.first_data_zone || zone >= sb_.nzones) {
		const char *which = zone < sb_.first_data_zone ? "< FIRSTZONE" : ">= ZONES";
		if (problem(fmt::format("Zone nr {} in file `{}'. (zone {})", which, path, zone),
		            "Remove block"))
			return uint32_t{0};
		return zone;
	}
	if (first >= nblocks &&
	    problem(fmt::format("Zone {} in file `{}' lies beyond its size (block {} of {}).", zone,
	                        path, first, nblocks)))
		return uint32_t{0};
	std::vector<uint8_t> block;
	if (depth > 0) {
		if (Status st = read_block(zone, block); !st)
			return st.error();
		if (holds_no_pointers(block, depth, first, nblocks) &&
		    problem(fmt::format("Indirect block {} in file `{}' holds no block numbers.",
		                        zone, path),
		            "Remove block"))
			return uint32_t{0};
	}
	if (zone_count_[zone]) {
		if (!problem(fmt::format("Block has been used before. Now in file `{}'. (zone {})",
		                         path, zone),
		             "Copy"))
			return zone;
		if (depth == 0)
			if (Status st = read_block(zone, block); !st)
				return st.error();
		Result<uint32_t> copy = take_free_zone(block);
		if (!copy)
			return copy;
		if (!*copy) {
			say(fmt::format("No free zone for a copy of zone {}: removed from `{}'.",
			                zone, path));
			return uint32_t{0};
		}
		zone = *copy;
	} else {
		if (!bit(zmap_, zbit(zone)) &&
		    problem(fmt::format("Block {} in file `{}' is marked not in use.", zone, path),
		            "Correct"))
			set_bit(zmap_, zbit(zone), true);
		zone_count_[zone] = 1;
	}
	if (depth == 0)
		return zone;
	bool changed = false;
	for (uint32_t i = 0; i < per_block(); i++) {
		uint32_t child = ptr_at(block, i);
		if (!child)
			continue;
		Result<uint32_t> kept =
		        check_ptr(child, depth - 1, first + i * span(depth - 1), nblocks, path);
		if (!kept)
			return kept;
		if (*kept != child) {
			set_ptr_at(block, i, *kept);
			changed = true;
		}
	}
	if (!changed)
		return zone;
	// Another pointer names this block too: that file keeps it as it is,
	// and this one gets the corrected copy.
	if (claims_[zone] > 1) {
		Result<uint32_t> copy = take_free_zone(block);
		if (!copy)
			return copy;
		if (*copy) {
			zone_count_[zone] = 0;
			return *copy;
		}
	}
	if (Status st = write_block(zone, block); !st)
		return st.error();
	return zone;
}

Status Checker::check_zones(uint32_t ino, const std::string &path)
{
	Inode in = inode(ino);
	if (!in.has_data())
		return {};
	bool changed = false;
	Status st = for_each_slot(
	        in, [&](unsigned slot, unsigned depth, uint64_t first, uint64_t nblocks) -> Status {
		        Result<uint32_t> kept =
		                check_ptr(in.zone[slot], depth, first, nblocks, path);
		        if (!kept)
			        return kept.error();
		        if (*kept != in.zone[slot]) {
			        in.zone[slot] = *kept;
			        changed = true;
		        }
		        return {};
	        });
	if (!st)
		return st;
	if (changed)
		put_inode(ino, in);
	return {};
}

// The zone of every block of a directory (0 for holes and bad pointers).
Result<std::vector<uint32_t>> Checker::dir_blocks(const Inode &dir)
{
	// A directory cannot hold more blocks than there are data zones.
	uint64_t nblocks = std::min<uint64_t>(
	        (uint64_t{dir.size} + sb_.block_size - 1) / sb_.block_size, sb_.data_zones());
	std::vector<uint32_t> out;
	auto valid = [&](uint32_t z) { return z >= sb_.first_data_zone && z < sb_.nzones; };
	std::vector<uint8_t> ind_cache[4];
	uint32_t ind_zone[4] = {0, 0, 0, 0};
	for (uint64_t i = 0; i < nblocks; i++) {
		uint64_t index = i;
		uint32_t zone = 0;
		if (index < 7) {
			zone = dir.zone[index];
		} else {
			index -= 7;
			unsigned depth = 1;
			while (depth <= (sb_.version == Version::v1 ? 2u : 3u) &&
			       index >= span(depth)) {
				index -= span(depth);
				depth++;
			}
			if (depth > (sb_.version == Version::v1 ? 2u : 3u))
				break;
			zone = dir.zone[6 + depth];
			for (unsigned level = depth; level > 0 && valid(zone); level--) {
				// Consecutive blocks share indirect blocks: read each once.
				std::vector<uint8_t> &ind = ind_cache[level];
				if (ind_zone[level] != zone) {
					if (Status st = read_block(zone, ind); !st)
						return st.error();
					ind_zone[level] = zone;
				}
				zone = ptr_at(ind, static_cast<uint32_t>((index / span(level - 1)) %
				                                         per_block()));
			}
		}
		out.push_back(valid(zone) ? zone : 0);
	}
	return out;
}

// A directory size that covers every used entry in the blocks the old size
// reached (at least "." and ".."), or 0 when there is nothing to go by.
Result<uint32_t> Checker::recover_dir_size(const Inode &dir)
{
	const uint32_t ds = sb_.dirent_size();
	Inode probe = dir;
	probe.size = std::max<uint32_t>(dir.size, 1);
	Result<std::vector<uint32_t>> blocks = dir_blocks(probe);
	if (!blocks)
		return blocks.error();
	if (blocks->empty() || !(*blocks)[0])
		return uint32_t{0};
	uint64_t end = 2 * ds;
	std::vector<uint8_t> block;
	for (size_t b = 0; b < blocks->size(); b++) {
		if (!(*blocks)[b])
			continue;
		if (Status st = read_block((*blocks)[b], block); !st)
			return st.error();
		for (uint32_t off = 0; off < sb_.block_size; off += ds)
			if (entry_ino(sb_, &block[off]))
				end = std::max<uint64_t>(end, b * sb_.block_size + off + ds);
	}
	return static_cast<uint32_t>(end);
}

Status Checker::set_entry_bytes(Frame &f, uint64_t pos, uint32_t ino, std::string_view name)
{
	uint32_t zone = f.blocks[pos / sb_.block_size];
	if (!zone)
		return Error(EIO, f.path, "directory block missing");
	std::vector<uint8_t> block;
	if (Status st = read_block(zone, block); !st)
		return st;
	set_entry(sb_, &block[pos % sb_.block_size], ino, name);
	f.cached_index = UINT64_MAX;
	return write_block(zone, block);
}

// Checks that concern an inode itself, once, when first reached.
Status Checker::check_inode_kind(uint32_t ino, const std::string &path)
{
	Inode in = inode(ino);
	// A device node's zone 0 is its number; minix.ko writes only that slot,
	// so a reused inode keeps the old file's zones 1.. there: not an error.
	if (!in.has_data() && !in.is_device()) {
		bool zones = false;
		for (unsigned i = 0; i < zone_slots(sb_.version); i++)
			zones = zones || in.zone[i];
		if (zones && problem(fmt::format("Special file `{}' has zone pointers.", path))) {
			for (unsigned i = 0; i < zone_slots(sb_.version); i++)
				in.zone[i] = 0;
			put_inode(ino, in);
		}
	}
	return check_zones(ino, path);
}

Status Checker::visit_entry(size_t index)
{
	Frame &f = stack_[index];
	const uint32_t ds = sb_.dirent_size();
	const uint64_t pos = f.pos;
	f.pos += ds;
	const uint64_t block_index = pos / sb_.block_size;
	uint32_t zone = f.blocks[block_index];
	if (f.cached_index != block_index) {
		f.cached.assign(sb_.block_size, 0);
		if (zone)
			if (Status st = read_block(zone, f.cached); !st)
				return st;
		f.cached_index = block_index;
	}
	const uint8_t *raw = &f.cached[pos % sb_.block_size];
	uint32_t eino = entry_ino(sb_, raw);
	std::string name(entry_name(sb_, raw));

	if (pos == 0 || pos == ds) {
		bool dot = pos == 0;
		const char *want = dot ? "." : "..";
		uint32_t want_ino = dot ? f.ino : f.parent;
		if (name != want) {
			if (problem(fmt::format("{}: bad directory: '{}' isn't {}.", f.path, want,
			                        dot ? "first" : "second"),
			            "Fix", zone != 0)) {
				if (Status st = set_entry_bytes(f, pos, want_ino, want); !st)
					return st;
				eino = want_ino;
			} else {
				return {};
			}
		} else if (eino != want_ino) {
			if (problem(fmt::format("{}: '{}' names inode {}, not {}.", f.path, want,
			                        eino, want_ino))) {
				if (Status st = set_entry_bytes(f, pos, want_ino, want); !st)
					return st;
				eino = want_ino;
			} else if (eino == 0 || eino > sb_.ninodes) {
				return {};
			}
		}
		if (++inode_count_[eino] == 0)
			inode_count_[eino]--;
		return {};
	}
	if (!eino)
		return {};
	std::string path = f.path == "/" ? "/" + name : f.path + "/" + name;
	auto remove_entry = [&]() { return set_entry_bytes(stack_[index], pos, 0, name); };
	if (eino > sb_.ninodes) {
		if (problem(fmt::format(
		                    "The directory '{}' contains a bad inode number for file '{}'.",
		                    f.path, name),
		            " Remove"))
			return remove_entry();
		return {};
	}
	// Names: no '/', nothing after the terminating NUL, not "." or "..",
	// not empty, unique in the directory.
	const char *field = reinterpret_cast<const char *>(raw + sb_.ino_width());
	bool junk_after_nul = false;
	for (size_t i = name.size(); i < sb_.name_len(); i++)
		junk_after_nul = junk_after_nul || field[i];
	std::string fixed = name;
	for (char &c : fixed)
		if (c == '/')
			c = '_';
	if (fixed.empty() || fixed == "." || fixed == "..")
		fixed = fmt::format("_{}", eino);
	while (f.names.count(fixed))
		fixed = fmt::format(
		        "{}~{}", fixed.substr(0, sb_.name_len() - 1 - std::to_string(eino).size()),
		        eino);
	if (fixed != name || junk_after_nul) {
		if (problem(fmt::format(
		            "The directory '{}' has a bad or duplicate name '{}' (inode {}).",
		            f.path, name, eino))) {
			if (Status st = set_entry_bytes(stack_[index], pos, eino, fixed); !st)
				return st;
			name = fixed;
			path = stack_[index].path == "/" ? "/" + name
			                                 : stack_[index].path + "/" + name;
		}
	}
	stack_[index].names.insert(name);

	Inode in = inode(eino);
	if (!valid_file_type(in.mode)) {
		if (problem(fmt::format("The file `{}' has mode {:05o}.", path, in.mode), "Remove"))
			return remove_entry();
		return {};
	}
	if (S_ISLNK(in.mode) && (in.size == 0 || in.size >= sb_.block_size)) {
		if (problem(fmt::format("Symlink `{}' has an impossible size {}.", path, in.size),
		            "Remove"))
			return remove_entry();
		return {};
	}
	bool first_time = inode_count_[eino] == 0;
	if (in.is_dir() && !first_time) {
		if (problem(fmt::format("Directory `{}' (inode {}) is linked more than once.", path,
		                        eino),
		            "Remove"))
			return remove_entry();
		return {};
	}
	if (first_time && !bit(imap_, eino) &&
	    problem(fmt::format("Inode {} marked unused, but used for file '{}'.", eino, path),
	            "Mark in use"))
		set_bit(imap_, eino, true);
	if (++inode_count_[eino] == 0)
		inode_count_[eino]--;
	// As fsck.minix: a directory's name ends in ':'.
	if (opts_.list)
		say((opts_.verbose
		             ? fmt::format("{:6} {:07o} {:3} {}", eino, in.mode, in.nlinks, path)
		             : path) +
		    (in.is_dir() ? ":" : ""));
	if (!first_time) {
		stats_.links++;
		return {};
	}
	if (in.is_dir())
		stats_.directories++;
	else if (in.is_reg())
		stats_.regular++;
	else if (S_ISCHR(in.mode))
		stats_.chardevs++;
	else if (S_ISBLK(in.mode))
		stats_.blockdevs++;
	else if (S_ISLNK(in.mode))
		stats_.symlinks++;
	else if (S_ISFIFO(in.mode))
		stats_.fifos++;
	else
		stats_.sockets++;
	if (Status st = check_inode_kind(eino, path); !st)
		return st;
	if (!in.is_dir())
		return {};
	// Descend now, as fsck.minix does, before the parent's next entry.
	Frame child;
	child.ino = eino;
	child.parent = stack_[index].ino;
	child.path = path;
	stack_.push_back(std::move(child));
	return {};
}

Status Checker::walk()
{
	Frame root;
	root.ino = kRootIno;
	root.parent = kRootIno;
	root.path = "/";
	stats_.directories++;
	if (!bit(imap_, kRootIno) &&
	    problem("Root inode marked unused in the bitmap.", "Mark in use"))
		set_bit(imap_, kRootIno, true);
	if (Status st = check_zones(kRootIno, "/"); !st)
		return st;
	stack_.push_back(std::move(root));
	const uint32_t ds = sb_.dirent_size();
	while (!stack_.empty()) {
		size_t top = stack_.size() - 1;
		Frame &f = stack_[top];
		if (!f.loaded) {
			f.loaded = true;
			Inode dir = inode(f.ino);
			if (dir.size % ds || dir.size < 2 * ds) {
				std::string what =
				        dir.size % ds ? fmt::format("{}: directory size {} is not "
				                                    "a multiple of {}.",
				                                    f.path, dir.size, ds)
				                      : fmt::format("{}: bad directory: size < {}.",
				                                    f.path, 2 * ds);
				Result<uint32_t> recovered = recover_dir_size(dir);
				if (!recovered)
					return recovered.error();
				if (problem(what, "Fix", *recovered != 0)) {
					dir.size = *recovered;
					put_inode(f.ino, dir);
				}
			}
			f.size = dir.size - dir.size % ds;
			Result<std::vector<uint32_t>> blocks = dir_blocks(dir);
			if (!blocks)
				return blocks.error();
			f.blocks = std::move(*blocks);
		}
		if (f.pos >= f.size || f.pos / sb_.block_size >= f.blocks.size()) {
			stack_.pop_back();
			continue;
		}
		if (Status st = visit_entry(top); !st)
			return st;
	}
	return {};
}

void Checker::check_counts()
{
	for (uint32_t i = 1; i <= sb_.ninodes; i++) {
		bool used = bit(imap_, i);
		uint32_t count = inode_count_[i];
		// -m, as fsck.minix: a free inode should have no mode left.
		if (opts_.warn_mode && !used) {
			Inode in = inode(i);
			if (in.mode &&
			    problem(fmt::format("Inode {} mode not cleared.", i), "Clear")) {
				in.mode = 0;
				put_inode(i, in);
			}
		}
		if (!count) {
			if (used &&
			    problem(fmt::format("Inode {} not used, marked used in the bitmap.", i),
			            "Clear"))
				set_bit(imap_, i, false);
			continue;
		}
		if (!used &&
		    problem(fmt::format("Inode {} used, marked unused in the bitmap.", i), "Set"))
			set_bit(imap_, i, true);
		Inode in = inode(i);
		if (in.nlinks != count) {
			uint32_t field_max = sb_.version == Version::v1 ? 255 : 65535;
			if (problem(fmt::format(
			                    "Inode {} (mode = {:07o}), i_nlinks={}, counted={}.", i,
			                    in.mode, in.nlinks, count),
			            "Set i_nlinks to count", count <= field_max)) {
				in.nlinks = static_cast<uint16_t>(count);
				put_inode(i, in);
			}
		}
	}
	for (uint32_t z = sb_.first_data_zone; z < sb_.nzones; z++) {
		if (bit(zmap_, zbit(z)) && !zone_count_[z] &&
		    problem(fmt::format("Zone {}: marked in use, no file uses it.", z), "Unmark"))
			set_bit(zmap_, zbit(z), false);
	}
}

// Bit 0 and the bits past the last inode and zone must be set: Linux's
// statfs counts clear padding bits as free, and its allocator stops at one.
void Checker::check_padding()
{
	auto check = [&](std::vector<uint8_t> &map, uint64_t last, const char *what) {
		uint64_t clear = !bit(map, 0);
		for (uint64_t n = last + 1; n < map.size() * 8; n++)
			clear += !bit(map, n);
		if (clear &&
		    problem(fmt::format("{} bitmap: {} reserved or padding bits are clear.", what,
		                        clear))) {
			set_bit(map, 0, true);
			for (uint64_t n = last + 1; n < map.size() * 8; n++)
				set_bit(map, n, true);
		}
	};
	check(imap_, sb_.ninodes, "Inode");
	check(zmap_, sb_.data_zones(), "Zone");
}

void Checker::report_stats()
{
	uint64_t inodes_used = 0, zones_free = 0;
	for (uint32_t i = 1; i <= sb_.ninodes; i++)
		inodes_used += bit(imap_, i);
	for (uint32_t z = sb_.first_data_zone; z < sb_.nzones; z++)
		zones_free += !bit(zmap_, zbit(z));
	uint64_t zones_used = sb_.nzones - zones_free;
	say(fmt::format("\n{:6} inodes used ({}%)", inodes_used, inodes_used * 100 / sb_.ninodes));
	say(fmt::format("{:6} zones used ({}%)\n", zones_used, zones_used * 100 / sb_.nzones));
	say(fmt::format("{:6} regular files", stats_.regular));
	say(fmt::format("{:6} directories", stats_.directories));
	say(fmt::format("{:6} character device files", stats_.chardevs));
	say(fmt::format("{:6} block device files", stats_.blockdevs));
	say(fmt::format("{:6} links", stats_.links));
	say(fmt::format("{:6} symbolic links", stats_.symlinks));
	say("------");
	uint64_t files = stats_.regular + stats_.directories + stats_.chardevs + stats_.blockdevs +
	                 stats_.links + stats_.symlinks + stats_.fifos + stats_.sockets;
	say(fmt::format("{:6} files", files));
}

Status Checker::write_back()
{
	const uint64_t bs = sb_.block_size;
	if (result_.changed) {
		if (Status st = dev_.write(2 * bs, imap_); !st)
			return st;
		if (Status st = dev_.write((2 + uint64_t{sb_.imap_blocks}) * bs, zmap_); !st)
			return st;
		if (table_dirty_)
			if (Status st = dev_.write(uint64_t{sb_.inode_table_block()} * bs, table_);
			    !st)
				return st;
	}
	if (opts_.repair && sb_.has_state()) {
		std::vector<uint8_t> super(kSuperSize);
		if (Status st = dev_.read(kSuperOffset, super); !st)
			return st;
		sb_.state = static_cast<uint16_t>(kStateValid |
		                                  (result_.uncorrected ? kStateError : 0));
		encode_superblock(sb_, super);
		if (Status st = dev_.write(kSuperOffset, super); !st)
			return st;
	}
	// A check that wrote nothing has nothing to sync.
	if (result_.changed || opts_.repair)
		return dev_.flush();
	return {};
}

Result<FsckResult> Checker::run()
{
	if (opts_.super)
		say(fmt::format(
		        "{} inodes\n{} blocks\nFirstdatazone={} ({})\nZonesize={}\nMaxsize={}\n"
		        "Filesystem state={}\nnamelen={}\n",
		        sb_.ninodes, sb_.nzones, sb_.first_data_zone, sb_.norm_first_zone(),
		        sb_.block_size, sb_.max_size, sb_.state, sb_.name_len()));
	if (sb_.first_data_zone != sb_.norm_first_zone())
		problem("Warning: Firstzone != Norm_firstzone", "", false);
	if (Status st = load(); !st)
		return st.error();
	Inode root = inode(kRootIno);
	if (!root.is_dir())
		return Error(EINVAL, "root inode", "root inode isn't a directory");
	check_padding();
	if (Status st = count_all_claims(); !st)
		return st.error();
	if (Status st = walk(); !st)
		return st.error();
	check_counts();
	if (Status st = write_back(); !st)
		return st.error();
	if (opts_.verbose)
		report_stats();
	result_.exit_code = (result_.changed ? 3 : 0) + (result_.uncorrected ? 4 : 0);
	return result_;
}

} // namespace

Result<FsckResult> fsck(BlockDevice &dev, const FsckOptions &opts)
{
	std::vector<uint8_t> buf(kSuperSize);
	if (dev.size() < kSuperOffset + kSuperSize)
		return Error(EINVAL, "superblock", "unable to read super block");
	if (Status st = dev.read(kSuperOffset, buf); !st)
		return st.error();
	Result<Superblock> sb = decode_superblock(buf);
	if (!sb)
		return sb.error();
	if (sb->has_state() && sb->is_clean() && !opts.force) {
		FsckResult clean;
		clean.skipped = true;
		return clean;
	}
	// Only once the superblock is known to be one, as fsck.minix.
	if (opts.force && opts.print)
		opts.print(fmt::format("Forcing filesystem check on {}.", opts.name));
	// The inode table may sit past its normal place (fsck.minix's
	// "Firstzone != Norm_firstzone"): check the rest, report that.
	if (Status st = check_superblock(*sb, dev.size()); !st)
		return st.error();
	Checker checker(dev, opts, *sb);
	return checker.run();
}

} // namespace xloop::minix
