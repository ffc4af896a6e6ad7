// Naming and reading loop devices: resolve_disk, list_disks, the sysfs
// readers with their ioctl fallback, and find_backing (losetup -j).
#include <gtest/gtest.h>

#include "loop_fake_os.hpp"
#include "loopdev/device_info.hpp"
#include "loopdev/loop_context.hpp"

namespace xloop::loopdev
{
namespace
{

using testing::FakeLoopOs;

class LoopListing : public ::testing::Test
{
protected:
	LoopListing()
	{
		os.add_file("/tmp/a.img", 10 << 20);
		os.add_file("/tmp/b.img", 3 << 20);
	}

	void attach(const std::string &file, std::uint64_t offset = 0, std::uint32_t flags = 0)
	{
		LoopContext context(os, loop);
		AttachRequest request;
		request.file = file;
		request.offset = offset;
		request.read_only = flags & LO_FLAGS_READ_ONLY;
		request.partscan = flags & LO_FLAGS_PARTSCAN;
		auto attached = context.attach(request);
		ASSERT_TRUE(attached.ok()) << attached.error().message();
	}

	FakeLoopOs os;
	Driver loop = Driver::stock_loop(false);
	std::vector<Driver> drivers = all_drivers({});
};

TEST_F(LoopListing, ResolvesNamesPathsAndRejectsOthers)
{
	auto bare = resolve_disk(os, drivers, "loop2");
	ASSERT_TRUE(bare.ok()) << bare.error().message();
	EXPECT_EQ(bare->name, "loop2");
	EXPECT_EQ(bare->path, "/dev/loop2");
	EXPECT_EQ(bare->number, 2u);
	EXPECT_EQ(bare->driver.name, "loop");
	EXPECT_EQ(resolve_disk(os, drivers, "/dev/loop3")->name, "loop3");

	auto missing = resolve_disk(os, drivers, "/dev/loop99");
	ASSERT_FALSE(missing.ok());
	EXPECT_EQ(missing.error().message(), "/dev/loop99: No such file or directory");
	auto file = resolve_disk(os, drivers, "/tmp/a.img");
	ASSERT_FALSE(file.ok());
	EXPECT_EQ(file.error().message(), "/tmp/a.img: not a loop device");
	// A loop name the chosen driver does not serve.
	EXPECT_EQ(resolve_disk(os, {Driver::xloop_native()}, "/dev/loop1").error().code(), ENODEV);
}

TEST_F(LoopListing, ListsBoundDisksInSysfsOrder)
{
	attach("/tmp/a.img");
	attach("/tmp/b.img");
	attach("/tmp/a.img", 4096);
	os.sysfs_order = {"loop1", "sda", "loop2", "loop0", "loop3", "loop0p1"};
	auto bound = list_disks(os, drivers, true);
	ASSERT_TRUE(bound.ok());
	std::vector<std::string> names;
	for (const Disk &disk : *bound)
		names.push_back(disk.name);
	EXPECT_EQ(names, (std::vector<std::string>{"loop1", "loop2", "loop0"}));
	EXPECT_EQ(list_disks(os, drivers, false)->size(), 4u);
	EXPECT_TRUE(list_disks(os, {Driver::xloop_native()}, true)->empty());
}

TEST_F(LoopListing, WithoutSysfsDevIsScannedAndTheDevicesAsked)
{
	attach("/tmp/b.img");
	os.has_sysfs = false;
	auto bound = list_disks(os, drivers, true);
	ASSERT_TRUE(bound.ok());
	ASSERT_EQ(bound->size(), 1u);
	EXPECT_EQ(bound->front().path, "/dev/loop0");
}

TEST_F(LoopListing, ReadsTheSysfsAttributes)
{
	attach("/tmp/b.img", 4096, LO_FLAGS_READ_ONLY | LO_FLAGS_PARTSCAN);
	os.calls.clear();
	auto info = read_device_info(os, disk_of(loop, 0), false);
	ASSERT_TRUE(info.ok()) << info.error().message();
	EXPECT_TRUE(info->bound);
	EXPECT_EQ(info->backing_file, "/tmp/b.img");
	EXPECT_EQ(info->offset, 4096u);
	EXPECT_EQ(info->sizelimit, 0u);
	EXPECT_TRUE(info->read_only);
	EXPECT_TRUE(info->partscan);
	EXPECT_FALSE(info->autoclear);
	EXPECT_FALSE(info->direct_io);
	EXPECT_EQ(info->sector_size, 512u);
	EXPECT_EQ(info->devno, (std::pair<unsigned, unsigned>{7, 0}));
	EXPECT_FALSE(info->backing_ino.has_value()); // not asked for: no device open
	for (const std::string &call : os.calls)
		EXPECT_NE(call, "open /dev/loop0");

	auto ids = read_device_info(os, disk_of(loop, 0), true);
	ASSERT_TRUE(ids.ok());
	EXPECT_EQ(ids->backing_dev, makedev(0, 28));
	EXPECT_EQ(ids->backing_ino, os.stat("/tmp/b.img")->ino);
}

TEST_F(LoopListing, AnUnboundDeviceShowsOnlyWhatItHas)
{
	auto info = read_device_info(os, disk_of(loop, 1), true);
	ASSERT_TRUE(info.ok());
	EXPECT_FALSE(info->bound);
	EXPECT_TRUE(info->backing_file.empty());
	EXPECT_EQ(info->sector_size, 512u);
	EXPECT_FALSE(info->backing_ino.has_value());
}

TEST_F(LoopListing, WithoutSysfsTheIoctlsTellTheSame)
{
	attach("/tmp/a.img", 512, LO_FLAGS_PARTSCAN);
	os.has_sysfs = false;
	auto info = read_device_info(os, disk_of(loop, 0), false);
	ASSERT_TRUE(info.ok()) << info.error().message();
	EXPECT_TRUE(info->bound);
	EXPECT_EQ(info->backing_file, "/tmp/a.img"); // lo_file_name
	EXPECT_EQ(info->offset, 512u);
	EXPECT_TRUE(info->partscan);
	EXPECT_EQ(info->devno, (std::pair<unsigned, unsigned>{7, 0}));
	auto unbound = read_device_info(os, disk_of(loop, 2), false);
	ASSERT_TRUE(unbound.ok());
	EXPECT_FALSE(unbound->bound);
}

TEST_F(LoopListing, FindsTheDevicesOfAFile)
{
	attach("/tmp/a.img");
	attach("/tmp/b.img");
	attach("/tmp/a.img", 4096);
	auto a = os.stat("/tmp/a.img");
	auto users = find_backing(os, drivers, *a);
	ASSERT_TRUE(users.ok());
	ASSERT_EQ(users->size(), 2u);
	EXPECT_EQ((*users)[0].disk.name, "loop0");
	EXPECT_EQ((*users)[1].disk.name, "loop2");
	auto at_offset = find_backing(os, drivers, *a, 4096);
	ASSERT_EQ(at_offset->size(), 1u);
	EXPECT_EQ(at_offset->front().disk.name, "loop2");
	EXPECT_TRUE(find_backing(os, drivers, *a, 5)->empty());
}

} // namespace
} // namespace xloop::loopdev
