// xloop detach: unbind devices, named or by backing file (losetup -d / -D).
#include <sys/stat.h>

#include <memory>

#include "cli/loop_commands.hpp"
#include "loopdev/linux_os.hpp"
#include "loopdev/loop_context.hpp"

namespace xloop::cli
{

namespace
{

struct DetachOptions {
	std::vector<std::string> targets;
	bool all = false;
	std::optional<std::string> driver;
};

// Detach every device of `drivers` backed by the file `target`; false (with
// the failures reported) unless all went.
bool detach_backed_by(loopdev::LoopOs &os, const std::vector<loopdev::Driver> &drivers,
                      const std::string &target, const loopdev::FileInfo &file)
{
	auto users = loopdev::find_backing(os, drivers, file);
	if (!users) {
		report(users.error());
		return false;
	}
	if (users->empty()) {
		report(Error(ENXIO, target, "no loop device is attached to it"));
		return false;
	}
	bool ok = true;
	for (const loopdev::DeviceInfo &user : *users) {
		loopdev::LoopContext context(os, user.disk.driver);
		if (Status st = context.detach(user.disk); !st) {
			report(st.error());
			ok = false;
		}
	}
	return ok;
}

// Detach the device `target` names, or the devices backed by that file.
bool detach_target(loopdev::LoopOs &os, const std::vector<loopdev::Driver> &drivers,
                   const std::string &target)
{
	auto disk = loopdev::resolve_disk(os, drivers, target);
	if (disk) {
		Status st = loopdev::LoopContext(os, disk->driver).detach(*disk);
		if (!st)
			report(st.error());
		return st.ok();
	}
	// Not a loop device: perhaps a file (or block device) loop devices use.
	auto file = os.stat(target);
	if (file && (S_ISREG(file->mode) || S_ISBLK(file->mode)))
		return detach_backed_by(os, drivers, target, *file);
	report(disk.error());
	return false;
}

// Every bound device of the driver; one that went away meanwhile counts as detached.
bool detach_all(loopdev::LoopOs &os, const std::optional<std::string> &driver_name)
{
	auto driver = chosen_driver(os, driver_name);
	if (!driver) {
		report(driver.error());
		return false;
	}
	auto disks = loopdev::list_disks(os, {*driver}, true);
	if (!disks) {
		report(disks.error());
		return false;
	}
	loopdev::LoopContext context(os, *driver);
	bool ok = true;
	for (const loopdev::Disk &disk : *disks) {
		Status st = context.detach(disk);
		if (!st && st.error().code() != ENXIO) {
			report(st.error());
			ok = false;
		}
	}
	return ok;
}

int run_detach(const DetachOptions &options)
{
	loopdev::LinuxOs os;
	if (options.all)
		return detach_all(os, options.driver) ? 0 : 1;
	auto drivers = listed_drivers(os, options.driver);
	if (!drivers) {
		report(drivers.error());
		return 1;
	}
	bool ok = true;
	for (const std::string &target : options.targets)
		ok = detach_target(os, *drivers, target) && ok;
	return ok ? 0 : 1;
}

} // namespace

void setup_detach(CLI::App &command, Action &action)
{
	auto options = std::make_shared<DetachOptions>();
	auto *targets =
	        command.add_option("DEVICE|FILE", options->targets,
	                           "devices to detach, or backing files whose devices to detach");
	auto *all = command.add_flag("-a,--all", options->all,
	                             "detach every bound device of the driver");
	targets->excludes(all);
	add_driver_option(command, options->driver);
	command.callback([targets, all] {
		if (targets->count() == 0 && all->count() == 0)
			throw CLI::ValidationError(
			        "a device or file to detach, or --all, is required");
	});
	action = [options] { return run_detach(*options); };
}

} // namespace xloop::cli
