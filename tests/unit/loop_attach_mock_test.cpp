// The exact ioctl conversation of an attach, held to strict gMock
// expectations at the OS boundary: nothing more is called than listed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "loopdev/loop_context.hpp"

namespace xloop::loopdev
{
namespace
{

using ::testing::_;
using ::testing::InSequence;
using ::testing::Return;
using ::testing::StrictMock;

class MockBackingFile : public BackingFile
{
public:
	MOCK_METHOD(int, fd, (), (const, override));
	MOCK_METHOD(bool, writable, (), (const, override));
	MOCK_METHOD(Result<FileInfo>, info, (), (const, override));
	MOCK_METHOD(Result<std::uint64_t>, size, (), (const, override));
};

class MockLoopDevice : public LoopDevice
{
public:
	MOCK_METHOD(const std::string &, path, (), (const, override));
	MOCK_METHOD(Status, configure, (const loop_config &), (override));
	MOCK_METHOD(Status, set_fd, (const BackingFile &), (override));
	MOCK_METHOD(Status, clear_fd, (), (override));
	MOCK_METHOD(Status, set_status, (const loop_info64 &), (override));
	MOCK_METHOD(Result<loop_info64>, get_status, (), (override));
	MOCK_METHOD(Status, set_capacity, (), (override));
	MOCK_METHOD(Status, set_direct_io, (bool), (override));
	MOCK_METHOD(Status, set_block_size, (std::uint32_t), (override));
	MOCK_METHOD(Result<std::uint64_t>, size, (), (override));
	MOCK_METHOD(Result<std::uint32_t>, logical_block_size, (), (override));
};

class MockLoopControl : public LoopControl
{
public:
	MOCK_METHOD(Result<unsigned>, get_free, (), (override));
	MOCK_METHOD(Result<unsigned>, add, (unsigned number), (override));
	MOCK_METHOD(Result<OwnedAttachment>, attach_owned, (const loop_config &config, int index),
	            (override));
};

class MockLoopOs : public LoopOs
{
public:
	MOCK_METHOD(Result<std::unique_ptr<BackingFile>>, open_backing, (const std::string &, int),
	            (override));
	MOCK_METHOD(Result<std::unique_ptr<LoopDevice>>, open_device, (const std::string &, int),
	            (override));
	MOCK_METHOD(Result<std::unique_ptr<LoopControl>>, open_control, (const std::string &),
	            (override));
	MOCK_METHOD(Result<FileInfo>, stat, (const std::string &), (override));
	MOCK_METHOD(Result<std::string>, read_file, (const std::string &), (override));
	MOCK_METHOD(Result<std::vector<std::string>>, list_dir, (const std::string &), (override));
	MOCK_METHOD(Result<std::string>, read_link, (const std::string &), (override));
	MOCK_METHOD(Result<std::string>, real_path, (const std::string &), (override));
	MOCK_METHOD(bool, exists, (const std::string &), (override));
	MOCK_METHOD(std::uint32_t, page_size, (), (override));
	MOCK_METHOD(void, sleep, (std::chrono::milliseconds), (override));
};

// Hands out mocks the test keeps pointers to (the OS owns them once opened).
class LoopAttachMock : public ::testing::Test
{
protected:
	LoopAttachMock()
	{
		file = new StrictMock<MockBackingFile>;
		device = new StrictMock<MockLoopDevice>;
		control = new StrictMock<MockLoopControl>;
		EXPECT_CALL(*file, fd()).WillRepeatedly(Return(42));
		EXPECT_CALL(*file, writable()).WillRepeatedly(Return(true));
		EXPECT_CALL(*file, info())
		        .WillRepeatedly(Return(FileInfo{S_IFREG | 0644, 28, 4, 0, 1 << 20}));
		EXPECT_CALL(*file, size()).WillRepeatedly(Return(Result<std::uint64_t>(1 << 20)));
		EXPECT_CALL(*device, path()).WillRepeatedly(::testing::ReturnRef(path));
		EXPECT_CALL(os, real_path("a.img"))
		        .WillRepeatedly(Return(std::string("/work/a.img")));
		EXPECT_CALL(os, open_backing("a.img", O_RDWR)).WillOnce([this](auto &, int) {
			return Result<std::unique_ptr<BackingFile>>(
			        std::unique_ptr<BackingFile>(file));
		});
		EXPECT_CALL(os, open_control("/dev/loop-control")).WillOnce([this](auto &) {
			return Result<std::unique_ptr<LoopControl>>(
			        std::unique_ptr<LoopControl>(control));
		});
		EXPECT_CALL(*control, get_free()).WillOnce(Return(Result<unsigned>(5)));
		EXPECT_CALL(os, open_device("/dev/loop5", O_RDWR)).WillOnce([this](auto &, int) {
			return Result<std::unique_ptr<LoopDevice>>(
			        std::unique_ptr<LoopDevice>(device));
		});
	}

	StrictMock<MockLoopOs> os;
	MockBackingFile *file;
	MockLoopDevice *device;
	MockLoopControl *control;
	std::string path = "/dev/loop5";
};

TEST_F(LoopAttachMock, LoopConfigureCarriesTheWholeRequest)
{
	loop_config seen{};
	{
		InSequence order;
		EXPECT_CALL(*device, configure(_)).WillOnce([&](const loop_config &config) {
			seen = config;
			return Status{};
		});
		EXPECT_CALL(*device, size())
		        .WillOnce(Return(Result<std::uint64_t>((1 << 20) - 4096)));
	}
	LoopContext context(os, Driver::stock_loop(false));
	AttachRequest request;
	request.file = "a.img";
	request.offset = 4096;
	request.autoclear = true;
	request.partscan = true;
	request.sector_size = 4096;
	auto attached = context.attach(request);
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(attached->device, "/dev/loop5");
	EXPECT_EQ(seen.fd, 42u);
	EXPECT_EQ(seen.block_size, 4096u);
	EXPECT_EQ(seen.info.lo_offset, 4096u);
	EXPECT_EQ(seen.info.lo_sizelimit, 0u);
	EXPECT_EQ(seen.info.lo_flags,
	          static_cast<std::uint32_t>(LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN));
	EXPECT_STREQ(reinterpret_cast<const char *>(seen.info.lo_file_name), "/work/a.img");
}

TEST_F(LoopAttachMock, FallbackFailureIsUnboundAndReported)
{
	{
		InSequence order;
		EXPECT_CALL(*device, configure(_))
		        .WillOnce(Return(Status(Error(ENOTTY, "/dev/loop5: LOOP_CONFIGURE"))));
		EXPECT_CALL(*device, set_fd(_)).WillOnce(Return(Status{}));
		EXPECT_CALL(*device, set_block_size(4096u))
		        .WillOnce(Return(Status(Error(EINVAL, "/dev/loop5: LOOP_SET_BLOCK_SIZE"))));
		EXPECT_CALL(*device, clear_fd()).WillOnce(Return(Status{}));
	}
	LoopContext context(os, Driver::stock_loop(false));
	AttachRequest request;
	request.file = "a.img";
	request.sector_size = 4096;
	auto attached = context.attach(request);
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().message(), "/dev/loop5: LOOP_SET_BLOCK_SIZE: Invalid argument");
}

TEST_F(LoopAttachMock, AnUnexpectedErrorIsNotRetried)
{
	EXPECT_CALL(*device, configure(_))
	        .WillOnce(Return(Status(Error(ENOMEM, "/dev/loop5: LOOP_CONFIGURE"))));
	LoopContext context(os, Driver::stock_loop(false));
	AttachRequest request;
	request.file = "a.img";
	auto attached = context.attach(request);
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().code(), ENOMEM);
}

} // namespace
} // namespace xloop::loopdev
