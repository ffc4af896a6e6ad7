#include "loopdev/driver.hpp"

#include <linux/xloop.h>

#include <charconv>

namespace xloop::loopdev
{

Driver Driver::xloop_native()
{
	return {"xloop", XLOOP_DISK_PREFIX, "/dev/" XLOOP_CONTROL_NAME, false};
}

Driver Driver::stock_loop(bool drop_in_active)
{
	return {drop_in_active ? "xloop" : "loop", XLOOP_DROP_IN_DISK_PREFIX,
	        "/dev/" XLOOP_DROP_IN_CONTROL_NAME, drop_in_active};
}

std::string Driver::disk_name(unsigned number) const
{
	return disk_prefix + std::to_string(number);
}

std::string Driver::device_path(unsigned number) const
{
	return "/dev/" + disk_name(number);
}

std::optional<unsigned> Driver::disk_number(std::string_view disk) const
{
	if (!disk.starts_with(disk_prefix))
		return std::nullopt;
	std::string_view digits = disk.substr(disk_prefix.size());
	// Digits only, no leading zero (loop01 is not a name the drivers give).
	if (digits.empty() || (digits.size() > 1 && digits.front() == '0'))
		return std::nullopt;
	unsigned number = 0;
	auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
	if (ec != std::errc() || end != digits.data() + digits.size())
		return std::nullopt;
	return number;
}

Result<Driver> choose_driver(std::optional<std::string_view> requested, const DriverProbe &probe)
{
	if (!requested) {
		if (probe.xloop_control || !probe.drop_in_active)
			return probe.xloop_control ? Driver::xloop_native()
			                           : Driver::stock_loop(false);
		return Driver::stock_loop(true);
	}
	if (*requested == "xloop") {
		// Without the native control device, a drop-in xloop is still xloop.
		if (!probe.xloop_control && probe.drop_in_active)
			return Driver::stock_loop(true);
		return Driver::xloop_native();
	}
	if (*requested == "loop")
		return Driver::stock_loop(probe.drop_in_active);
	return Error(EINVAL, "--driver",
	             "unknown driver '" + std::string(*requested) + "' (expected xloop or loop)");
}

std::vector<Driver> all_drivers(const DriverProbe &probe)
{
	return {Driver::stock_loop(probe.drop_in_active), Driver::xloop_native()};
}

bool parameter_enabled(std::string_view contents)
{
	return !contents.empty() &&
	       (contents.front() == 'Y' || contents.front() == 'y' || contents.front() == '1');
}

} // namespace xloop::loopdev
