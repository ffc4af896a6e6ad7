// Size arguments as util-linux reads them (values checked against losetup in
// the guest: -o 1k and -o 1KiB give offset 1024, --sizelimit 1MiB 1048576).
#include <gtest/gtest.h>

#include "loopdev/size_parse.hpp"

namespace xloop::loopdev
{
namespace
{

TEST(LoopSizeParse, PlainNumbers)
{
	EXPECT_EQ(*parse_size("0"), 0u);
	EXPECT_EQ(*parse_size("4096"), 4096u);
	EXPECT_EQ(*parse_size("3221225472"), 3221225472u);
	EXPECT_EQ(*parse_size("0x1000"), 4096u);
}

TEST(LoopSizeParse, BinaryAndDecimalUnits)
{
	EXPECT_EQ(*parse_size("1k"), 1024u);
	EXPECT_EQ(*parse_size("1K"), 1024u);
	EXPECT_EQ(*parse_size("1KiB"), 1024u);
	EXPECT_EQ(*parse_size("1MiB"), 1048576u);
	EXPECT_EQ(*parse_size("3G"), 3221225472u);
	EXPECT_EQ(*parse_size("1KB"), 1000u);
	EXPECT_EQ(*parse_size("2MB"), 2000000u);
	EXPECT_EQ(*parse_size("1E"), 1ull << 60);
}

TEST(LoopSizeParse, Garbage)
{
	for (const char *bad :
	     {"", "abc", "-1", " -1", "1x", "1KiBB", "K", "1 K", "1.5", "0x", "08"}) {
		auto size = parse_size(bad);
		ASSERT_FALSE(size.ok()) << bad;
		EXPECT_EQ(size.error().code(), EINVAL) << bad;
	}
}

// util-linux's strtosize(), the oracle: each value as fallocate -l, which
// parses with it, took it on the development machine.
TEST(LoopSizeParse, AsUtilLinuxReadsThem)
{
	EXPECT_EQ(*parse_size("010"), 8u);
	EXPECT_EQ(*parse_size("0x10"), 16u);
	EXPECT_EQ(*parse_size(" 12"), 12u);
	EXPECT_EQ(*parse_size("1.5M"), 1572864u);
	EXPECT_EQ(*parse_size("1.23K"), 1259u);
	EXPECT_EQ(*parse_size("0.5K"), 512u);
	EXPECT_EQ(*parse_size("1.05K"), 1075u);
	EXPECT_EQ(*parse_size("1.005M"), 1053818u);
	EXPECT_EQ(*parse_size("1kb"), 1000u);
	EXPECT_EQ(*parse_size("1Kb"), 1000u);
	EXPECT_EQ(parse_size("2Z").error().code(), ERANGE);
}

TEST(LoopSizeParse, Overflow)
{
	EXPECT_EQ(parse_size("18446744073709551616").error().code(), ERANGE);
	EXPECT_EQ(parse_size("16E").error().code(), ERANGE);
	EXPECT_EQ(*parse_size("15E"), 15ull << 60);
}

} // namespace
} // namespace xloop::loopdev
