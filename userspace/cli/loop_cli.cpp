// What the loop commands share (see loop_commands.hpp).
#include <linux/xloop.h>

#include <fmt/format.h>

#include "cli/loop_commands.hpp"
#include "loopdev/loop_model.hpp"
#include "loopdev/size_parse.hpp"

namespace xloop::cli
{

void add_driver_option(CLI::App &command, std::optional<std::string> &driver)
{
	command.add_option("--driver", driver,
	                   "loop driver: xloop or loop (default: xloop when "
	                   "/dev/" XLOOP_CONTROL_NAME " exists, else loop)")
	        ->check(CLI::IsMember({"xloop", "loop"}));
}

loopdev::DriverProbe probe_drivers(loopdev::LoopOs &os)
{
	loopdev::DriverProbe probe;
	probe.xloop_control = os.exists("/dev/" XLOOP_CONTROL_NAME);
	if (auto drop_in = os.read_file(XLOOP_SYSFS_DROP_IN))
		probe.drop_in_active = loopdev::parameter_enabled(*drop_in);
	return probe;
}

Result<loopdev::Driver> chosen_driver(loopdev::LoopOs &os, const std::optional<std::string> &name)
{
	std::optional<std::string_view> requested;
	if (name)
		requested = *name;
	return loopdev::choose_driver(requested, probe_drivers(os));
}

Result<std::vector<loopdev::Driver>> listed_drivers(loopdev::LoopOs &os,
                                                    const std::optional<std::string> &name)
{
	if (!name)
		return loopdev::all_drivers(probe_drivers(os));
	auto driver = chosen_driver(os, name);
	if (!driver)
		return driver.error();
	return std::vector<loopdev::Driver>{*driver};
}

void report(const Error &error)
{
	fmt::print(stderr, "xloop: {}\n", error.message());
}

Result<std::uint64_t> size_option(const std::string &what, const std::string &text)
{
	auto size = loopdev::parse_size(text);
	if (!size)
		return size.error().within("failed to parse " + what);
	return size;
}

Result<std::uint32_t> sector_size_option(const std::string &text)
{
	auto size = size_option("sector size", text);
	if (!size)
		return size.error();
	// Zero asks for the driver's default (losetup -b 0).
	if (*size != 0) {
		if (Status st = loopdev::check_sector_size(*size, "--sector-size"); !st)
			return st.error();
	}
	return static_cast<std::uint32_t>(*size);
}

Result<loopdev::Disk> named_disk(loopdev::LoopOs &os, const std::string &name)
{
	return loopdev::resolve_disk(os, loopdev::all_drivers(probe_drivers(os)), name);
}

Result<bool> on_off_option(const std::string &what, const std::string &text)
{
	if (text == "on")
		return true;
	if (text == "off")
		return false;
	return Error(EINVAL, what, "expected on or off, not '" + text + "'");
}

} // namespace xloop::cli
