// xloop set: change a bound device's direct I/O, sector size or flags
// (losetup --direct-io / -b on a device).
#include <memory>

#include "cli/loop_commands.hpp"
#include "loopdev/linux_os.hpp"
#include "loopdev/loop_context.hpp"

namespace xloop::cli
{

namespace
{

struct SetOptions {
	std::string device;
	std::string direct_io;
	std::optional<std::string> sector_size;
	std::string autoclear;
	bool partscan = false;
};

Status apply(loopdev::LoopContext &context, const loopdev::Disk &disk, const SetOptions &options)
{
	if (options.sector_size) {
		auto size = sector_size_option(*options.sector_size);
		if (!size)
			return size.error();
		if (Status st = context.set_sector_size(disk, *size); !st)
			return st;
	}
	// After the sector size: direct I/O may need the larger one.
	if (!options.direct_io.empty()) {
		auto on = on_off_option("--direct-io", options.direct_io);
		if (!on)
			return on.error();
		if (Status st = context.set_direct_io(disk, *on); !st)
			return st;
	}
	std::optional<bool> autoclear;
	if (!options.autoclear.empty()) {
		auto on = on_off_option("--autoclear", options.autoclear);
		if (!on)
			return on.error();
		autoclear = *on;
	}
	if (autoclear || options.partscan)
		return context.set_flags(disk, autoclear, options.partscan);
	return {};
}

int run_set(const SetOptions &options)
{
	loopdev::LinuxOs os;
	auto disk = named_disk(os, options.device);
	if (!disk) {
		report(disk.error());
		return 1;
	}
	loopdev::LoopContext context(os, disk->driver);
	if (Status st = apply(context, *disk, options); !st) {
		report(st.error());
		return 1;
	}
	return 0;
}

} // namespace

void setup_set(CLI::App &command, Action &action)
{
	auto options = std::make_shared<SetOptions>();
	command.add_option("DEVICE", options->device, "the device to change")->required();
	auto *dio = command.add_flag("--direct-io{on}", options->direct_io,
	                             "--direct-io[=on|off]: direct I/O to the backing file");
	auto *sector =
	        command.add_option("-b,--sector-size", options->sector_size, "logical sector size");
	auto *autoclear = command.add_flag("--autoclear{on}", options->autoclear,
	                                   "--autoclear[=on|off]: detach at the last close");
	auto *partscan = command.add_flag("-P,--partscan", options->partscan,
	                                  "scan for partitions (cannot be turned off)");
	command.callback([dio, sector, autoclear, partscan] {
		if (!dio->count() && !sector->count() && !autoclear->count() && !partscan->count())
			throw CLI::ValidationError(
			        "nothing to set: give --direct-io, --sector-size, --autoclear or "
			        "--partscan");
	});
	action = [options] { return run_set(*options); };
}

} // namespace xloop::cli
