// The mount(8)-like commands (mount, umount), through util-linux libmount,
// and what they and `list -O MOUNTPOINT` share: libmount handles, the mount
// table, and mount(8)'s way of reporting a libmount result.
#pragma once

#include <libmount.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "common/fd.hpp"
#include "common/result.hpp"
#include "loopdev/disks.hpp"
#include "loopdev/loop_os.hpp"
#include "mount/mount_rules.hpp"

namespace xloop::cli
{

void setup_mount(CLI::App &command, Action &action);
void setup_umount(CLI::App &command, Action &action);
void setup_run(CLI::App &command, Action &action);

// -t/--types and -o/--options, as mount and run take them.
void add_fs_options(CLI::App &command, std::optional<std::string> &type,
                    std::vector<std::string> &options);

// A loop device a command bound for a mount, with what keeps it bound until
// mount(2) has it: the open device and, with xloop.ko, the handle that owns
// the attachment (so a command killed before the mount leaves nothing).
struct OwnAttachment {
	loopdev::Disk disk;
	std::unique_ptr<loopdev::LoopDevice> handle;
	Fd owner;
};

// Attach `image` for a mount with `loop`'s offset, size limit and read-only
// flag: through a handle where the driver has them, else with autoclear.
Result<OwnAttachment> attach_image(loopdev::LoopOs &os, const std::optional<std::string> &driver,
                                   const std::string &image, const mount::LoopOptions &loop);

// The type to mount `device` as: what libblkid finds on it, matched against
// /proc/filesystems (a Minix image is xminix when that is registered); ""
// when nothing is found.
std::string probed_kernel_type(const std::string &device);

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
