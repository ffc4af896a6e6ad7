#include "cli/commands.hpp"
#include "cli/loop_commands.hpp"
#include "cli/minix_commands.hpp"
#include "cli/mount_commands.hpp"

namespace xloop::cli
{

std::span<const CommandSpec> command_table()
{
	static constexpr CommandSpec table[] = {
	        {"attach", "attach a file to a loop device (as losetup -f --show)", 1,
	         setup_attach},
	        {"detach", "detach loop devices (as losetup -d, -D)", 1, setup_detach},
	        {"list", "list loop devices (as losetup --list)", 1, setup_list},
	        {"status", "show a loop device's backing file (as losetup DEV, -a)", 1,
	         setup_status},
	        {"resize", "resize a loop device to its backing file (as losetup -c)", 1,
	         setup_resize},
	        {"set", "change a loop device's direct I/O, sector size or flags", 1, setup_set},
	        {"mount", "mount an image, a device, LABEL= or UUID= (as mount(8))", 1,
	         setup_mount},
	        {"umount", "unmount and detach the loop device it used (as umount(8))", 1,
	         setup_umount},
	        {"run", "run a command with an image mounted privately, then unmount and detach",
	         125, setup_run},
	        {"mkfs", "make a Minix filesystem (as mkfs.minix)", 16, setup_mkfs},
	        {"fsck", "check and repair a Minix filesystem (as fsck.minix)", 16, setup_fsck},
	        {"ls", "list a directory of a Minix image", 1, setup_ls},
	        {"cat", "print a file of a Minix image", 1, setup_cat},
	        {"get", "copy a file out of a Minix image", 1, setup_get},
	        {"put", "copy a host file into a Minix image", 1, setup_put},
	        {"mkdir", "make a directory in a Minix image", 1, setup_mkdir},
	        {"rm", "remove a file or tree from a Minix image", 1, setup_rm},
	        {"stat", "show an inode of a Minix image", 1, setup_stat},
	        {"inspect", "show a Minix image's superblock, usage and layout", 1, setup_inspect},
	        {nullptr, nullptr, 0, nullptr},
	};
	return std::span(table).first(std::size(table) - 1);
}

} // namespace xloop::cli
