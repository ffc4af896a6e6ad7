// The device state rules (loopdev/device_model.hpp) against loop-abi.md §1:
// errno per ioctl and state, flags that stick or are dropped, 6.12's
// deferred detach.
#include <gtest/gtest.h>

#include <cstring>

#include "loopdev/device_model.hpp"

namespace xloop::loopdev
{
namespace
{

BackingFd file(std::uint64_t size = 1 << 20, bool writable = true)
{
	auto store = std::make_shared<BackingStore>();
	store->path = "/tmp/a.img";
	store->size = size;
	store->dev = 28;
	store->ino = 4;
	return {store, writable, false};
}

TEST(LoopDeviceModel, UnboundDeviceRefusesEveryStatusCall)
{
	DeviceModel device(0);
	EXPECT_EQ(device.get_status().error().code(), ENXIO);
	EXPECT_EQ(device.clear_fd().error().code(), ENXIO);
	EXPECT_EQ(device.set_status({}, true).error().code(), ENXIO);
	EXPECT_EQ(device.set_capacity(true).error().code(), ENXIO);
	EXPECT_EQ(device.set_direct_io(true, true).error().code(), ENXIO);
	EXPECT_EQ(device.set_block_size(4096, true).error().code(), ENXIO);
}

TEST(LoopDeviceModel, ConfigureBindsOnceThenBusy)
{
	DeviceModel device(3);
	loop_config config{};
	config.info.lo_offset = 4096;
	config.info.lo_sizelimit = 8192;
	std::strcpy(reinterpret_cast<char *>(config.info.lo_file_name), "/tmp/a.img");
	ASSERT_TRUE(device.configure(file(), true, config).ok());
	EXPECT_EQ(device.state(), DeviceState::bound);
	EXPECT_EQ(device.size_bytes(), 8192u);
	auto info = device.get_status();
	ASSERT_TRUE(info.ok());
	EXPECT_EQ(info->lo_number, 3u);
	EXPECT_EQ(info->lo_offset, 4096u);
	EXPECT_EQ(info->lo_sizelimit, 8192u);
	EXPECT_EQ(info->lo_device, 28u);
	EXPECT_EQ(info->lo_inode, 4u);
	EXPECT_STREQ(reinterpret_cast<const char *>(info->lo_file_name), "/tmp/a.img");
	EXPECT_EQ(device.configure(file(), true, config).error().code(), EBUSY);
	EXPECT_EQ(device.set_fd(file(), true).error().code(), EBUSY);
}

TEST(LoopDeviceModel, ReadOnlyIsForcedByAReadOnlyFileOrDevice)
{
	DeviceModel a(0), b(1), c(2);
	ASSERT_TRUE(a.configure(file(1 << 20, false), true, {}).ok());
	ASSERT_TRUE(b.set_fd(file(), false).ok());
	ASSERT_TRUE(c.set_fd(file(), true).ok());
	EXPECT_TRUE(a.flags() & LO_FLAGS_READ_ONLY);
	EXPECT_TRUE(b.flags() & LO_FLAGS_READ_ONLY);
	EXPECT_FALSE(c.flags() & LO_FLAGS_READ_ONLY);
}

TEST(LoopDeviceModel, ConfigureRefusesBadRequestsAndStaysUnbound)
{
	DeviceModel device(0);
	loop_config config{};
	config.block_size = 1000;
	EXPECT_EQ(device.configure(file(), true, config).error().code(), EINVAL);
	config.block_size = 0;
	config.info.lo_flags = 2;
	EXPECT_EQ(device.configure(file(), true, config).error().code(), EINVAL);
	auto pipe = file();
	pipe.store->regular_or_block = false;
	EXPECT_EQ(device.configure(pipe, true, {}).error().code(), EINVAL);
	EXPECT_EQ(device.configure({}, true, {}).error().code(), EBADF);
	EXPECT_EQ(device.state(), DeviceState::unbound);
}

TEST(LoopDeviceModel, DirectIoThatCannotWorkIsDroppedAtConfigure)
{
	auto fd = file();
	fd.store->bdev_block_size = 4096;
	loop_config config{};
	config.info.lo_flags = LO_FLAGS_DIRECT_IO;
	config.info.lo_offset = 512; // not aligned to the backing 4K sectors
	config.block_size = 4096;
	DeviceModel device(0);
	ASSERT_TRUE(device.configure(fd, true, config).ok());
	EXPECT_FALSE(device.flags() & LO_FLAGS_DIRECT_IO);
	// ...and asking for it explicitly is refused.
	EXPECT_EQ(device.set_direct_io(true, true).error().code(), EINVAL);
	EXPECT_TRUE(device.set_direct_io(false, true).ok());
}

TEST(LoopDeviceModel, DirectIoDefaultsTheBlockSizeToTheBackingDevice)
{
	auto fd = file();
	fd.store->bdev_block_size = 4096;
	loop_config config{};
	config.info.lo_flags = LO_FLAGS_DIRECT_IO;
	DeviceModel device(0);
	ASSERT_TRUE(device.configure(fd, true, config).ok());
	EXPECT_EQ(device.block_size(), 4096u);
	EXPECT_TRUE(device.flags() & LO_FLAGS_DIRECT_IO);
}

TEST(LoopDeviceModel, SetStatusFollowsTheSettableMasks)
{
	DeviceModel device(0);
	ASSERT_TRUE(device.set_fd(file(), true).ok());
	loop_info64 info = *device.get_status();
	info.lo_flags =
	        LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO;
	ASSERT_TRUE(device.set_status(info, true).ok());
	EXPECT_EQ(device.get_status()->lo_flags,
	          static_cast<std::uint32_t>(LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN));
	info.lo_flags = 0;
	ASSERT_TRUE(device.set_status(info, true).ok());
	EXPECT_EQ(device.get_status()->lo_flags, static_cast<std::uint32_t>(LO_FLAGS_PARTSCAN));
	EXPECT_EQ(device.set_status(info, false).error().code(), EPERM);
}

TEST(LoopDeviceModel, SetStatusResizesOnlyWhenTheMappingChanges)
{
	auto fd = file(1 << 20);
	DeviceModel device(0);
	ASSERT_TRUE(device.set_fd(fd, true).ok());
	fd.store->size = 2 << 20; // the file grew
	loop_info64 info = *device.get_status();
	ASSERT_TRUE(device.set_status(info, true).ok());
	EXPECT_EQ(device.size_bytes(), 1u << 20);
	info.lo_offset = 4096;
	ASSERT_TRUE(device.set_status(info, true).ok());
	EXPECT_EQ(device.size_bytes(), (2u << 20) - 4096);
}

TEST(LoopDeviceModel, SetCapacityFollowsTheFile)
{
	auto fd = file(1 << 20);
	DeviceModel device(0);
	ASSERT_TRUE(device.set_fd(fd, true).ok());
	fd.store->size = 20 << 20;
	EXPECT_EQ(device.size_bytes(), 1u << 20);
	EXPECT_EQ(device.set_capacity(false).error().code(), EPERM);
	ASSERT_TRUE(device.set_capacity(true).ok());
	EXPECT_EQ(device.size_bytes(), 20u << 20);
}

TEST(LoopDeviceModel, BlockSizeChecks)
{
	DeviceModel device(0);
	ASSERT_TRUE(device.set_fd(file(), true).ok());
	EXPECT_EQ(device.set_block_size(1000, true).error().code(), EINVAL);
	EXPECT_EQ(device.set_block_size(8192, true).error().code(), EINVAL);
	EXPECT_EQ(device.set_block_size(0, true).error().code(), EINVAL);
	ASSERT_TRUE(device.set_block_size(2048, true).ok());
	EXPECT_EQ(device.block_size(), 2048u);
}

TEST(LoopDeviceModel, ClearWhileOthersHoldItDetachesAtTheLastClose)
{
	DeviceModel device(0);
	ASSERT_TRUE(device.set_fd(file(), true).ok());
	ASSERT_TRUE(device.open().ok()); // a mount, say
	ASSERT_TRUE(device.open().ok()); // the detaching tool
	ASSERT_TRUE(device.clear_fd().ok());
	EXPECT_EQ(device.state(), DeviceState::bound);
	EXPECT_TRUE(device.flags() & LO_FLAGS_AUTOCLEAR);
	device.close();
	EXPECT_EQ(device.state(), DeviceState::bound);
	device.close();
	EXPECT_EQ(device.state(), DeviceState::unbound);
	EXPECT_EQ(device.flags(), 0u);
}

TEST(LoopDeviceModel, ClearBySoleOpenerRunsDownAndRefusesOpens)
{
	DeviceModel device(0);
	ASSERT_TRUE(device.set_fd(file(), true).ok());
	ASSERT_TRUE(device.open().ok());
	ASSERT_TRUE(device.clear_fd().ok());
	EXPECT_EQ(device.state(), DeviceState::rundown);
	EXPECT_EQ(device.open().error().code(), ENXIO);
	EXPECT_EQ(device.clear_fd().error().code(), ENXIO);
	device.close();
	EXPECT_EQ(device.state(), DeviceState::unbound);
	EXPECT_TRUE(device.open().ok());
}

TEST(LoopDeviceModel, AutoclearDetachesAtTheLastClose)
{
	DeviceModel device(0);
	ASSERT_TRUE(device.open().ok());
	loop_config config{};
	config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
	ASSERT_TRUE(device.configure(file(), true, config).ok());
	device.close();
	EXPECT_EQ(device.state(), DeviceState::unbound);
}

} // namespace
} // namespace xloop::loopdev
