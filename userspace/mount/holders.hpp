// Which processes hold a file system (fuser -m's answer): a working or root
// directory, an executable, an open file or a mapped file on it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace xloop::mount
{

struct Holder {
	pid_t pid;
	std::string command; // /proc/PID/comm
};

// The processes (of those /proc lets us see) using the file system whose
// st_dev is `dev`, by pid.
std::vector<Holder> processes_using(dev_t dev);

// "PID (COMMAND), PID (COMMAND)...".
std::string describe(const std::vector<Holder> &holders);

} // namespace xloop::mount
