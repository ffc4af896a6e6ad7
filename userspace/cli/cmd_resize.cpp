// xloop resize: make a device follow its backing file's size (losetup -c).
#include <memory>

#include "cli/loop_commands.hpp"
#include "loopdev/linux_os.hpp"
#include "loopdev/loop_context.hpp"

namespace xloop::cli
{

namespace
{

struct ResizeOptions {
	std::string device;
};

int run_resize(const ResizeOptions &options)
{
	loopdev::LinuxOs os;
	auto disk = named_disk(os, options.device);
	if (!disk) {
		report(disk.error());
		return 1;
	}
	if (Status st = loopdev::LoopContext(os, disk->driver).resize(*disk); !st) {
		report(st.error());
		return 1;
	}
	return 0;
}

} // namespace

void setup_resize(CLI::App &command, Action &action)
{
	auto options = std::make_shared<ResizeOptions>();
	command.add_option("DEVICE", options->device, "the device to resize")->required();
	action = [options] { return run_resize(*options); };
}

} // namespace xloop::cli
