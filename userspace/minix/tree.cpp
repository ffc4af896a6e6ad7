#include "minix/tree.hpp"

#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "minix/directory.hpp"

namespace xloop::minix
{

namespace
{

class Walker
{
public:
	Walker(Filesystem &fs, const std::function<Status(const TreeEntry &)> &visit)
	    : fs_(fs), visit_(visit)
	{
	}

	Status walk(uint32_t dir, const std::string &prefix, unsigned depth)
	{
		if (depth > kMaxTreeDepth)
			return Error(kCorrupted, prefix.empty() ? "/" : prefix,
			             fmt::format("directory tree deeper than {}", kMaxTreeDepth));
		if (!seen_.insert(dir).second)
			return Error(kCorrupted, prefix.empty() ? "/" : prefix,
			             fmt::format("directory cycle: inode {} reached twice", dir));
		Result<std::vector<DirEntry>> entries = fs_.readdir(dir);
		if (!entries)
			return entries.error().within(prefix.empty() ? "/" : prefix);
		for (const DirEntry &e : *entries) {
			if (e.name == "." || e.name == "..")
				continue;
			TreeEntry entry;
			entry.dir = dir;
			entry.name = e.name;
			entry.path = prefix + e.name;
			entry.ino = e.ino;
			entry.depth = depth + 1;
			Result<Inode> inode = fs_.stat(e.ino);
			if (!inode)
				return inode.error().within(entry.path);
			entry.inode = *inode;
			if (entry.inode.is_dir())
				if (Status st = check_parent(entry); !st)
					return st;
			if (Status st = visit_(entry); !st)
				return st;
			if (entry.inode.is_dir())
				if (Status st = walk(e.ino, entry.path + "/", depth + 1); !st)
					return st;
		}
		return {};
	}

private:
	// A directory whose ".." is not the one it was reached from is linked
	// twice: following it would walk (and rm -r remove) another tree.
	Status check_parent(const TreeEntry &entry)
	{
		Result<uint32_t> parent = fs_.lookup(entry.ino, "..");
		if (!parent)
			return parent.error().within(entry.path);
		if (*parent != entry.dir)
			return Error(kCorrupted, entry.path,
			             fmt::format("directory inode {} has parent {}, but is linked "
			                         "from {}",
			                         entry.ino, *parent, entry.dir));
		return {};
	}

	Filesystem &fs_;
	const std::function<Status(const TreeEntry &)> &visit_;
	std::unordered_set<uint32_t> seen_;
};

} // namespace

Status walk_tree(Filesystem &fs, uint32_t dir,
                 const std::function<Status(const TreeEntry &)> &visit)
{
	return Walker(fs, visit).walk(dir, "", 0);
}

Status remove_tree(Filesystem &fs, uint32_t dir, std::string_view name)
{
	Result<uint32_t> ino = fs.lookup(dir, name);
	if (!ino)
		return ino.error();
	Result<Inode> inode = fs.stat(*ino);
	if (!inode)
		return inode.error();
	if (!inode->is_dir())
		return fs.unlink(dir, name);
	// Check the whole tree, then remove it deepest first.
	std::vector<TreeEntry> entries;
	Status walked = walk_tree(fs, *ino, [&entries](const TreeEntry &e) {
		entries.push_back(e);
		return Status{};
	});
	if (!walked)
		return walked;
	for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
		Status gone = it->inode.is_dir() ? fs.rmdir(it->dir, it->name)
		                                 : fs.unlink(it->dir, it->name);
		if (!gone)
			return gone.error().within(it->path);
	}
	return fs.rmdir(dir, name);
}

Result<uint32_t> make_path(Filesystem &fs, std::string_view path, uint16_t mode)
{
	uint32_t dir = kRootIno;
	std::string done;
	for (const PathPart &part : path_parts(path)) {
		done += "/";
		done += part.name;
		Result<uint32_t> next = fs.lookup(dir, part.name);
		if (!next && next.error().code() == ENOENT)
			next = fs.mkdir(dir, part.name, mode);
		if (!next)
			return next.error().within(done);
		Result<Inode> inode = fs.stat(*next);
		if (!inode)
			return inode.error().within(done);
		if (!inode->is_dir())
			return Error(ENOTDIR, done);
		dir = *next;
	}
	return dir;
}

} // namespace xloop::minix
