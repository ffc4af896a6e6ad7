// xloop mount: mount an image file (attached to a loop device first, so that
// the device goes when the file system is unmounted), a block device, or a
// LABEL=/UUID=, through libmount as mount(8) does.  With xloop.ko the
// attachment is owned by a handle until mount(2) has the device: killed at
// any point, this command leaves no device bound.  The stock loop driver has
// no handles: there it is attached with autoclear, as mount(8) does.
// Without -t the type is probed (libblkid); a Minix image mounts as xminix
// when that file system is registered.
#include <blkid.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "cli/loop_commands.hpp"
#include "cli/mount_commands.hpp"
#include "loopdev/linux_os.hpp"
#include "loopdev/loop_context.hpp"
#include "mount/mount_rules.hpp"

namespace xloop::cli
{

namespace
{

// mount(8)'s exit codes (libmount's MNT_EX_*).
constexpr int kUsage = 1, kSystem = 2, kFailure = 32;

struct MountOptions {
	std::vector<std::string> args; // [SOURCE] DIR
	bool bind = false, rbind = false, move = false;
	unsigned long propagation = 0; // --make-*: MS_SHARED, ... | MS_REC
	std::optional<std::string> type;
	std::vector<std::string> options;
	bool read_only = false;
	bool read_write = false;
	std::optional<std::string> driver;
};

int run_mount(const MountOptions &o)
{
	std::vector<std::string> words = o.options;
	// As mount(8): --bind and --rbind are options too, and -r and -w come
	// last.
	if (o.bind)
		words.emplace_back("bind");
	if (o.rbind)
		words.emplace_back("rbind");
	if (o.read_only || o.read_write)
		words.emplace_back(o.read_only ? "ro" : "rw");
	std::string joined;
	for (const std::string &word : words)
		joined += (joined.empty() ? "" : ",") + word;
	Result<mount::LoopOptions> loop = mount::take_loop_options(joined);
	if (!loop) {
		report(loop.error());
		return kUsage;
	}
	MountContext cxt(mnt_new_context());
	if (!cxt) {
		report(Error(ENOMEM, "libmount context"));
		return kSystem;
	}
	// One argument: the mount point of a remount or a propagation change
	// (or an fstab entry), as mount(8) takes it.
	const std::string &target = o.args.back();
	std::optional<std::string> source;
	if (o.args.size() == 2)
		source = o.args.front();
	// Only a new mount of an image (not bind, move, remount or propagation)
	// attaches a loop device.
	const bool new_mount = !o.move && !o.propagation &&
	                       !(loop->flags & (MS_BIND | MS_REMOUNT | MS_SHARED | MS_SLAVE |
	                                        MS_PRIVATE | MS_UNBINDABLE));
	loopdev::LinuxOs os;
	std::optional<OwnAttachment> own;
	struct stat st {
	};
	bool wants_loop = loop->offset || loop->sizelimit;
	// An unprivileged caller is libmount's to refuse, as mount(8) would.
	if (source && new_mount && stat(source->c_str(), &st) == 0 &&
	    (S_ISREG(st.st_mode) || (S_ISBLK(st.st_mode) && wants_loop)) &&
	    !mnt_context_is_restricted(cxt.get())) {
		Result<OwnAttachment> attached = attach_image(os, o.driver, *source, *loop);
		if (!attached) {
			report(attached.error().within(*source +
			                               ": failed to set up a loop device"));
			return kFailure;
		}
		own = std::move(*attached);
		source = own->disk.path;
	}
	std::string type = o.type.value_or("");
	if (type.empty() && source && new_mount && stat(source->c_str(), &st) == 0 &&
	    S_ISBLK(st.st_mode))
		type = probed_kernel_type(*source);
	// A propagation change names no source: "none" keeps libmount from
	// looking the mount point up in fstab (mount(8) does not either).
	if (!source && o.propagation)
		source = "none";
	if (source)
		mnt_context_set_source(cxt.get(), source->c_str());
	mnt_context_set_target(cxt.get(), target.c_str());
	if (!type.empty())
		mnt_context_set_fstype(cxt.get(), type.c_str());
	if (!loop->fs_options.empty())
		mnt_context_set_options(cxt.get(), loop->fs_options.c_str());
	if (o.move || o.propagation)
		mnt_context_set_mflags(cxt.get(), (o.move ? MS_MOVE : 0) | o.propagation);
	int code = report_libmount(cxt.get(), mnt_context_mount(cxt.get()));
	if (!own)
		return code;
	// The mount holds the device now; AUTOCLEAR ends it with the mount (the
	// handle's end sets it).  Without a mount, closing both detaches it (or
	// the last of whoever still holds it open): no LOOP_CLR_FD then, which
	// could hit another binding the device has meanwhile.
	own->handle.reset();
	const bool owned = static_cast<bool>(own->owner);
	own->owner.reset();
	if (code != 0 && !owned && loopdev::is_bound(os, own->disk)) {
		Status st2 = loopdev::LoopContext(os, own->disk.driver).detach(own->disk);
		if (!st2 && st2.error().code() != ENXIO)
			report(st2.error());
	}
	return code;
}

struct FreeProbe {
	void operator()(blkid_probe pr) const { blkid_free_probe(pr); }
};

// The file system type libblkid finds on `device`, if any.
std::optional<std::string> probed_type(const std::string &device)
{
	std::unique_ptr<blkid_struct_probe, FreeProbe> pr(
	        blkid_new_probe_from_filename(device.c_str()));
	if (!pr)
		return std::nullopt;
	blkid_probe_enable_superblocks(pr.get(), 1);
	blkid_probe_set_superblocks_flags(pr.get(), BLKID_SUBLKS_TYPE);
	const char *type = nullptr;
	if (blkid_do_safeprobe(pr.get()) != 0 ||
	    blkid_probe_lookup_value(pr.get(), "TYPE", &type, nullptr) != 0 || !type)
		return std::nullopt;
	return std::string(type);
}

std::set<std::string> registered_filesystems()
{
	std::ifstream in("/proc/filesystems");
	std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	return mount::parse_filesystems(text);
}

} // namespace

std::string probed_kernel_type(const std::string &device)
{
	std::optional<std::string> probed = probed_type(device);
	return probed ? mount::kernel_type(*probed, registered_filesystems()) : std::string();
}

Result<OwnAttachment> attach_image(loopdev::LoopOs &os,
                                   const std::optional<std::string> &driver_name,
                                   const std::string &image, const mount::LoopOptions &loop)
{
	Result<loopdev::Driver> driver = chosen_driver(os, driver_name);
	if (!driver)
		return driver.error();
	loopdev::AttachRequest request;
	request.file = image;
	request.offset = loop.offset;
	request.sizelimit = loop.sizelimit;
	request.read_only = loop.read_only;
	request.autoclear = true;
	request.owned = true;
	loopdev::LoopContext context(os, *driver);
	Result<loopdev::Attached> attached = context.attach(request);
	if (!attached && attached.error().code() == ENOSYS) {
		request.owned = false;
		attached = context.attach(request);
	}
	if (!attached)
		return attached.error();
	Result<loopdev::Disk> disk = named_disk(os, attached->device);
	if (!disk)
		return disk.error();
	return OwnAttachment{*disk, std::move(attached->handle), std::move(attached->owner)};
}

Result<MountTable> read_mount_table()
{
	errno = 0;
	MountTable table(mnt_new_table_from_file("/proc/self/mountinfo"));
	if (!table)
		return Error(errno ? errno : ENOMEM, "/proc/self/mountinfo");
	return table;
}

Result<MountIter> mount_iter(int direction)
{
	MountIter iter(mnt_new_iter(direction));
	if (!iter)
		return Error(ENOMEM, "libmount iterator");
	return iter;
}

int report_libmount(libmnt_context *cxt, int rc)
{
	char buf[BUFSIZ] = {};
	int code = mnt_context_get_excode(cxt, rc, buf, sizeof(buf));
	if (*buf) {
		const char *spec = mnt_context_get_target(cxt);
		if (!spec)
			spec = mnt_context_get_source(cxt);
		fmt::print(stderr, "xloop: {}: {}.\n", spec ? spec : "???", buf);
	}
	return code;
}

void add_fs_options(CLI::App &command, std::optional<std::string> &type,
                    std::vector<std::string> &options)
{
	command.add_option("-t,--types", type, "the file system type (default: probed)");
	command.add_option("-o,--options", options,
	                   "mount options, as mount(8) takes them, with offset= and sizelimit= "
	                   "for the loop device")
	        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
	        ->expected(1)
	        ->allow_extra_args(false);
}

void setup_mount(CLI::App &command, Action &action)
{
	auto options = std::make_shared<MountOptions>();
	command.add_option("ARGS", options->args,
	                   "[SOURCE] DIR: SOURCE an image file, a block device, LABEL=, UUID= "
	                   "or (--bind, --move) a directory; DIR alone for a remount or "
	                   "--make-*")
	        ->required()
	        ->expected(1, 2);
	command.add_flag("-B,--bind", options->bind, "mount a subtree somewhere else");
	command.add_flag("-R,--rbind", options->rbind, "the same, with its submounts");
	command.add_flag("-M,--move", options->move, "move a subtree somewhere else");
	static constexpr std::pair<const char *, unsigned long> kinds[] = {
	        {"shared", MS_SHARED},
	        {"slave", MS_SLAVE},
	        {"private", MS_PRIVATE},
	        {"unbindable", MS_UNBINDABLE}};
	for (const auto &[kind, flag] : kinds) {
		for (bool rec : {false, true}) {
			unsigned long flags = flag | (rec ? MS_REC : 0);
			command.add_flag_callback(
			        std::string("--make-") + (rec ? "r" : "") + kind,
			        [options, flags] { options->propagation |= flags; },
			        std::string("mark the mount point ") + kind +
			                (rec ? ", and its submounts" : ""));
		}
	}
	add_fs_options(command, options->type, options->options);
	auto *ro = command.add_flag("-r,--read-only", options->read_only, "mount read-only");
	command.add_flag("-w,--rw,--read-write", options->read_write, "mount read-write")
	        ->excludes(ro);
	add_driver_option(command, options->driver);
	action = [options] { return run_mount(*options); };
}

} // namespace xloop::cli
