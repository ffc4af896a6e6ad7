// xloop attach: bind a file to a loop device and print the device (losetup -f --show).
// With --handle, the attachment belongs to this process, which stays until the
// device is detached or it is told to stop: then the device goes (at once, or
// at its last close if something holds it open).
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/hold_handle.hpp"
#include "cli/loop_commands.hpp"
#include "loopdev/linux_os.hpp"
#include "loopdev/loop_context.hpp"

namespace xloop::cli
{

namespace
{

struct AttachOptions {
	std::string file;
	std::optional<std::string> device;
	std::optional<std::string> offset;
	std::optional<std::string> sizelimit;
	std::optional<std::string> sector_size;
	std::string direct_io;
	bool read_only = false;
	bool partscan = false;
	bool autoclear = false;
	bool no_overlap = false;
	bool handle = false;
	std::optional<std::string> driver;
};

// The request the options describe.
Result<loopdev::AttachRequest> request_of(const AttachOptions &options)
{
	loopdev::AttachRequest request;
	request.file = options.file;
	request.read_only = options.read_only;
	request.partscan = options.partscan;
	request.autoclear = options.autoclear;
	request.no_overlap = options.no_overlap;
	request.owned = options.handle;
	struct {
		const std::optional<std::string> &text;
		const char *what;
		std::uint64_t *value;
	} const sizes[] = {
	        {options.offset, "offset", &request.offset},
	        {options.sizelimit, "sizelimit", &request.sizelimit},
	};
	for (const auto &size : sizes) {
		if (!size.text)
			continue;
		auto value = size_option(size.what, *size.text);
		if (!value)
			return value.error();
		*size.value = *value;
	}
	if (options.sector_size) {
		auto value = sector_size_option(*options.sector_size);
		if (!value)
			return value.error();
		request.sector_size = *value;
	}
	if (!options.direct_io.empty()) {
		auto on = on_off_option("--direct-io", options.direct_io);
		if (!on)
			return on.error();
		request.direct_io = *on;
	}
	return request;
}

int run_attach(const AttachOptions &options)
{
	loopdev::LinuxOs os;
	auto request = request_of(options);
	if (!request) {
		report(request.error());
		return 1;
	}
	Result<loopdev::Driver> driver = chosen_driver(os, options.driver);
	if (driver && options.device) {
		// A named device is served by whichever driver owns its name.
		auto drivers = listed_drivers(os, options.driver);
		if (!drivers) {
			report(drivers.error());
			return 1;
		}
		auto disk = loopdev::resolve_disk(os, *drivers, *options.device);
		if (!disk) {
			report(disk.error());
			return 1;
		}
		driver = disk->driver;
		request->device = disk->path;
	}
	if (!driver) {
		report(driver.error());
		return 1;
	}
	// A holder's stop signals wait from before the attach: one in between
	// would end xloop before it holds (the kernel detaches then, but the
	// exit status would be the signal's, not 0).
	if (options.handle)
		block_hold_signals();
	loopdev::LoopContext context(os, *driver);
	auto attached = context.attach(*request);
	if (!attached) {
		const Error &error = attached.error();
		if (request->owned && error.code() == ENOSYS)
			report(Error(ENOSYS, error.context(),
			             "the driver has no handles (--handle needs xloop.ko)"));
		else
			report(error);
		return 1;
	}
	if (attached->offset_past_end)
		fmt::print(stderr,
		           "xloop: {}: warning: the offset is past the end of the file; "
		           "the device is empty\n",
		           options.file);
	else if (attached->partial_sector)
		fmt::print(stderr,
		           "xloop: {}: warning: the file does not fill its last 512-byte "
		           "sector; that partial sector is left out\n",
		           options.file);
	if (attached->direct_io_dropped)
		fmt::print(stderr,
		           "xloop: {}: warning: direct I/O is not possible with {} at this "
		           "offset and sector size; using buffered I/O\n",
		           attached->device, options.file);
	// AUTOCLEAR acts at the last close: ours, unless something else holds
	// the device (a mount, an open descriptor), and then it is gone.
	attached->handle.reset();
	if (request->autoclear && !attached->reused) {
		auto disk = named_disk(os, attached->device);
		if (!disk || !loopdev::is_bound(os, *disk))
			fmt::print(
			        stderr,
			        "xloop: {}: warning: detached again at once (--autoclear): nothing "
			        "else holds it open\n",
			        attached->device);
	}
	fmt::print("{}\n", attached->device);
	if (!attached->owner)
		return 0;
	// Whoever waits for the name has it before we wait.
	std::fflush(stdout);
	Result<HoldEnd> end = hold_until_detached(attached->owner);
	if (!end) {
		report(end.error());
		return 1;
	}
	return 0;
}

} // namespace

void setup_attach(CLI::App &command, Action &action)
{
	auto options = std::make_shared<AttachOptions>();
	command.add_option("FILE", options->file, "the backing file (or block device)")->required();
	command.add_option("--device", options->device,
	                   "bind this device (e.g. /dev/xloop3) instead of a free one");
	command.add_option("-o,--offset", options->offset, "start at this byte of the file");
	command.add_option("--sizelimit", options->sizelimit, "map at most this many bytes");
	command.add_option("-b,--sector-size", options->sector_size, "logical sector size");
	command.add_flag("-r,--read-only", options->read_only, "a read-only device");
	command.add_flag("--direct-io{on}", options->direct_io,
	                 "--direct-io[=on|off]: access the file with direct I/O (O_DIRECT)");
	command.add_flag("-P,--partscan", options->partscan, "scan the device for partitions");
	command.add_flag("--autoclear", options->autoclear,
	                 "detach when the last user closes the device (at once if nothing "
	                 "holds it open)");
	auto *no_overlap =
	        command.add_flag("-L,--nooverlap", options->no_overlap,
	                         "reuse a device with the same mapping; refuse an overlapping one");
	command.add_flag("--handle", options->handle,
	                 "own the attachment: stay until the device is detached or SIGINT, "
	                 "SIGTERM or SIGHUP comes, then detach it (xloop driver only)")
	        ->excludes(no_overlap)
	        ->excludes("--autoclear");
	add_driver_option(command, options->driver);
	action = [options] { return run_attach(*options); };
}

} // namespace xloop::cli
