// Detach, resize and the settings of a bound device.
#include <fcntl.h>

#include "loopdev/loop_context.hpp"
#include "loopdev/loop_model.hpp"

namespace xloop::loopdev
{

Status LoopContext::detach(const Disk &disk)
{
	// LOOP_CLR_FD needs no write access; a read-only open is enough.
	auto device = os_.open_device(disk.path, O_RDONLY);
	if (!device)
		return device.error();
	return (*device)->clear_fd();
}

Result<std::unique_ptr<LoopDevice>> LoopContext::open_for_change(const Disk &disk)
{
	// The setters want a writable open (or CAP_SYS_ADMIN, which a
	// read-only open then still satisfies).
	return open_device(disk.path, true);
}

Status LoopContext::resize(const Disk &disk)
{
	auto device = open_for_change(disk);
	if (!device)
		return device.error();
	return (*device)->set_capacity();
}

Status LoopContext::set_direct_io(const Disk &disk, bool on)
{
	auto device = open_for_change(disk);
	if (!device)
		return device.error();
	return (*device)->set_direct_io(on);
}

Status LoopContext::set_sector_size(const Disk &disk, std::uint32_t size)
{
	if (Status st = check_sector_size(size, disk.path); !st)
		return st;
	auto device = open_for_change(disk);
	if (!device)
		return device.error();
	return (*device)->set_block_size(size);
}

Status LoopContext::set_flags(const Disk &disk, std::optional<bool> autoclear, bool partscan)
{
	auto device = open_for_change(disk);
	if (!device)
		return device.error();
	// LOOP_SET_STATUS64 replaces offset, limit and name too: start from now.
	auto info = (*device)->get_status();
	if (!info)
		return info.error();
	loop_info64 next = *info;
	std::uint32_t flags = next.lo_flags & kSetStatusSettableFlags;
	if (autoclear)
		flags = *autoclear ? flags | LO_FLAGS_AUTOCLEAR : flags & ~LO_FLAGS_AUTOCLEAR;
	if (partscan)
		flags |= LO_FLAGS_PARTSCAN;
	next.lo_flags = flags;
	return (*device)->set_status(next);
}

} // namespace xloop::loopdev
