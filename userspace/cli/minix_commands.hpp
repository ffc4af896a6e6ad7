// Setup functions of the Minix filesystem commands (one cmd_<name>.cpp each),
// and the small helpers they share: messages and opening an image.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "common/result.hpp"
#include "minix/file_device.hpp"
#include "minix/filesystem.hpp"

namespace xloop::cli
{

void setup_mkfs(CLI::App &command, Action &action);
void setup_fsck(CLI::App &command, Action &action);
void setup_ls(CLI::App &command, Action &action);
void setup_cat(CLI::App &command, Action &action);
void setup_get(CLI::App &command, Action &action);
void setup_put(CLI::App &command, Action &action);
void setup_mkdir(CLI::App &command, Action &action);
void setup_rm(CLI::App &command, Action &action);
void setup_stat(CLI::App &command, Action &action);
void setup_inspect(CLI::App &command, Action &action);

// "xloop: <error message>" on stderr.
void print_error(const Error &error);

// An image opened as a filesystem; the device outlives the filesystem.
struct OpenImage {
	std::unique_ptr<minix::FileDevice> device;
	std::unique_ptr<minix::Filesystem> fs;
};

// Opens IMAGE read-only or read-write, locked against other commands
// (FileDevice::open); errors name the image.  Writers get the caller's
// uid/gid and the current time for new inodes.
Result<OpenImage> open_image(const std::string &path, bool writable, minix::FileDevice::Lock lock);

// --wait (the default) / --nowait: what a command does when another holds
// the image's lock.
void add_lock_options(CLI::App &command, minix::FileDevice::Lock &lock);

// A path inside the image split into its directory's inode and last name
// ("/a/b" -> inode of /a, "b").  The name is empty for "/".
struct ParentAndName {
	uint32_t dir;
	std::string name;
};
Result<ParentAndName> resolve_parent(minix::Filesystem &fs, const std::string &path);

// Copies a file of the image to a host descriptor (cat, get).
Status copy_out(minix::Filesystem &fs, uint32_t ino, int fd, const std::string &what);

// Does the host file with this stat hold the data of the image at `image`:
// the same file, the same device, the file under a loop (or xloop) device
// image, a loop device (or one of its partitions) over an image file, or
// two loop devices over one file?  Says how, for the message.
std::optional<std::string> shares_image_data(const struct stat &host, const std::string &image);

// "drwxr-xr-x" for a mode.
std::string mode_string(uint16_t mode);

// Closes a written image: writes back every dirty block, then syncs.
int finish_write(OpenImage &image, const std::string &path);

} // namespace xloop::cli
