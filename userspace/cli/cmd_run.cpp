// xloop run: attach an image through a handle, mount it in a private mount
// namespace on a temporary directory, run a command there ($XLOOP_MOUNT), and
// when the command ends, or xloop is killed by any signal, the mount and the
// device are gone.  Exit status: the command's (128+N when a signal N ended
// it), 125 when xloop itself failed, 126 when the command could not be run,
// 127 when it was not found (as env(1) and chroot(1)).
//
// The processes: xloop holds the handle and the mount namespace; its child
// is the init of a new PID namespace, which never execs nor changes its
// credentials, so its parent-death signal (SIGKILL) holds; it mounts the
// image and runs the command as its own child.  When that init ends, for whatever reason, the
// kernel kills everything left in the namespace (what the command started in
// the background, or under other credentials), and then nothing holds the
// mount.  The mount point is made on a tmpfs private to the mount namespace,
// so it goes with it too.
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
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

constexpr int kFailed = 125, kCannotRun = 126, kNotFound = 127;

// Where the mount points are made: a directory of the host's, with a tmpfs
// over it in each private mount namespace.
constexpr const char *kRunDir = "/run/xloop-run";

struct RunOptions {
	std::string image;
	std::vector<std::string> command;
	std::optional<std::string> type;
	std::vector<std::string> options;
	bool read_only = false;
	std::optional<std::string> driver;
};

// The signals passed on to the command: those sent to xloop with kill(2)
// (a terminal's reach the command's process group directly).
constexpr int kPassedOn[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

sigset_t passed_on_and_sigchld()
{
	sigset_t set;
	sigemptyset(&set);
	for (int sig : kPassedOn)
		sigaddset(&set, sig);
	sigaddset(&set, SIGCHLD);
	return set;
}

// A shell's exit status for a wait(2) status.
int shell_status(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

// Wait for `child`, passing on the signals that come on `signals` (a
// signalfd); reaps any other child too (the init of a PID namespace gets
// the orphans).  The child's status, as a shell reports it.
Result<int> wait_passing_on(pid_t child, int signals)
{
	for (;;) {
		int status = 0;
		pid_t done;
		while ((done = ::waitpid(-1, &status, WNOHANG)) > 0) {
			if (done == child)
				return shell_status(status);
		}
		if (done < 0 && errno != ECHILD)
			return errno_error("waitpid");
		signalfd_siginfo info{};
		ssize_t got = ::read(signals, &info, sizeof(info));
		if (got < 0 && errno != EINTR)
			return errno_error("signalfd");
		if (got == sizeof(info) && info.ssi_signo != SIGCHLD && info.ssi_code != SI_KERNEL)
			::kill(child, static_cast<int>(info.ssi_signo));
	}
}

// The command, in the init's child: $XLOOP_MOUNT set, signals as xloop
// found them.
[[noreturn]] void exec_command(const RunOptions &o, const std::string &dir,
                               const sigset_t &old_mask)
{
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

// Mount `device` on `dir` in this (private) namespace through libmount.
bool mount_on(const std::string &device, const std::string &dir, const RunOptions &o,
              const mount::LoopOptions &loop)
{
	MountContext cxt(mnt_new_context());
	if (!cxt) {
		report(Error(ENOMEM, "libmount context"));
		return false;
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
	return report_libmount(cxt.get(), mnt_context_mount(cxt.get())) == 0;
}

// PID 1 of the new PID namespace: dies with xloop (checked through
// `alive`, xloop's end of a pipe, for the moment before the parent-death
// signal was set), mounts the image (so that a mount helper that stays, a
// FUSE daemon, is in the namespace too), runs the command, reaps, and exits
// with its status.
[[noreturn]] void namespace_init(const RunOptions &o, const std::string &device,
                                 const mount::LoopOptions &loop, const std::string &dir,
                                 const sigset_t &old_mask, int alive)
{
	pollfd parent{alive, POLLIN, 0};
	if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::poll(&parent, 1, 0) != 0)
		::_exit(kFailed);
	// The namespace's own /proc, so that $$ and ps make sense in there.
	if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
		fmt::print(stderr, "xloop: /proc: {}\n", std::strerror(errno));
		::_exit(kFailed);
	}
	if (!mount_on(device, dir, o, loop))
		::_exit(kFailed);
	sigset_t signals = passed_on_and_sigchld();
	Fd fd(::signalfd(-1, &signals, SFD_CLOEXEC));
	if (!fd)
		::_exit(kFailed);
	pid_t command = ::fork();
	if (command < 0)
		::_exit(kFailed);
	if (command == 0) {
		::close(alive);
		exec_command(o, dir, old_mask);
	}
	Result<int> status = wait_passing_on(command, fd.get());
	::_exit(status ? *status : kFailed);
}

// A private mount namespace, and in it a tmpfs of its own with the mount
// point in it.
Result<std::string> private_mount_point()
{
	if (::mkdir(kRunDir, 0700) != 0 && errno != EEXIST)
		return errno_error(kRunDir);
	if (::unshare(CLONE_NEWNS) != 0)
		return errno_error("unshare: mount namespace");
	if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
		return errno_error("/: make-rprivate");
	if (::mount("xloop-run", kRunDir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0)
		return errno_error(std::string(kRunDir) + ": tmpfs");
	std::string dir = std::string(kRunDir) + "/mnt";
	if (::mkdir(dir.c_str(), 0755) != 0)
		return errno_error(dir);
	return dir;
}

// A signal already taken from `signals` (a signalfd), if any: one that
// came while xloop set up, before there was a command to pass it to.
std::optional<int> pending_signal(int signals)
{
	pollfd p{signals, POLLIN, 0};
	while (::poll(&p, 1, 0) == 1) {
		signalfd_siginfo info{};
		if (::read(signals, &info, sizeof(info)) != sizeof(info))
			break;
		if (info.ssi_signo != SIGCHLD)
			return static_cast<int>(info.ssi_signo);
	}
	return std::nullopt;
}

int run_run(const RunOptions &o)
{
	std::string joined;
	for (const std::string &word : o.options)
		joined += (joined.empty() ? "" : ",") + word;
	Result<mount::LoopOptions> loop = mount::take_loop_options(joined);
	if (!loop) {
		report(loop.error());
		return kFailed;
	}
	loop->read_only = loop->read_only || o.read_only;
	// From here signals wait in a signalfd: one during the set-up ends the
	// run before the command starts; later ones are passed on to it.
	sigset_t signals = passed_on_and_sigchld(), old_mask;
	::sigprocmask(SIG_BLOCK, &signals, &old_mask);
	Fd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC));
	if (!signal_fd) {
		report(errno_error("signalfd"));
		return kFailed;
	}

	loopdev::LinuxOs os;
	Result<OwnAttachment> attached = attach_image(os, o.driver, o.image, *loop);
	if (!attached) {
		report(attached.error());
		return kFailed;
	}
	Result<std::string> dir = private_mount_point();
	if (!dir) {
		report(dir.error());
		return kFailed;
	}
	// The handle holds the attachment until xloop exits; its end leaves
	// the device to go with the mount the init makes.
	attached->handle.reset();
	if (std::optional<int> sig = pending_signal(signal_fd.get()))
		return 128 + *sig;

	if (::unshare(CLONE_NEWPID) != 0) {
		report(errno_error("unshare: PID namespace"));
		return kFailed;
	}
	int alive[2];
	if (::pipe2(alive, O_CLOEXEC) != 0) {
		report(errno_error("pipe"));
		return kFailed;
	}
	Fd alive_read(alive[0]), alive_write(alive[1]);
	pid_t init = ::fork();
	if (init < 0) {
		report(errno_error("fork"));
		return kFailed;
	}
	if (init == 0) {
		// Only xloop holds the attachment and its signals.
		attached->owner.reset();
		signal_fd.reset();
		alive_write.reset();
		namespace_init(o, attached->disk.path, *loop, *dir, old_mask, alive_read.get());
	}
	alive_read.reset();
	Result<int> status = wait_passing_on(init, signal_fd.get());
	// Everything in the PID namespace is gone with its init: nothing holds
	// the mount (if it was made), and the namespace's end would unmount it
	// anyway.
	::umount2(dir->c_str(), MNT_DETACH);
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
	add_fs_options(command, options->type, options->options);
	command.add_flag("-r,--read-only", options->read_only, "mount read-only (and the device)");
	add_driver_option(command, options->driver);
	action = [options] { return run_run(*options); };
}

} // namespace xloop::cli
