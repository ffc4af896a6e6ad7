// Which driver the tool talks to and how its devices are named
// (include/uapi/linux/xloop.h).
#include <gtest/gtest.h>

#include "loopdev/driver.hpp"

namespace xloop::loopdev
{
namespace
{

TEST(LoopDriver, DefaultIsXloopWhenItsControlDeviceExists)
{
	auto driver = choose_driver(std::nullopt, {.xloop_control = true});
	ASSERT_TRUE(driver.ok());
	EXPECT_EQ(driver->name, "xloop");
	EXPECT_EQ(driver->control, "/dev/xloop-control");
	EXPECT_EQ(driver->device_path(3), "/dev/xloop3");
}

TEST(LoopDriver, DefaultIsStockLoopOtherwise)
{
	auto driver = choose_driver(std::nullopt, {});
	ASSERT_TRUE(driver.ok());
	EXPECT_EQ(driver->name, "loop");
	EXPECT_EQ(driver->control, "/dev/loop-control");
	EXPECT_EQ(driver->device_path(0), "/dev/loop0");
	EXPECT_FALSE(driver->drop_in);
}

TEST(LoopDriver, DropInXloopOwnsTheLoopNames)
{
	DriverProbe drop_in{.xloop_control = false, .drop_in_active = true};
	for (auto requested :
	     {std::optional<std::string_view>(), std::optional<std::string_view>("xloop"),
	      std::optional<std::string_view>("loop")}) {
		auto driver = choose_driver(requested, drop_in);
		ASSERT_TRUE(driver.ok());
		EXPECT_EQ(driver->name, "xloop");
		EXPECT_TRUE(driver->drop_in);
		EXPECT_EQ(driver->control, "/dev/loop-control");
		EXPECT_EQ(driver->device_path(2), "/dev/loop2");
	}
}

TEST(LoopDriver, ExplicitChoiceWins)
{
	DriverProbe both{.xloop_control = true};
	EXPECT_EQ(choose_driver("loop", both)->name, "loop");
	EXPECT_EQ(choose_driver("xloop", DriverProbe{})->control, "/dev/xloop-control");
	auto bad = choose_driver("zram", both);
	ASSERT_FALSE(bad.ok());
	EXPECT_EQ(bad.error().code(), EINVAL);
}

TEST(LoopDriver, DiskNumbers)
{
	Driver xloop = Driver::xloop_native();
	Driver loop = Driver::stock_loop(false);
	EXPECT_EQ(xloop.disk_number("xloop0"), 0u);
	EXPECT_EQ(xloop.disk_number("xloop17"), 17u);
	EXPECT_EQ(loop.disk_number("loop7"), 7u);
	for (const char *other :
	     {"xloop", "xloop1p2", "xloop01", "loop3", "xloop-control", "xloopx"})
		EXPECT_FALSE(xloop.disk_number(other).has_value()) << other;
	EXPECT_FALSE(loop.disk_number("xloop3").has_value());
	EXPECT_FALSE(loop.disk_number("loop0p1").has_value());
}

TEST(LoopDriver, AllDriversCoverBothNameSpaces)
{
	auto drivers = all_drivers({});
	ASSERT_EQ(drivers.size(), 2u);
	EXPECT_EQ(drivers[0].disk_prefix, "loop");
	EXPECT_EQ(drivers[1].disk_prefix, "xloop");
	EXPECT_EQ(all_drivers({.drop_in_active = true})[0].name, "xloop");
}

TEST(LoopDriver, ModuleParameterText)
{
	EXPECT_TRUE(parameter_enabled("Y\n"));
	EXPECT_TRUE(parameter_enabled("1"));
	EXPECT_FALSE(parameter_enabled("N\n"));
	EXPECT_FALSE(parameter_enabled(""));
}

} // namespace
} // namespace xloop::loopdev
