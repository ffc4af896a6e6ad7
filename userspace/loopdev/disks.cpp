#include "loopdev/disks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "loopdev/sysfs.hpp"

namespace xloop::loopdev
{

namespace
{

std::string basename_of(const std::string &path)
{
	auto slash = path.find_last_of('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

const Driver *owner(const std::vector<Driver> &drivers, const std::string &name, unsigned &number)
{
	for (const Driver &driver : drivers) {
		if (auto n = driver.disk_number(name)) {
			number = *n;
			return &driver;
		}
	}
	return nullptr;
}

} // namespace

Disk disk_of(const Driver &driver, unsigned number)
{
	return {driver.disk_name(number), driver.device_path(number), driver, number};
}

Result<Disk> resolve_disk(LoopOs &os, const std::vector<Driver> &drivers, const std::string &arg)
{
	unsigned number = 0;
	std::string path = arg;
	if (arg.find('/') == std::string::npos && owner(drivers, arg, number))
		path = "/dev/" + arg;
	auto st = os.stat(path);
	if (!st)
		return Error(st.error().code(), arg);
	if (!S_ISBLK(st->mode))
		return Error(ENODEV, arg, "not a loop device");
	// The kernel's name for the node, whatever the node is called.
	std::string name;
	std::string link = "/sys/dev/block/" + std::to_string(major(st->rdev)) + ":" +
	                   std::to_string(minor(st->rdev));
	if (auto target = os.read_link(link))
		name = basename_of(*target);
	else if (auto real = os.real_path(path))
		name = basename_of(*real);
	else
		name = basename_of(path);
	const Driver *driver = owner(drivers, name, number);
	if (!driver)
		return Error(ENODEV, arg, "not a loop device");
	return Disk{name, path, *driver, number};
}

Result<std::vector<Disk>> list_disks(LoopOs &os, const std::vector<Driver> &drivers,
                                     bool bound_only)
{
	auto names = os.list_dir(kSysBlock);
	bool sysfs = names.ok();
	if (!sysfs)
		names = os.list_dir("/dev");
	if (!names)
		return names.error();
	std::vector<Disk> disks;
	for (const std::string &name : *names) {
		unsigned number = 0;
		const Driver *driver = owner(drivers, name, number);
		if (!driver)
			continue;
		Disk disk = disk_of(*driver, number);
		if (bound_only && !is_bound(os, disk))
			continue;
		disks.push_back(std::move(disk));
	}
	return disks;
}

bool is_bound(LoopOs &os, const Disk &disk)
{
	std::string dir = sysfs_dir(disk);
	if (os.exists(dir))
		return os.exists(dir + "/" + kLoopGroup + "/backing_file");
	auto device = os.open_device(disk.path, O_RDONLY);
	return device && (*device)->get_status().ok();
}

} // namespace xloop::loopdev
