// xloop run: attach an image through a handle, mount it in a private mount
// namespace on a temporary directory, run a command there ($XLOOP_MOUNT), and
// when the command ends, or xloop is killed by any signal, the mount and the
// device are gone.  Exit status: the command's (128+N when a signal N ended
// it), 125 when xloop itself failed, 126 when the command could not be run,
// 127 when it was not found (as env(1) and chroot(1)).
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "cli/loop_commands.hpp"
#include "cli/mount_commands.hpp"
#include "loopdev/linux_os.hpp"

namespace xloop::cli
{

namespace
{

constexpr int kUsage = 1, kFailed = 125, kCannotRun = 126, kNotFound = 127;

struct RunOptions {
	std::string image;
	std::vector<std::string> command;
	std::optional<std::string> type;
	std::vector<std::string> options;
	bool read_only = false;
	std::optional<std::string> driver;
};

// The signals xloop passes on to the command (from kill(2); those a terminal
// sends reach the command's process group directly).
constexpr int kPassedOn[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// A temporary mount point, removed again (after its unmount) by its owner.
class MountDir
{
public:
	static Result<MountDir> make()
	{
		std::string base = access("/run", W_OK) == 0 ? "/run" : "/tmp";
		std::string path = base + "/xloop-run.XXXXXX";
		if (!mkdtemp(path.data()))
			return errno_error(base + "/xloop-run.XXXXXX");
		return MountDir(std::move(path));
	}
	MountDir(MountDir &&other) noexcept : path_(std::exchange(other.path_, {})) {}
	MountDir(const MountDir &) = delete;
	MountDir &operator=(const MountDir &) = delete;
	MountDir &operator=(MountDir &&) = delete;
	~MountDir()
	{
		if (!path_.empty())
			::rmdir(path_.c_str());
	}
	const std::string &path() const { return path_; }

private:
	explicit MountDir(std::string path) : path_(std::move(path)) {}
	std::string path_;
};

// The child: the command, with $XLOOP_MOUNT, killed if xloop dies first.
[[noreturn]] void exec_command(const RunOptions &o, const std::string &dir, pid_t parent,
                               const sigset_t &old_mask)
{
	if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)
		::_exit(kFailed);
	::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
	::setenv("XLOOP_MOUNT", dir.c_str(), 1);
	std::vector<char *> argv;
	for (const std::string &arg : o.command)
		argv.push_back(const_cast<char *>(arg.c_str()));
	argv.push_back(nullptr);
	::execvp(argv[0], argv.data());
	int err = errno;
	fmt::print(stderr, "xloop: {}: {}\n", o.command.front(), std::strerror(err));
	::_exit(err == ENOENT ? kNotFound : kCannotRun);
}

// Wait for `child`, passing on the signals xloop is sent; its exit status
// as a shell reports it.
Result<int> wait_for(pid_t child, const sigset_t &signals)
{
	Fd fd(::signalfd(-1, &signals, SFD_CLOEXEC));
	if (!fd)
		return errno_error("signalfd");
	for (;;) {
		int status = 0;
		pid_t done = ::waitpid(child, &status, WNOHANG);
		if (done < 0)
			return errno_error("waitpid");
		if (done == child)
			return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		signalfd_siginfo info{};
		ssize_t got = ::read(fd.get(), &info, sizeof(info));
		if (got < 0 && errno != EINTR)
			return errno_error("signalfd");
		if (got == sizeof(info) && info.ssi_signo != SIGCHLD && info.ssi_code != SI_KERNEL)
			::kill(child, static_cast<int>(info.ssi_signo));
	}
}

// Mount `device` on `dir` in this (private) namespace through libmount.
int mount_on(const std::string &device, const std::string &dir, const RunOptions &o,
             const mount::LoopOptions &loop)
{
	MountContext cxt(mnt_new_context());
	if (!cxt) {
		report(Error(ENOMEM, "libmount context"));
		return kFailed;
	}
	std::string type = o.type ? *o.type : probed_kernel_type(device);
	mnt_context_set_source(cxt.get(), device.c_str());
	mnt_context_set_target(cxt.get(), dir.c_str());
	if (!type.empty())
		mnt_context_set_fstype(cxt.get(), type.c_str());
	std::string options = loop.fs_options;
	if (o.read_only)
		options += options.empty() ? "ro" : ",ro";
	if (!options.empty())
		mnt_context_set_options(cxt.get(), options.c_str());
	// Nothing to record for others: the mount is in no one else's table.
	mnt_context_disable_mtab(cxt.get(), 1);
	return report_libmount(cxt.get(), mnt_context_mount(cxt.get()));
}

int run_run(const RunOptions &o)
{
	std::string joined;
	for (const std::string &word : o.options)
		joined += (joined.empty() ? "" : ",") + word;
	Result<mount::LoopOptions> loop = mount::take_loop_options(joined);
	if (!loop) {
		report(loop.error());
		return kUsage;
	}
	loop->read_only = loop->read_only || o.read_only;
	// Signals wait until the command runs: none may end xloop between the
	// attach and the mount with the handle's work half done.
	sigset_t signals, old_mask;
	sigemptyset(&signals);
	for (int sig : kPassedOn)
		sigaddset(&signals, sig);
	sigaddset(&signals, SIGCHLD);
	::sigprocmask(SIG_BLOCK, &signals, &old_mask);

	loopdev::LinuxOs os;
	Result<OwnAttachment> attached = attach_image(os, o.driver, o.image, *loop);
	if (!attached) {
		report(attached.error());
		return kFailed;
	}
	if (::unshare(CLONE_NEWNS) != 0 ||
	    ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
		report(errno_error("private mount namespace"));
		return kFailed;
	}
	Result<MountDir> dir = MountDir::make();
	if (!dir) {
		report(dir.error());
		return kFailed;
	}
	if (int code = mount_on(attached->disk.path, dir->path(), o, *loop); code != 0)
		return code == kUsage ? kUsage : kFailed;
	// The mount holds the device now; the handle holds the attachment until
	// xloop exits, and its end leaves the device to go with the mount.
	attached->handle.reset();

	pid_t parent = ::getpid();
	pid_t child = ::fork();
	if (child < 0) {
		report(errno_error("fork"));
		::umount2(dir->path().c_str(), MNT_DETACH);
		return kFailed;
	}
	if (child == 0)
		exec_command(o, dir->path(), parent, old_mask);
	Result<int> status = wait_for(child, signals);
	// Whatever the command left running there keeps its mount, lazily.
	if (::umount2(dir->path().c_str(), 0) != 0)
		::umount2(dir->path().c_str(), MNT_DETACH);
	if (!status) {
		report(status.error());
		return kFailed;
	}
	return *status;
}

} // namespace

void setup_run(CLI::App &command, Action &action)
{
	auto options = std::make_shared<RunOptions>();
	command.add_option("IMAGE", options->image, "the image to mount")->required();
	command.add_option("COMMAND", options->command,
	                   "the command and its arguments, after --, run with the mount point "
	                   "in $XLOOP_MOUNT")
	        ->required();
	command.add_option("-t,--types", options->type, "the file system type (default: probed)");
	command.add_option("-o,--options", options->options,
	                   "mount options, as mount(8) takes them, with offset= and sizelimit= "
	                   "for the loop device")
	        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
	        ->expected(1)
	        ->allow_extra_args(false);
	command.add_flag("-r,--read-only", options->read_only, "mount read-only (and the device)");
	add_driver_option(command, options->driver);
	action = [options] { return run_run(*options); };
}

} // namespace xloop::cli
