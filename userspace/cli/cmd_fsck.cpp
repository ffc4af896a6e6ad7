// xloop fsck: check a Minix filesystem as fsck.minix does, and more (see
// minix/fsck.hpp).  Exit status as fsck.minix: 0 clean, 3 corrected, 4
// uncorrected, 7 both, 8 operational error, 16 usage.
#include <termios.h>
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

// The terminal answers one key at a time, without echo, while it lives
// (fsck.minix: a "y" needs no Enter); restored on destruction.  Interrupt
// keys are plain keys meanwhile (ignored): a signal would leave the
// terminal so, and a repair is not to be cut off half-way (fsck.minix
// ignores SIGINT).
class SingleKeys
{
public:
	explicit SingleKeys(int fd) : fd_(fd), saved_ok_(::tcgetattr(fd, &saved_) == 0)
	{
		if (!saved_ok_)
			return;
		termios raw = saved_;
		raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		::tcsetattr(fd_, TCSANOW, &raw);
	}
	~SingleKeys()
	{
		if (saved_ok_)
			::tcsetattr(fd_, TCSANOW, &saved_);
	}
	SingleKeys(const SingleKeys &) = delete;
	SingleKeys &operator=(const SingleKeys &) = delete;

private:
	int fd_;
	termios saved_{};
	bool saved_ok_;
};

// -r: "<problem><question> (y/n)? " on the terminal, as fsck.minix asks
// ("...marked used in the bitmap.Clear (y/n)? "): y or n, or Enter, a space
// or the end of input (Ctrl-D) for the default, yes; other keys are ignored.
bool ask_on_terminal(const std::string &question)
{
	std::fprintf(stdout, "%s (y/n)? ", question.c_str());
	std::fflush(stdout);
	bool yes = true;
	{
		SingleKeys keys(STDIN_FILENO);
		for (;;) {
			int c = std::getchar();
			// Ctrl-D, which the terminal passes on as a key now: end of input.
			if (c == EOF || c == '\n' || c == ' ' || c == '\x04')
				break;
			if (c == 'y' || c == 'Y' || c == 'n' || c == 'N') {
				yes = c == 'y' || c == 'Y';
				break;
			}
		}
	}
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
		fmt::print("----------------------------\n"
		           "FILE SYSTEM HAS BEEN CHANGED\n"
		           "----------------------------\n");
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
