// Whole-tree operations on a Filesystem: visiting a tree, removing one,
// making a path with its parents.  A corrupt image can hold what a valid one
// cannot: a directory entry pointing back at an ancestor, a directory linked
// twice, a renamed "." or "..", trees deep enough to exhaust a stack.  These
// operations refuse them with kCorrupted before they loop, recurse without
// end or remove anything.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "minix/filesystem.hpp"

namespace xloop::minix
{

// Deeper trees are treated as corrupt (Linux paths end at PATH_MAX bytes,
// which at two bytes a component is about this deep).
constexpr unsigned kMaxTreeDepth = 2048;

struct TreeEntry {
	uint32_t dir = 0; // the directory holding the entry
	std::string name; // its name there
	std::string path; // relative to the walk's start, e.g. "a/b"
	uint32_t ino = 0;
	Inode inode;
	unsigned depth = 0; // 1 for the start directory's own entries
};

// Visits every entry below directory `dir` ("." and ".." excepted), in
// directory order, each directory before its contents.  `visit` returning
// an error stops the walk with it.  A directory reached twice, or a tree
// deeper than kMaxTreeDepth, is kCorrupted.
Status walk_tree(Filesystem &fs, uint32_t dir,
                 const std::function<Status(const TreeEntry &)> &visit);

// Removes `name` in directory `dir`; a directory with everything below it
// (rm -r).  The whole tree is walked first, so a corrupt one is refused
// with nothing removed.
Status remove_tree(Filesystem &fs, uint32_t dir, std::string_view name);

// mkdir -p: makes each missing directory of `path` (from the root; "." and
// empty components skipped) with permission bits `mode`; an existing
// component that is not a directory is ENOTDIR.  The last directory's inode.
Result<uint32_t> make_path(Filesystem &fs, std::string_view path, uint16_t mode);

} // namespace xloop::minix
