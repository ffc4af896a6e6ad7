#include "cli/hold_handle.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <array>

namespace xloop::cli
{

namespace
{

sigset_t hold_signals()
{
	sigset_t stops;
	sigemptyset(&stops);
	for (int sig : {SIGINT, SIGTERM, SIGHUP})
		sigaddset(&stops, sig);
	return stops;
}

} // namespace

void block_hold_signals()
{
	sigset_t stops = hold_signals();
	::sigprocmask(SIG_BLOCK, &stops, nullptr);
}

Result<HoldEnd> hold_until_detached(const Fd &handle)
{
	sigset_t stops = hold_signals();
	if (::sigprocmask(SIG_BLOCK, &stops, nullptr) != 0)
		return errno_error("sigprocmask");
	Fd signals(::signalfd(-1, &stops, SFD_CLOEXEC));
	if (!signals)
		return errno_error("signalfd");
	for (;;) {
		std::array<pollfd, 2> fds{{{handle.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}}};
		if (::poll(fds.data(), fds.size(), -1) < 0) {
			if (errno == EINTR)
				continue;
			return errno_error("poll");
		}
		if (fds[0].revents & (POLLHUP | POLLERR))
			return HoldEnd::detached;
		if (fds[1].revents & POLLIN)
			return HoldEnd::signalled;
	}
}

} // namespace xloop::cli
