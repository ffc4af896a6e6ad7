// xloop mount's rules: mount(8)'s loop options out of -o, and the type a
// probed image is mounted with.
#include <gtest/gtest.h>

#include "mount/mount_rules.hpp"

namespace xloop::mount
{
namespace
{

TEST(TakeLoopOptions, TakesOffsetAndSizelimitAndLeavesTheRest)
{
	Result<LoopOptions> got = take_loop_options("noatime,offset=1M,sizelimit=4096,ro,sync");
	ASSERT_TRUE(got) << got.error().message();
	EXPECT_EQ(got->offset, 1u << 20);
	EXPECT_EQ(got->sizelimit, 4096u);
	EXPECT_EQ(got->fs_options, "noatime,ro,sync");
	EXPECT_TRUE(got->read_only);
}

TEST(TakeLoopOptions, LastOfRoAndRwWins)
{
	EXPECT_TRUE(take_loop_options("rw,ro")->read_only);
	EXPECT_FALSE(take_loop_options("ro,rw")->read_only);
	EXPECT_FALSE(take_loop_options("")->read_only);
}

TEST(TakeLoopOptions, BareLoopGoesAndLoopDeviceIsRefused)
{
	Result<LoopOptions> got = take_loop_options("loop,noexec");
	ASSERT_TRUE(got);
	EXPECT_EQ(got->fs_options, "noexec");
	EXPECT_EQ(take_loop_options("loop=/dev/loop3").error().code(), EINVAL);
}

TEST(TakeLoopOptions, QuotedValuesStayWhole)
{
	Result<LoopOptions> got = take_loop_options("context=\"a,b\",offset=512");
	ASSERT_TRUE(got);
	EXPECT_EQ(got->fs_options, "context=\"a,b\"");
	EXPECT_EQ(got->offset, 512u);
}

TEST(TakeLoopOptions, BadSizesAreRefused)
{
	EXPECT_EQ(take_loop_options("offset=abc").error().code(), EINVAL);
	EXPECT_EQ(take_loop_options("offset=").error().code(), EINVAL);
	EXPECT_EQ(take_loop_options("sizelimit=-1").error().code(), EINVAL);
}

TEST(KernelType, MinixGoesToXminixWhenRegistered)
{
	auto fs = parse_filesystems("nodev\tsysfs\nnodev\tproc\n\text4\n\tminix\n\txminix\n");
	EXPECT_EQ(fs, (std::set<std::string>{"sysfs", "proc", "ext4", "minix", "xminix"}));
	EXPECT_EQ(kernel_type("minix", fs), "xminix");
	EXPECT_EQ(kernel_type("ext4", fs), "ext4");
	EXPECT_EQ(kernel_type("minix", parse_filesystems("\tminix\n")), "minix");
}

} // namespace
} // namespace xloop::mount
