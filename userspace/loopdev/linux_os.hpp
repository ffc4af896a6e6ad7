// The LoopOs the tool uses: system calls and ioctls on the running kernel.
#pragma once

#include "loopdev/loop_os.hpp"

namespace xloop::loopdev
{

class LinuxOs final : public LoopOs
{
public:
	Result<std::unique_ptr<BackingFile>> open_backing(const std::string &path,
	                                                  int flags) override;
	Result<std::unique_ptr<LoopDevice>> open_device(const std::string &path,
	                                                int flags) override;
	Result<std::unique_ptr<LoopControl>> open_control(const std::string &path) override;
	Result<FileInfo> stat(const std::string &path) override;
	Result<std::string> read_file(const std::string &path) override;
	Result<std::vector<std::string>> list_dir(const std::string &path) override;
	Result<std::string> read_link(const std::string &path) override;
	Result<std::string> real_path(const std::string &path) override;
	bool exists(const std::string &path) override;
	std::uint32_t page_size() override;
	void sleep(std::chrono::milliseconds duration) override;
};

} // namespace xloop::loopdev
