// Which loop driver the tool talks to, and the names its devices go by:
// xloop native (/dev/xloop-control, /dev/xloopN), xloop in drop-in mode, or
// the stock loop driver (/dev/loop-control, /dev/loopN; in drop-in mode those
// names belong to xloop).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace xloop::loopdev
{

struct Driver {
	std::string name;        // who serves the devices: "xloop" or "loop" (DRIVER column)
	std::string disk_prefix; // "xloop" or "loop": disks are <prefix>N, partitions <prefix>NpM
	std::string control;     // the control device, e.g. /dev/xloop-control
	bool drop_in = false;    // xloop serving loop.ko's names and numbers

	static Driver xloop_native();
	static Driver stock_loop(bool drop_in_active);

	std::string device_path(unsigned number) const;
	std::string disk_name(unsigned number) const;
	// N for a whole-disk name "<prefix>N"; nothing for partitions or others.
	std::optional<unsigned> disk_number(std::string_view name) const;
	bool operator==(const Driver &other) const = default;
};

// What the system shows about the drivers present.
struct DriverProbe {
	bool xloop_control = false;  // /dev/xloop-control exists
	bool drop_in_active = false; // xloop's drop_in parameter reads Y
};

// The driver for `--driver xloop|loop`, or the default: xloop when its control
// device exists (native, else drop-in when that is active), else stock loop.
// EINVAL for any other name.
Result<Driver> choose_driver(std::optional<std::string_view> requested, const DriverProbe &probe);

// Every driver whose devices could exist: xloop native and the loop names.
std::vector<Driver> all_drivers(const DriverProbe &probe);

// "Y"/"1" in a boolean module parameter file.
bool parameter_enabled(std::string_view contents);

} // namespace xloop::loopdev
