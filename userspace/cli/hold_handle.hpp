// Holding an attachment's handle (XLOOP_CTL_ATTACH) for as long as the
// attachment should live: until the device is detached by anyone, or this
// process is asked to stop.
#pragma once

#include <string>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace xloop::cli
{

// Why the hold ended.
enum class HoldEnd {
	detached, // the device was detached (the handle reported EPOLLHUP)
	signalled // SIGINT, SIGTERM or SIGHUP came
};

// Block SIGINT, SIGTERM and SIGHUP, which end a hold (call before the
// attach, so that none is lost or ends the process before the hold).
void block_hold_signals();

// Wait on `handle` with those signals blocked and read from a signalfd (so
// no handler runs and nothing is lost between the checks).  The caller
// closes the handle afterwards, which ends the attachment.
Result<HoldEnd> hold_until_detached(const Fd &handle);

} // namespace xloop::cli
