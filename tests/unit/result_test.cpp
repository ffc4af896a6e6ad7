#include <gtest/gtest.h>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace xloop
{
namespace
{

TEST(Error, MessageNamesContextAndErrno)
{
	Error e(EBUSY, "/dev/xloop3: LOOP_CONFIGURE");
	EXPECT_EQ(e.message(), "/dev/xloop3: LOOP_CONFIGURE: Device or resource busy");
	EXPECT_EQ(e.code(), EBUSY);
}

TEST(Error, DetailReplacesStrerror)
{
	Error e(EUCLEAN, "disk.img: superblock", "s_log_zone_size is 3, must be 0");
	EXPECT_EQ(e.message(), "disk.img: superblock: s_log_zone_size is 3, must be 0");
}

TEST(Error, WithinPrefixesTheOuterObject)
{
	Error e = Error(ENOENT, "open").within("disk.img");
	EXPECT_EQ(e.message(), "disk.img: open: No such file or directory");
	EXPECT_EQ(Error(EIO, "").within("x").message(), "x: Input/output error");
}

TEST(Result, HoldsValueOrError)
{
	Result<int> good = 42;
	ASSERT_TRUE(good.ok());
	EXPECT_EQ(*good, 42);

	Result<int> bad = Error(EINVAL, "parse");
	ASSERT_FALSE(bad);
	EXPECT_EQ(bad.error().code(), EINVAL);

	Status done;
	EXPECT_TRUE(done.ok());
	Status failed = Error(EIO, "write");
	EXPECT_FALSE(failed.ok());
}

TEST(Fd, OpenFailureNamesThePath)
{
	auto fd = Fd::open("/nonexistent/xloop-test", O_RDONLY);
	ASSERT_FALSE(fd);
	EXPECT_EQ(fd.error().code(), ENOENT);
	EXPECT_EQ(fd.error().context(), "/nonexistent/xloop-test");
}

// One context per message (issue 17: "img: /x: x: File exists").
TEST(Error, WithinNamesEachThingOnce)
{
	EXPECT_EQ(Error(EEXIST, "x").within("img: /x").message(), "img: /x: File exists");
	EXPECT_EQ(Error(ENOENT, "/nope").within("img: /nope").message(),
	          "img: /nope: No such file or directory");
	EXPECT_EQ(Error(ENOENT, "/nope").within("img: /nope/deeper").message(),
	          "img: /nope/deeper: No such file or directory");
	EXPECT_EQ(Error(ENOTDIR, "inode 5").within("img: /f/g").message(),
	          "img: /f/g: Not a directory");
	// Contexts that say more stay.
	EXPECT_EQ(Error(EIO, "inode 5", "bad zone 9").within("img: /f").message(),
	          "img: /f: inode 5: bad zone 9");
	EXPECT_EQ(Error(EBUSY, "LOOP_CONFIGURE").within("/dev/xloop3").message(),
	          "/dev/xloop3: LOOP_CONFIGURE: Device or resource busy");
	EXPECT_EQ(Error(ENOENT, "xa").within("img: /x").message(),
	          "img: /x: xa: No such file or directory");
}

TEST(Fd, ClosesExactlyOnceAndMoves)
{
	auto opened = Fd::open("/dev/null", O_RDONLY);
	ASSERT_TRUE(opened);
	int raw = opened->get();
	Fd moved = std::move(*opened);
	EXPECT_FALSE(*opened);
	EXPECT_EQ(moved.get(), raw);
	moved.reset();
	EXPECT_EQ(fcntl(raw, F_GETFD), -1);
	EXPECT_EQ(errno, EBADF);
}

} // namespace
} // namespace xloop
