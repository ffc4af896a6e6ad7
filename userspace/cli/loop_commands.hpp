// The losetup-like commands (attach, detach, list, status, resize, set), each
// set up from its own cmd_<name>.cpp, and what they share: the --driver option,
// naming devices, and printing errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "common/result.hpp"
#include "loopdev/disks.hpp"
#include "loopdev/driver.hpp"
#include "loopdev/loop_os.hpp"

namespace xloop::cli
{

void setup_attach(CLI::App &command, Action &action);
void setup_detach(CLI::App &command, Action &action);
void setup_list(CLI::App &command, Action &action);
void setup_status(CLI::App &command, Action &action);
void setup_resize(CLI::App &command, Action &action);
void setup_set(CLI::App &command, Action &action);

// --driver xloop|loop.
void add_driver_option(CLI::App &command, std::optional<std::string> &driver);

// What /dev and sysfs say about the drivers present.
loopdev::DriverProbe probe_drivers(loopdev::LoopOs &os);

// The driver named by --driver, or the default one.
Result<loopdev::Driver> chosen_driver(loopdev::LoopOs &os, const std::optional<std::string> &name);

// The drivers whose devices a listing covers: the one named by --driver, or all.
Result<std::vector<loopdev::Driver>> listed_drivers(loopdev::LoopOs &os,
                                                    const std::optional<std::string> &name);

// "xloop: <context>: <detail or strerror>" on stderr.
void report(const Error &error);

// A size option (--offset, --sizelimit, --sector-size): a number with a unit.
Result<std::uint64_t> size_option(const std::string &what, const std::string &text);

// -b/--sector-size: a size that fits the ioctl (the rest is the kernel's call).
Result<std::uint32_t> sector_size_option(const std::string &text);

// The disk a command's DEVICE argument names, whichever driver serves it.
Result<loopdev::Disk> named_disk(loopdev::LoopOs &os, const std::string &name);

// --direct-io / --autoclear style switches: "on" or "off".
Result<bool> on_off_option(const std::string &what, const std::string &text);

} // namespace xloop::cli
