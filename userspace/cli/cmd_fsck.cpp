// xloop fsck: check a Minix filesystem as fsck.minix does, and more (see
// minix/fsck.hpp).  Exit status as fsck.minix: 0 clean, 3 corrected, 4
// uncorrected, 7 both, 8 operational error, 16 usage.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli/minix_commands.hpp"
#include "minix/fsck.hpp"

namespace xloop::cli
{

namespace
{

struct FsckArgs {
	minix::FileDevice::Lock lock = minix::FileDevice::Lock::wait;
	minix::FsckOptions opts;
	std::string target;
	bool auto_repair = false; // -a
	bool interactive = false; // -r
};

// -r: "<problem> (y/n)? " on the terminal, as fsck.minix asks; y or n, and
// a bare Enter or end of input takes the default, yes.
bool ask_on_terminal(const std::string &question)
{
	std::fprintf(stdout, "%s (y/n)? ", question.c_str());
	std::fflush(stdout);
	int c = std::getchar();
	bool yes = c != 'n' && c != 'N';
	while (c != EOF && c != '\n')
		c = std::getchar();
	std::fprintf(stdout, "%s\n", yes ? "y" : "n");
	return yes;
}

int run_fsck(FsckArgs &args)
{
	args.opts.repair = args.auto_repair;
	// -r without -a asks; fsck.minix needs a terminal for that.
	if (args.interactive && !args.auto_repair) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			print_error(Error(ENOTTY, args.target,
			                  "need terminal for interactive repairs"));
			return 8;
		}
		args.opts.repair = true;
		args.opts.ask = ask_on_terminal;
	}
	using minix::FileDevice;
	Result<FileDevice> dev = FileDevice::open(args.target,
	                                          args.opts.repair ? FileDevice::Mode::read_write
	                                                           : FileDevice::Mode::read_only,
	                                          args.lock);
	if (!dev) {
		print_error(dev.error());
		return 8;
	}
	args.opts.name = args.target;
	args.opts.print = [](const std::string &line) { fmt::print("{}\n", line); };
	Result<minix::FsckResult> result = minix::fsck(*dev, args.opts);
	if (!result) {
		print_error(result.error().within(args.target));
		return 8;
	}
	if (result->skipped) {
		if (args.opts.repair)
			fmt::print("{} is clean, no check.\n", args.target);
		return 0;
	}
	if (result->changed)
		fmt::print("----- FILE SYSTEM HAS BEEN CHANGED -----\n");
	return result->exit_code;
}

} // namespace

void setup_fsck(CLI::App &cmd, Action &action)
{
	auto args = std::make_shared<FsckArgs>();
	cmd.add_flag("-a,--auto", args->auto_repair, "repair automatically");
	cmd.add_flag("-r,--repair", args->interactive,
	             "repair interactively: ask about each problem (needs a terminal)");
	cmd.add_flag("-m,--uncleared", args->opts.warn_mode,
	             "warn about unused inodes whose mode is not cleared");
	cmd.add_flag("-f,--force", args->opts.force,
	             "check even if the filesystem is marked clean");
	cmd.add_flag("-l,--list", args->opts.list, "list all file names");
	cmd.add_flag("-v,--verbose", args->opts.verbose, "print usage statistics");
	cmd.add_flag("-s,--super", args->opts.super, "print superblock information");
	cmd.add_option("target", args->target, "image file or block device")->required();
	add_lock_options(cmd, args->lock);
	action = [args] { return run_fsck(*args); };
}

} // namespace xloop::cli
