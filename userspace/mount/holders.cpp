#include "mount/holders.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace xloop::mount
{

namespace
{

bool on_dev(const std::string &path, dev_t dev)
{
	struct stat st {
	};
	return stat(path.c_str(), &st) == 0 && st.st_dev == dev;
}

// A mapping of /proc/PID/maps on `dev`: its "major:minor" field.
bool maps_on_dev(const std::string &maps, dev_t dev)
{
	std::ifstream in(maps);
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream fields(line);
		std::string range, perms, offset, devno;
		unsigned long inode = 0;
		if (!(fields >> range >> perms >> offset >> devno >> inode) || !inode)
			continue;
		unsigned maj = 0, min = 0;
		if (std::sscanf(devno.c_str(), "%x:%x", &maj, &min) == 2 &&
		    makedev(maj, min) == dev)
			return true;
	}
	return false;
}

bool uses(const std::filesystem::path &proc, dev_t dev)
{
	for (const char *link : {"cwd", "root", "exe"})
		if (on_dev(proc / link, dev))
			return true;
	std::error_code ec;
	for (const auto &fd : std::filesystem::directory_iterator(proc / "fd", ec))
		if (on_dev(fd.path(), dev))
			return true;
	return maps_on_dev(proc / "maps", dev);
}

} // namespace

std::vector<Holder> processes_using(dev_t dev)
{
	std::vector<Holder> holders;
	std::error_code ec;
	for (const auto &entry : std::filesystem::directory_iterator("/proc", ec)) {
		std::string name = entry.path().filename();
		pid_t pid = 0;
		auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
		if (err != std::errc() || end != name.data() + name.size())
			continue;
		if (!uses(entry.path(), dev))
			continue;
		std::string command;
		std::ifstream(entry.path() / "comm") >> command;
		holders.push_back({pid, command});
	}
	std::sort(holders.begin(), holders.end(),
	          [](const Holder &a, const Holder &b) { return a.pid < b.pid; });
	return holders;
}

std::string describe(const std::vector<Holder> &holders)
{
	std::string out;
	for (const Holder &h : holders)
		out += (out.empty() ? "" : ", ") + std::to_string(h.pid) + " (" + h.command + ")";
	return out;
}

} // namespace xloop::mount
