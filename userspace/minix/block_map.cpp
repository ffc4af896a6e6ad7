#include "minix/block_map.hpp"

#include <array>

#include <minix_rules.h>

#include <fmt/format.h>

#include "minix/endian.hpp"

namespace xloop::minix
{

namespace
{

constexpr unsigned kDirect = 7;

// Ptr is the on-disk pointer type: uint16_t (V1) or uint32_t (V2/V3).
template <typename Ptr> class TreeMap : public BlockMap
{
	static constexpr unsigned kLevels = sizeof(Ptr) == 2 ? 2 : 3; // indirect levels

public:
	TreeMap(const Superblock &sb, BlockCache &cache, ZoneAllocator &alloc)
	    : sb_(sb), cache_(cache), alloc_(alloc), per_block_(sb.block_size / sizeof(Ptr))
	{
	}

	uint64_t capacity() const override
	{
		uint64_t total = kDirect, span = 1;
		for (unsigned l = 0; l < kLevels; l++) {
			span *= per_block_;
			total += span;
		}
		return total;
	}

	Result<uint32_t> lookup(uint32_t ino, const Inode &inode, uint64_t index) override
	{
		Path path;
		if (!to_path(index, path))
			return uint32_t{0};
		uint32_t zone = inode.zone[path.off[0]];
		for (unsigned level = 1;; level++) {
			if (Status st = check(ino, zone); !st)
				return st.error();
			if (!zone || level == path.depth)
				return zone;
			Result<uint8_t *> block = cache_.get(zone);
			if (!block)
				return block.error();
			zone = get(*block, path.off[level]);
		}
	}

	Result<Mapping> map(uint32_t ino, Inode &inode, uint64_t index) override
	{
		Path path;
		if (!to_path(index, path))
			return Error(EFBIG, fmt::format("inode {}", ino),
			             "file block beyond the maximum file size");
		// Follow the existing path as far as it goes.
		uint32_t holder = 0; // block holding the slot at `level`; 0: the inode
		unsigned level = 0;
		uint32_t zone = inode.zone[path.off[0]];
		while (true) {
			if (Status st = check(ino, zone); !st)
				return st.error();
			if (!zone)
				break;
			if (level + 1 == path.depth)
				return Mapping{zone, false};
			Result<uint8_t *> block = cache_.get(zone);
			if (!block)
				return block.error();
			holder = zone;
			level++;
			zone = get(*block, path.off[level]);
		}
		// Allocate the missing branch top-down; each new indirect block is
		// zero-filled and points at the next one.
		std::array<uint32_t, 4> fresh{};
		unsigned count = path.depth - level;
		for (unsigned i = 0; i < count; i++) {
			Result<uint32_t> z = alloc_.alloc_zone();
			if (!z) {
				for (unsigned j = 0; j < i; j++)
					(void)alloc_.free_zone(fresh[j]);
				return z.error();
			}
			fresh[i] = *z;
			if (i > 0) {
				Result<uint8_t *> parent = cache_.get_zeroed(fresh[i - 1]);
				if (!parent)
					return parent.error();
				put(*parent, path.off[level + i], fresh[i]);
			}
		}
		// Splice the branch in.
		if (holder == 0) {
			inode.zone[path.off[0]] = fresh[0];
		} else {
			Result<uint8_t *> block = cache_.get(holder);
			if (!block)
				return block.error();
			put(*block, path.off[level], fresh[0]);
			cache_.mark_dirty(holder);
		}
		return Mapping{fresh[count - 1], true};
	}

	Status truncate(uint32_t ino, Inode &inode, uint64_t size) override
	{
		const uint32_t bs = sb_.block_size;
		uint64_t first_gone = (size + bs - 1) / bs;
		Path path;
		if (!to_path(first_gone, path))
			return {};
		unsigned first_whole; // first indirect slot (0 = single) freed whole
		if (path.depth == 1) {
			for (unsigned i = path.off[0]; i < kDirect; i++)
				if (Status st = free_slot(ino, inode.zone[i], 0); !st)
					return st;
			first_whole = 0;
		} else {
			first_whole = path.off[0] + 1 - kDirect;
			if (Status st = cut_branch(ino, inode, path); !st)
				return st;
		}
		for (unsigned slot = first_whole; slot < kLevels; slot++)
			if (Status st = free_slot(ino, inode.zone[kDirect + slot], slot + 1); !st)
				return st;
		return {};
	}

	Status walk(uint32_t ino, const Inode &inode, const Visitor &visit) override
	{
		for (unsigned i = 0; i < kDirect + kLevels; i++) {
			unsigned depth = i < kDirect ? 0 : i - kDirect + 1;
			if (Status st = walk_tree(ino, inode.zone[i], depth, visit); !st)
				return st;
		}
		return {};
	}

private:
	struct Path {
		std::array<uint32_t, 4> off{};
		unsigned depth = 0;
	};

	// The rule is xminix.ko's own (include/minix_rules.h).
	bool to_path(uint64_t index, Path &path) const
	{
		path.depth =
		        xminix_block_to_path(static_cast<unsigned>(sb_.version), sb_.block_size,
		                             sb_.max_size, index, path.off.data());
		return path.depth != 0;
	}

	Status check(uint32_t ino, uint32_t zone) const
	{
		if (zone && (zone < sb_.first_data_zone || zone >= sb_.nzones))
			return Error(kCorrupted, fmt::format("inode {}", ino),
			             fmt::format("zone {} outside the data zones {}..{}", zone,
			                         sb_.first_data_zone, sb_.nzones - 1));
		return {};
	}

	uint32_t get(const uint8_t *block, uint32_t i) const
	{
		return sizeof(Ptr) == 2 ? get_le16(block + 2 * i) : get_le32(block + 4 * i);
	}

	void put(uint8_t *block, uint32_t i, uint32_t zone) const
	{
		if (sizeof(Ptr) == 2)
			put_le16(block + 2 * i, static_cast<uint16_t>(zone));
		else
			put_le32(block + 4 * i, zone);
	}

	bool all_zero(const uint8_t *block, uint32_t below) const
	{
		for (uint32_t i = 0; i < below; i++)
			if (get(block, i))
				return false;
		return true;
	}

	// Frees the subtree a slot points to (depth 0: a data zone) and clears
	// the slot.  Blocks inside a freed subtree are left as they are.
	Status free_slot(uint32_t ino, uint32_t &slot, unsigned depth)
	{
		uint32_t zone = slot;
		if (!zone)
			return {};
		slot = 0;
		return free_tree(ino, zone, depth);
	}

	Status free_tree(uint32_t ino, uint32_t zone, unsigned depth)
	{
		if (Status st = check(ino, zone); !st)
			return st;
		// A zone already free is shared with a tree freed before: stop, or a
		// corrupt tree of shared indirect blocks would be walked forever.
		Result<bool> used = alloc_.zone_in_use(zone);
		if (!used)
			return used.error();
		if (!*used)
			return Error(kCorrupted, fmt::format("inode {}", ino),
			             fmt::format("zone {} freed twice", zone));
		if (depth > 0) {
			Result<uint8_t *> block = cache_.get(zone);
			if (!block)
				return block.error();
			std::vector<uint32_t> children;
			for (uint32_t i = 0; i < per_block_; i++)
				if (uint32_t child = get(*block, i))
					children.push_back(child);
			for (uint32_t child : children)
				if (Status st = free_tree(ino, child, depth - 1); !st)
					return st;
		}
		return alloc_.free_zone(zone);
	}

	// Frees, inside one indirect block, the entries from `from` on.
	Status free_entries(uint32_t ino, uint32_t block_nr, uint32_t from, unsigned depth)
	{
		for (uint32_t i = from; i < per_block_; i++) {
			Result<uint8_t *> block = cache_.get(block_nr);
			if (!block)
				return block.error();
			uint32_t child = get(*block, i);
			if (!child)
				continue;
			put(*block, i, 0);
			cache_.mark_dirty(block_nr);
			if (Status st = free_tree(ino, child, depth); !st)
				return st;
		}
		return {};
	}

	// The cut falls inside the indirect tree of slot path.off[0]: keep
	// what lies before it, free the rest (Linux's find_shared logic).
	Status cut_branch(uint32_t ino, Inode &inode, const Path &path)
	{
		unsigned n = path.depth;
		unsigned k = n;
		while (k > 1 && path.off[k - 1] == 0)
			k--;
		// holder[j]: block holding the level-j slot (0 for the inode).
		std::array<uint32_t, 4> holder{}, key{};
		unsigned reached = 0;
		key[0] = inode.zone[path.off[0]];
		if (Status st = check(ino, key[0]); !st)
			return st;
		while (key[reached] && reached + 1 < k) {
			Result<uint8_t *> block = cache_.get(key[reached]);
			if (!block)
				return block.error();
			holder[reached + 1] = key[reached];
			reached++;
			key[reached] = get(*block, path.off[reached]);
			if (Status st = check(ino, key[reached]); !st)
				return st;
		}
		// Climb while the holding block keeps nothing before the cut.
		unsigned top = reached;
		while (top > 0) {
			Result<uint8_t *> block = cache_.get(holder[top]);
			if (!block)
				return block.error();
			if (!all_zero(*block, path.off[top]))
				break;
			top--;
		}
		uint32_t first_free_at_top;
		if (top == k - 1 && top > 0) {
			first_free_at_top = path.off[top];
		} else {
			uint32_t detached = key[top];
			if (top == 0) {
				inode.zone[path.off[0]] = 0;
			} else {
				Result<uint8_t *> block = cache_.get(holder[top]);
				if (!block)
					return block.error();
				put(*block, path.off[top], 0);
				cache_.mark_dirty(holder[top]);
			}
			if (detached)
				if (Status st = free_tree(ino, detached, n - 1 - top); !st)
					return st;
			first_free_at_top = path.off[top] + 1;
		}
		for (unsigned level = top; level > 0; level--) {
			uint32_t from = level == top ? first_free_at_top : path.off[level] + 1;
			if (Status st = free_entries(ino, holder[level], from, n - 1 - level); !st)
				return st;
		}
		return {};
	}

	Status walk_tree(uint32_t ino, uint32_t zone, unsigned depth, const Visitor &visit)
	{
		if (!zone)
			return {};
		if (Status st = check(ino, zone); !st)
			return st;
		Result<bool> descend = visit(zone, depth);
		if (!descend)
			return descend.error();
		if (depth == 0 || !*descend)
			return {};
		Result<uint8_t *> block = cache_.get(zone);
		if (!block)
			return block.error();
		std::vector<uint32_t> children;
		for (uint32_t i = 0; i < per_block_; i++)
			if (uint32_t child = get(*block, i))
				children.push_back(child);
		for (uint32_t child : children)
			if (Status st = walk_tree(ino, child, depth - 1, visit); !st)
				return st;
		return {};
	}

	const Superblock &sb_;
	BlockCache &cache_;
	ZoneAllocator &alloc_;
	uint32_t per_block_;
};

} // namespace

std::unique_ptr<BlockMap> make_block_map(const Superblock &sb, BlockCache &cache,
                                         ZoneAllocator &alloc)
{
	if (sb.version == Version::v1)
		return std::make_unique<TreeMap<uint16_t>>(sb, cache, alloc);
	return std::make_unique<TreeMap<uint32_t>>(sb, cache, alloc);
}

} // namespace xloop::minix
