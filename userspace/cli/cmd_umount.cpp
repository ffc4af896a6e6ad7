// xloop umount: unmount a mount point, a device or an image (wherever the
// loop devices backed by it are mounted) through libmount as umount(8)
// does, then detach the loop or xloop device the mount used.
#include <sys/stat.h>

#include <fmt/format.h>

#include "cli/loop_commands.hpp"
#include "cli/mount_commands.hpp"
#include "loopdev/linux_os.hpp"
#include "loopdev/loop_context.hpp"
#include "mount/holders.hpp"

namespace xloop::cli
{

namespace
{

constexpr int kUsage = 1, kSystem = 2, kFailure = 32;

struct UmountOptions {
	std::string target;
	bool lazy = false;
	bool force = false;
	bool recursive = false;
	std::optional<std::string> driver;
};

// Where the loop devices backed by the file `image` are mounted.
Result<std::vector<std::string>> mounts_of_image(loopdev::LoopOs &os,
                                                 const std::optional<std::string> &driver,
                                                 const std::string &image)
{
	Result<std::vector<loopdev::Driver>> drivers = listed_drivers(os, driver);
	if (!drivers)
		return drivers.error();
	Result<loopdev::FileInfo> file = os.stat(image);
	if (!file)
		return file.error();
	Result<std::vector<loopdev::DeviceInfo>> users = loopdev::find_backing(os, *drivers, *file);
	if (!users)
		return users.error();
	Result<MountTable> table = read_mount_table();
	if (!table)
		return table.error();
	Result<MountIter> iter = mount_iter(MNT_ITER_BACKWARD);
	if (!iter)
		return iter.error();
	// The latest mounts first, as umount(8) takes them.
	std::vector<std::string> targets;
	libmnt_fs *fs = nullptr;
	while (mnt_table_next_fs(table->get(), iter->get(), &fs) == 0)
		for (const loopdev::DeviceInfo &user : *users)
			if (mnt_fs_streq_srcpath(fs, user.disk.path.c_str()))
				targets.emplace_back(mnt_fs_get_target(fs));
	return targets;
}

// Unmount `target`; then detach the loop device that was its source.
int umount_one(loopdev::LoopOs &os, const UmountOptions &o, const std::string &target)
{
	MountContext cxt(mnt_new_context());
	if (!cxt) {
		report(Error(ENOMEM, "libmount context"));
		return kSystem;
	}
	mnt_context_set_target(cxt.get(), target.c_str());
	mnt_context_enable_lazy(cxt.get(), o.lazy);
	mnt_context_enable_force(cxt.get(), o.force);
	// Which device it is on, for the holders of a busy one.
	struct stat where {
	};
	bool known = stat(target.c_str(), &where) == 0;
	int code = report_libmount(cxt.get(), mnt_context_umount(cxt.get()));
	if (code != 0 && known && mnt_context_get_syscall_errno(cxt.get()) == EBUSY) {
		std::string held = mount::describe(mount::processes_using(where.st_dev));
		if (!held.empty())
			fmt::print(stderr, "xloop: {}: in use by {}\n", target, held);
	}
	const char *source = mnt_context_get_source(cxt.get());
	if (code != 0 || !source)
		return code;
	Result<loopdev::Disk> disk = named_disk(os, source);
	if (!disk || !loopdev::is_bound(os, *disk))
		return code;
	// Still open elsewhere (umount -l, another mount): it goes at its
	// last close, as the drivers do for a busy LOOP_CLR_FD.
	Status st = loopdev::LoopContext(os, disk->driver).detach(*disk);
	if (!st && st.error().code() != ENXIO)
		report(st.error());
	return code;
}

// -R: the mounts below `fs` first, deepest first, then `fs`; stops at the
// first failure, as umount(8) -R does.
int umount_tree(loopdev::LoopOs &os, const UmountOptions &o, libmnt_table *table, libmnt_fs *fs)
{
	Result<MountIter> iter = mount_iter(MNT_ITER_BACKWARD);
	if (!iter) {
		report(iter.error());
		return kSystem;
	}
	libmnt_fs *child = nullptr;
	while (mnt_table_next_child_fs(table, iter->get(), fs, &child) == 0)
		if (int code = umount_tree(os, o, table, child); code != 0)
			return code;
	return umount_one(os, o, mnt_fs_get_target(fs));
}

int umount_recursive(loopdev::LoopOs &os, const UmountOptions &o)
{
	Result<MountTable> table = read_mount_table();
	if (!table) {
		report(table.error());
		return kSystem;
	}
	libmnt_fs *fs = mnt_table_find_target(table->get(), o.target.c_str(), MNT_ITER_BACKWARD);
	if (!fs) {
		// umount(8) -R's words and status for this one.
		fmt::print(stderr, "xloop: {}: not mounted\n", o.target);
		return kUsage;
	}
	return umount_tree(os, o, table->get(), fs);
}

int run_umount(const UmountOptions &o)
{
	loopdev::LinuxOs os;
	if (o.recursive)
		return umount_recursive(os, o);
	struct stat st {
	};
	if (stat(o.target.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
		return umount_one(os, o, o.target);
	Result<std::vector<std::string>> targets = mounts_of_image(os, o.driver, o.target);
	if (!targets) {
		report(targets.error());
		return kFailure;
	}
	if (targets->empty()) {
		fmt::print(stderr, "xloop: {}: not mounted.\n", o.target);
		return kFailure;
	}
	int worst = 0;
	for (const std::string &target : *targets)
		worst = std::max(worst, umount_one(os, o, target));
	return worst;
}

} // namespace

void setup_umount(CLI::App &command, Action &action)
{
	auto options = std::make_shared<UmountOptions>();
	command.add_option("TARGET", options->target, "a mount point, a device or an image file")
	        ->required();
	command.add_flag("-l,--lazy", options->lazy,
	                 "detach it now, clean up when it is no longer busy");
	command.add_flag("-f,--force", options->force, "force it (an unreachable NFS server)");
	command.add_flag("-R,--recursive", options->recursive,
	                 "the mounts below it first, deepest first; stop at a failure");
	add_driver_option(command, options->driver);
	action = [options] { return run_umount(*options); };
}

} // namespace xloop::cli
