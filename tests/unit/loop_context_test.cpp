// Detach, resize and the setters of LoopContext against the in-memory driver.
#include <gtest/gtest.h>

#include "loop_fake_os.hpp"
#include "loopdev/loop_context.hpp"

namespace xloop::loopdev
{
namespace
{

using testing::FakeLoopOs;

class LoopChange : public ::testing::Test
{
protected:
	LoopChange()
	{
		image = os.add_file("a.img", 1 << 20);
		AttachRequest request;
		request.file = "a.img";
		auto attached = context.attach(request);
		EXPECT_TRUE(attached.ok());
	}

	FakeLoopOs os;
	std::shared_ptr<BackingStore> image;
	LoopContext context{os, Driver::stock_loop(false)};
	Disk disk0 = disk_of(Driver::stock_loop(false), 0);
	Disk disk1 = disk_of(Driver::stock_loop(false), 1);
};

TEST_F(LoopChange, DetachUnbindsAndSaysWhenThereIsNothingToDetach)
{
	ASSERT_TRUE(context.detach(disk0).ok());
	EXPECT_EQ(os.device(0).state(), DeviceState::unbound);
	auto again = context.detach(disk0);
	ASSERT_FALSE(again.ok());
	EXPECT_EQ(again.error().message(), "/dev/loop0: LOOP_CLR_FD: No such device or address");
}

TEST_F(LoopChange, DetachOfABusyDeviceHappensAtItsLastClose)
{
	auto holder = os.open_device("/dev/loop0", O_RDONLY); // a mounted file system, say
	ASSERT_TRUE(holder.ok());
	ASSERT_TRUE(context.detach(disk0).ok());
	EXPECT_EQ(os.device(0).state(), DeviceState::bound);
	EXPECT_TRUE(os.device(0).flags() & LO_FLAGS_AUTOCLEAR);
	holder->reset();
	EXPECT_EQ(os.device(0).state(), DeviceState::unbound);
}

TEST_F(LoopChange, ResizeFollowsTheFile)
{
	image->size = 20 << 20;
	EXPECT_EQ(os.device(0).size_bytes(), 1u << 20);
	ASSERT_TRUE(context.resize(disk0).ok());
	EXPECT_EQ(os.device(0).size_bytes(), 20u << 20);
	EXPECT_EQ(context.resize(disk1).error().message(),
	          "/dev/loop1: LOOP_SET_CAPACITY: No such device or address");
}

TEST_F(LoopChange, SectorSize)
{
	ASSERT_TRUE(context.set_sector_size(disk0, 2048).ok());
	EXPECT_EQ(os.device(0).block_size(), 2048u);
	EXPECT_EQ(context.set_sector_size(disk0, 1000).error().code(), EINVAL);
	EXPECT_EQ(context.set_sector_size(disk0, 8192).error().message(),
	          "/dev/loop0: LOOP_SET_BLOCK_SIZE: Invalid argument");
	EXPECT_EQ(os.device(0).block_size(), 2048u);
}

TEST_F(LoopChange, DirectIo)
{
	ASSERT_TRUE(context.set_direct_io(disk0, true).ok());
	EXPECT_TRUE(os.device(0).flags() & LO_FLAGS_DIRECT_IO);
	ASSERT_TRUE(context.set_direct_io(disk0, false).ok());
	EXPECT_FALSE(os.device(0).flags() & LO_FLAGS_DIRECT_IO);
	image->can_direct_io = false;
	EXPECT_EQ(context.set_direct_io(disk0, true).error().code(), EINVAL);
}

TEST_F(LoopChange, FlagsKeepTheMapping)
{
	auto holder = os.open_device("/dev/loop0", O_RDONLY);
	ASSERT_TRUE(holder.ok());
	ASSERT_TRUE(context.set_flags(disk0, true, true).ok());
	EXPECT_EQ(os.device(0).flags(),
	          static_cast<std::uint32_t>(LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN));
	EXPECT_EQ(os.device(0).size_bytes(), 1u << 20);
	EXPECT_STREQ(reinterpret_cast<const char *>(os.device(0).get_status()->lo_file_name),
	             "/work/a.img");
	ASSERT_TRUE(context.set_flags(disk0, false, false).ok());
	EXPECT_EQ(os.device(0).flags(), static_cast<std::uint32_t>(LO_FLAGS_PARTSCAN));
}

TEST_F(LoopChange, AutoclearOnADeviceNobodyHoldsDetachesIt)
{
	// The kernel's rule: AUTOCLEAR acts at the last close, here our own.
	ASSERT_TRUE(context.set_flags(disk0, true, false).ok());
	EXPECT_EQ(os.device(0).state(), DeviceState::unbound);
}

} // namespace
} // namespace xloop::loopdev
