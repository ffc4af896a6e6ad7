// xloop status: one line per bound device, as `losetup DEV` and `losetup -a`
// print it: "/dev/loop0: [0028]:4 (/tmp/a.img), offset 4096, sizelimit 1048576".
#include <fmt/format.h>

#include <memory>

#include "cli/loop_commands.hpp"
#include "loopdev/device_info.hpp"
#include "loopdev/linux_os.hpp"

namespace xloop::cli
{

namespace
{

struct StatusOptions {
	std::optional<std::string> device;
	std::optional<std::string> driver;
};

void print_status(const loopdev::DeviceInfo &info)
{
	// The backing device number as the kernel encodes it in lo_device.
	std::string line =
	        fmt::format("{}: [{:04}]:{} ({})", info.disk.path, info.backing_dev.value_or(0),
	                    info.backing_ino.value_or(0), info.backing_file);
	if (info.offset)
		line += fmt::format(", offset {}", info.offset);
	if (info.sizelimit)
		line += fmt::format(", sizelimit {}", info.sizelimit);
	fmt::print("{}\n", line);
}

// losetup's exit status: 0 bound, 1 not bound or not a loop device, 2 other errors.
int status_of_device(loopdev::LoopOs &os, const std::vector<loopdev::Driver> &drivers,
                     const std::string &name)
{
	auto disk = loopdev::resolve_disk(os, drivers, name);
	if (!disk) {
		report(disk.error());
		return 1;
	}
	auto info = loopdev::read_device_info(os, *disk, true);
	if (!info) {
		report(info.error());
		return info.error().code() == ENXIO ? 1 : 2;
	}
	if (!info->bound) {
		report(Error(ENXIO, disk->path, "not attached to a file"));
		return 1;
	}
	print_status(*info);
	return 0;
}

int run_status(const StatusOptions &options)
{
	loopdev::LinuxOs os;
	auto drivers = listed_drivers(os, options.driver);
	if (!drivers) {
		report(drivers.error());
		return 1;
	}
	if (options.device)
		return status_of_device(os, *drivers, *options.device);
	auto disks = loopdev::list_disks(os, *drivers, true);
	if (!disks) {
		report(disks.error());
		return 2;
	}
	for (const loopdev::Disk &disk : *disks) {
		auto info = loopdev::read_device_info(os, disk, true);
		if (info && info->bound)
			print_status(*info);
	}
	return 0;
}

} // namespace

void setup_status(CLI::App &command, Action &action)
{
	auto options = std::make_shared<StatusOptions>();
	command.add_option("DEVICE", options->device,
	                   "the device to show (default: every bound one); exit status 1 if "
	                   "it is not attached");
	add_driver_option(command, options->driver);
	action = [options] { return run_status(*options); };
}

} // namespace xloop::cli
