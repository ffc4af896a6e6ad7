// Loop disks by name: resolving what the user typed (/dev/xloop3, xloop3, a
// symlink) to a disk of a known driver, and enumerating the disks that exist.
#pragma once

#include <string>
#include <vector>

#include "loopdev/driver.hpp"
#include "loopdev/loop_os.hpp"

namespace xloop::loopdev
{

struct Disk {
	std::string name; // kernel name: loop0, xloop3
	std::string path; // how to open it: what the user gave, else /dev/<name>
	Driver driver;
	unsigned number = 0;
};

// The disk an argument names.  ENOENT (or what stat says) for a missing
// node, ENODEV "not a loop device" for anything that is not a whole loop disk
// of one of `drivers`.
Result<Disk> resolve_disk(LoopOs &os, const std::vector<Driver> &drivers, const std::string &arg);

// The disk `number` of `driver`, by its /dev name.
Disk disk_of(const Driver &driver, unsigned number);

// The disks of `drivers` in the order /sys/block lists them (the order
// losetup shows); with `bound_only`, just those bound to a backing file.
// Without sysfs, /dev is scanned and each disk asked with LOOP_GET_STATUS64.
Result<std::vector<Disk>> list_disks(LoopOs &os, const std::vector<Driver> &drivers,
                                     bool bound_only);

// Whether a disk has a backing file: its sysfs loop/ group, else the ioctl.
bool is_bound(LoopOs &os, const Disk &disk);

} // namespace xloop::loopdev
