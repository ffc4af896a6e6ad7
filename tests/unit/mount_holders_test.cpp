// Which processes hold a file system: this one, while it has a file open on
// it; nobody, on a device number no file system has.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fcntl.h>

#include "minix_test_util.hpp"
#include "mount/holders.hpp"

namespace xloop::mount
{
namespace
{

bool has_pid(const std::vector<Holder> &holders, pid_t pid)
{
	for (const Holder &h : holders)
		if (h.pid == pid)
			return true;
	return false;
}

TEST(ProcessesUsing, FindsAnOpenFileOnTheFileSystem)
{
	minix::test::TempFile file;
	file.write(std::vector<uint8_t>(16, 'x'));
	struct stat st {
	};
	ASSERT_EQ(stat(file.path().c_str(), &st), 0);
	int fd = open(file.path().c_str(), O_RDONLY);
	ASSERT_GE(fd, 0);
	std::vector<Holder> holders = processes_using(st.st_dev);
	close(fd);
	EXPECT_TRUE(has_pid(holders, getpid())) << describe(holders);
	for (const Holder &h : holders) {
		if (h.pid == getpid()) {
			EXPECT_FALSE(h.command.empty());
		}
	}
}

TEST(ProcessesUsing, NobodyOnAnUnusedDevice)
{
	EXPECT_TRUE(processes_using(makedev(4095, 1048575)).empty());
}

TEST(Describe, ListsPidsWithTheirCommands)
{
	EXPECT_EQ(describe({{12, "sleep"}, {40, "bash"}}), "12 (sleep), 40 (bash)");
	EXPECT_EQ(describe({}), "");
}

} // namespace
} // namespace xloop::mount
