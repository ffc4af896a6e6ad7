// The loop driver's pure rules (loopdev/loop_model.hpp).  Expected values come
// from the loop ABI (uapi <linux/loop.h>, loop.c's get_size and
// loop_set_status) and LTP's ioctl_loop01, not from the code under test.
#include <gtest/gtest.h>

#include <climits>

#include "loopdev/loop_model.hpp"

namespace xloop::loopdev
{
namespace
{

TEST(LoopModelSize, WholeFileMapsAllOfIt)
{
	EXPECT_EQ(device_size(10 << 20, 0, 0), 10u << 20);
}

TEST(LoopModelSize, OffsetAndLimitCutTheRange)
{
	EXPECT_EQ(device_size(3 << 20, 4096, 1 << 20), 1u << 20);
	EXPECT_EQ(device_size(3 << 20, 4096, 0), (3u << 20) - 4096);
	// A limit larger than what is left does not extend the device.
	EXPECT_EQ(device_size(8192, 4096, 1 << 20), 4096u);
}

TEST(LoopModelSize, TrailingPartialSectorIsDropped)
{
	// Sizes seen from losetup in the 6.1 guest: a 1000-byte file gives 512
	// bytes, offset 1000 and limit 2000 give 1536.
	EXPECT_EQ(device_size(1000, 0, 0), 512u);
	EXPECT_EQ(device_size(10 << 20, 0, 1000), 512u);
	EXPECT_EQ(device_size(10 << 20, 1000, 2000), 1536u);
	EXPECT_EQ(device_size(10 << 20, 1000, 0), 10484736u);
	EXPECT_TRUE(drops_partial_sector(1000, 0, 0));
	EXPECT_TRUE(drops_partial_sector(10 << 20, 1000, 0));
	EXPECT_FALSE(drops_partial_sector(10 << 20, 1024, 0));
	EXPECT_FALSE(drops_partial_sector(0, 0, 0));
}

TEST(LoopModelSize, OffsetPastTheEndMapsNothing)
{
	EXPECT_EQ(mapped_bytes(10 << 20, 99999999, 0), 0u);
	EXPECT_EQ(device_size(4096, 4096, 0), 0u);
	EXPECT_FALSE(drops_partial_sector(4096, 8192, 0));
}

TEST(LoopModelFlags, SetStatusKeepsReadOnlyAndDirectIo)
{
	std::uint32_t ro_dio = LO_FLAGS_READ_ONLY | LO_FLAGS_DIRECT_IO;
	EXPECT_EQ(flags_after_set_status(ro_dio, 0), ro_dio);
	EXPECT_EQ(flags_after_set_status(0, LO_FLAGS_READ_ONLY | LO_FLAGS_DIRECT_IO), 0u);
}

TEST(LoopModelFlags, Ltp01AllFourFlagsReadBackAsAutoclearAndPartscan)
{
	// LTP ioctl_loop01: SET_STATUS with every flag sets only these two...
	std::uint32_t all =
	        LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO;
	std::uint32_t flags = flags_after_set_status(0, all);
	EXPECT_EQ(flags, static_cast<std::uint32_t>(LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN));
	// ...and clearing them all leaves PARTSCAN, which cannot be cleared.
	EXPECT_EQ(flags_after_set_status(flags, 0), static_cast<std::uint32_t>(LO_FLAGS_PARTSCAN));
}

TEST(LoopModelFlags, AutoclearCanBeSetAndCleared)
{
	EXPECT_EQ(flags_after_set_status(0, LO_FLAGS_AUTOCLEAR),
	          static_cast<std::uint32_t>(LO_FLAGS_AUTOCLEAR));
	EXPECT_EQ(flags_after_set_status(LO_FLAGS_AUTOCLEAR, 0), 0u);
}

TEST(LoopModelBlockSize, PowersOfTwoFrom512ToThePage)
{
	for (std::uint32_t ok : {0u, 512u, 1024u, 2048u, 4096u})
		EXPECT_TRUE(valid_block_size(ok, 4096)) << ok;
	for (std::uint32_t bad : {1u, 256u, 1000u, 3072u, 8192u, 65536u})
		EXPECT_FALSE(valid_block_size(bad, 4096)) << bad;
	EXPECT_TRUE(valid_block_size(65536, 65536));
}

TEST(LoopModelBlockSize, PlausibleSectorSizeLeavesTheTopToTheKernel)
{
	EXPECT_TRUE(plausible_sector_size(512));
	EXPECT_TRUE(plausible_sector_size(65536));
	EXPECT_FALSE(plausible_sector_size(0));
	EXPECT_FALSE(plausible_sector_size(1000));
	EXPECT_FALSE(plausible_sector_size(256));
	EXPECT_FALSE(plausible_sector_size(1ull << 40));
}

TEST(LoopModelBlockSize, SectorSizeErrorNamesTheObjectAndTheSize)
{
	EXPECT_TRUE(check_sector_size(4096, "a.img").ok());
	Status bad = check_sector_size(1000, "a.img");
	ASSERT_FALSE(bad.ok());
	EXPECT_EQ(bad.error().code(), EINVAL);
	EXPECT_EQ(bad.error().message(),
	          "a.img: sector size 1000 is not a power of two of at least 512");
}

TEST(LoopModelConfigure, RejectsWhatLoopConfigureRejects)
{
	loop_config config{};
	EXPECT_TRUE(check_configure(config, 4096).ok());

	config.info.lo_flags = 2; // not a settable flag
	EXPECT_EQ(check_configure(config, 4096).error().code(), EINVAL);
	config.info.lo_flags = LOOP_CONFIGURE_SETTABLE_FLAGS;
	EXPECT_TRUE(check_configure(config, 4096).ok());

	config.block_size = 1000;
	EXPECT_EQ(check_configure(config, 4096).error().code(), EINVAL);
	config.block_size = 4096;
	EXPECT_TRUE(check_configure(config, 4096).ok());

	config.info.lo_encrypt_type = 1; // LO_CRYPT_XOR: removed
	EXPECT_EQ(check_configure(config, 4096).error().code(), EINVAL);
	config.info.lo_encrypt_type = 0;
	config.info.lo_encrypt_key_size = LO_KEY_SIZE + 1;
	EXPECT_EQ(check_configure(config, 4096).error().code(), EINVAL);
	config.info.lo_encrypt_key_size = 0;

	config.info.lo_offset = static_cast<std::uint64_t>(LLONG_MAX) + 1;
	EXPECT_EQ(check_configure(config, 4096).error().code(), EOVERFLOW);
	config.info.lo_offset = 0;
	config.info.lo_sizelimit = UINT64_MAX;
	EXPECT_EQ(check_configure(config, 4096).error().code(), EOVERFLOW);
}

TEST(LoopModelOverlap, SameMappingIsReusable)
{
	EXPECT_EQ(classify_overlap({0, 0}, {0, 0}), Overlap::same);
	EXPECT_EQ(classify_overlap({4096, 1 << 20}, {4096, 1 << 20}), Overlap::same);
}

TEST(LoopModelOverlap, OverlapsAsLosetupSeesThem)
{
	// losetup -L in the guest: a.img at 0 is bound; a size limit of 4096 at
	// offset 0, or any offset (even the file's end), overlaps.
	EXPECT_EQ(classify_overlap({0, 0}, {0, 4096}), Overlap::overlapping);
	EXPECT_EQ(classify_overlap({0, 0}, {10 << 20, 0}), Overlap::overlapping);
	EXPECT_EQ(classify_overlap({0, 4096}, {4095, 10}), Overlap::overlapping);
	EXPECT_EQ(classify_overlap({UINT64_MAX - 10, 100}, {UINT64_MAX - 5, 0}),
	          Overlap::overlapping);
}

TEST(LoopModelOverlap, DisjointRangesDoNotOverlap)
{
	EXPECT_EQ(classify_overlap({0, 4096}, {4096, 4096}), Overlap::none);
	EXPECT_EQ(classify_overlap({8192, 0}, {0, 8192}), Overlap::none);
}

} // namespace
} // namespace xloop::loopdev
