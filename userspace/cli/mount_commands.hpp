// The mount(8)-like commands (mount, umount), through util-linux libmount,
// and what they and `list -O MOUNTPOINT` share: libmount handles, the mount
// table, and mount(8)'s way of reporting a libmount result.
#pragma once

#include <libmount.h>

#include <memory>

#include "cli/commands.hpp"
#include "common/result.hpp"

namespace xloop::cli
{

void setup_mount(CLI::App &command, Action &action);
void setup_umount(CLI::App &command, Action &action);

struct FreeMountContext {
	void operator()(libmnt_context *cxt) const { mnt_free_context(cxt); }
};
using MountContext = std::unique_ptr<libmnt_context, FreeMountContext>;

struct FreeMountTable {
	void operator()(libmnt_table *table) const { mnt_unref_table(table); }
};
using MountTable = std::unique_ptr<libmnt_table, FreeMountTable>;

struct FreeMountIter {
	void operator()(libmnt_iter *iter) const { mnt_free_iter(iter); }
};
using MountIter = std::unique_ptr<libmnt_iter, FreeMountIter>;

// The kernel's mount table (/proc/self/mountinfo, as libmount reads it).
Result<MountTable> read_mount_table();

// An iterator over a mount table, MNT_ITER_FORWARD or _BACKWARD.
Result<MountIter> mount_iter(int direction);

// After mnt_context_mount() or _umount() returned `rc`: mount(8)'s message
// ("xloop: TARGET: what happened.") on stderr if there is one, and its exit
// code (0, 1 usage or permission, 2 system error, 32 failure...).
int report_libmount(libmnt_context *cxt, int rc);

} // namespace xloop::cli
