// The mount(8)-like commands (mount, umount), through util-linux libmount,
// and what they share: mount(8)'s way of reporting a libmount result.
#pragma once

#include <libmount.h>

#include <memory>

#include "cli/commands.hpp"

namespace xloop::cli
{

void setup_mount(CLI::App &command, Action &action);
void setup_umount(CLI::App &command, Action &action);

struct FreeMountContext {
	void operator()(libmnt_context *cxt) const { mnt_free_context(cxt); }
};
using MountContext = std::unique_ptr<libmnt_context, FreeMountContext>;

// After mnt_context_mount() or _umount() returned `rc`: mount(8)'s message
// ("xloop: TARGET: what happened.") on stderr if there is one, and its exit
// code (0, 1 usage or permission, 2 system error, 32 failure...).
int report_libmount(libmnt_context *cxt, int rc);

} // namespace xloop::cli
