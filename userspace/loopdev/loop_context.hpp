// Loop devices of one driver, handled the way losetup handles them: attach a
// file (find a free device, bind it atomically, check the result, never leave
// a half-bound device behind), detach, resize, change settings.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loopdev/device_info.hpp"
#include "loopdev/disks.hpp"
#include "loopdev/driver.hpp"
#include "loopdev/loop_os.hpp"

namespace xloop::loopdev
{

// How hard to try when the system is busy (the numbers losetup uses).
struct RetryPolicy {
	// Opening a device node udev is still setting up (ENOENT, EACCES).
	int open_attempts = 16;
	std::chrono::milliseconds open_delay{25};
	// Finding a free device and binding it, when another process gets the
	// device between LOOP_CTL_GET_FREE and our bind (EBUSY).
	int bind_attempts = 64;
	std::chrono::milliseconds bind_delay{200};
	// LOOP_SET_STATUS64 on old kernels while the page cache drains (EAGAIN).
	int status_attempts = 64;
	std::chrono::milliseconds status_delay{10};
};

struct AttachRequest {
	std::string file;
	std::optional<std::string> device; // bind this device (no retries), else find one
	std::uint64_t offset = 0;
	std::uint64_t sizelimit = 0;
	std::uint32_t sector_size = 0; // 0: the driver's default
	bool read_only = false;
	std::optional<bool> direct_io; // unset: whatever the driver picks (buffered)
	bool partscan = false;
	bool autoclear = false;
	bool no_overlap = false; // reuse an identical mapping, refuse an overlapping one
	// Bind through a handle (XLOOP_CTL_ATTACH) that owns the attachment:
	// Attached::owner.  Not with autoclear, which the handle's end implies.
	bool owned = false;
};

struct Attached {
	std::string device;
	bool reused = false;          // no_overlap found the same mapping already bound
	bool partial_sector = false;  // the tail of the file does not fill a sector
	bool offset_past_end = false; // the device maps nothing
	// Direct I/O was asked for, but the driver found it impossible with this
	// file, offset and sector size and uses buffered I/O (losetup accepts
	// that silently; the tool warns).
	bool direct_io_dropped = false;
	// The open device, for callers that must hold it (an AUTOCLEAR device
	// goes away at its last close); empty when reused.
	std::unique_ptr<LoopDevice> handle;
	// With AttachRequest::owned (and not reused): the handle, whose last
	// close ends the attachment, and the device's diskseq of this binding.
	Fd owner;
	std::uint64_t diskseq = 0;
};

// The bound devices of `drivers` whose backing file is `file` (the same
// device and inode), optionally only those mapping it from `offset`.
Result<std::vector<DeviceInfo>> find_backing(LoopOs &os, const std::vector<Driver> &drivers,
                                             const FileInfo &file,
                                             std::optional<std::uint64_t> offset = std::nullopt);

class LoopContext
{
public:
	LoopContext(LoopOs &os, Driver driver, RetryPolicy retry = {})
	    : os_(os), driver_(std::move(driver)), retry_(retry)
	{
	}

	const Driver &driver() const { return driver_; }

	Result<Attached> attach(const AttachRequest &request);
	Status detach(const Disk &disk);
	Status resize(const Disk &disk);
	Status set_direct_io(const Disk &disk, bool on);
	Status set_sector_size(const Disk &disk, std::uint32_t size);
	// The two flags LOOP_SET_STATUS64 can change (PARTSCAN only on).
	Status set_flags(const Disk &disk, std::optional<bool> autoclear, bool partscan);

	// Open a device node, waiting for udev as losetup does; O_RDWR falls
	// back to O_RDONLY on EACCES/EROFS when `allow_read_only`.
	Result<std::unique_ptr<LoopDevice>> open_device(const std::string &path,
	                                                bool allow_read_only);

private:
	Result<std::unique_ptr<BackingFile>> open_backing(const AttachRequest &request);
	Result<std::optional<std::string>> find_overlap(const AttachRequest &request,
	                                                const FileInfo &file);
	Result<bool> prepare_reuse(const std::string &path, const AttachRequest &request,
	                           const FileInfo &file);
	// losetup's answer to a chosen device whose node does not exist: the
	// driver creates it (LOOP_CTL_ADD with the number in its name).
	Status create_missing(const std::string &path);
	Result<std::unique_ptr<LoopDevice>> bind(const std::string &path, const BackingFile &file,
	                                         const loop_config &config);
	Status bind_legacy(LoopDevice &device, const BackingFile &file, const loop_config &config,
	                   const Error &configure_error);
	Status check_bound(LoopDevice &device, const AttachRequest &request,
	                   std::uint64_t expected_size, Attached &result);
	Result<Attached> attach_owned(const AttachRequest &request, const loop_config &config,
	                              std::uint64_t expected_size, Attached result);
	Result<std::unique_ptr<LoopDevice>> open_for_change(const Disk &disk);

	LoopOs &os_;
	Driver driver_;
	RetryPolicy retry_;
};

} // namespace xloop::loopdev
