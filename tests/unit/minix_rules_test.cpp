// The format's arithmetic as xminix.ko itself runs it (include/minix_rules.h),
// against values worked out by hand from the layout: 7 direct zones, then
// single, double (and on V2/V3 triple) indirect blocks of block size / 2
// (V1) or / 4 (V2/V3) pointers.
#include <array>
#include <cstdint>

#include <gtest/gtest.h>

#include <minix_rules.h>

namespace
{

struct Path {
	unsigned depth;
	std::array<uint32_t, 4> off;
};

Path path_of(unsigned version, uint32_t block_size, uint64_t max_size, uint64_t index)
{
	Path p{0, {}};
	p.depth = xminix_block_to_path(version, block_size, max_size, index, p.off.data());
	return p;
}

constexpr uint64_t kBig = 0xffffffffu;

TEST(MinixRules, DirectZones)
{
	for (uint64_t i = 0; i < 7; i++) {
		Path p = path_of(2, 1024, kBig, i);
		EXPECT_EQ(p.depth, 1u);
		EXPECT_EQ(p.off[0], i);
	}
}

TEST(MinixRules, V1SingleAndDoubleIndirect)
{
	// V1, 1 KiB: 512 pointers a block.
	Path p = path_of(1, 1024, XMINIX_V1_MAX_SIZE, 7);
	EXPECT_EQ(p.depth, 2u);
	EXPECT_EQ(p.off[0], 7u);
	EXPECT_EQ(p.off[1], 0u);
	p = path_of(1, 1024, XMINIX_V1_MAX_SIZE, 7 + 511);
	EXPECT_EQ(p.depth, 2u);
	EXPECT_EQ(p.off[1], 511u);
	p = path_of(1, 1024, XMINIX_V1_MAX_SIZE, 7 + 512);
	EXPECT_EQ(p.depth, 3u);
	EXPECT_EQ(p.off[0], 8u);
	EXPECT_EQ(p.off[1], 0u);
	EXPECT_EQ(p.off[2], 0u);
	// 1000 blocks into the double-indirect range: slot 1, entry 488.
	p = path_of(1, 1024, XMINIX_V1_MAX_SIZE, 7 + 512 + 1000);
	EXPECT_EQ(p.depth, 3u);
	EXPECT_EQ(p.off[1], 1u);
	EXPECT_EQ(p.off[2], 488u);
	// The last block V1 maps, and the first it cannot (no triple indirect).
	p = path_of(1, 1024, XMINIX_V1_MAX_SIZE, 7 + 512 + 512 * 512 - 1);
	EXPECT_EQ(p.depth, 3u);
	EXPECT_EQ(p.off[1], 511u);
	EXPECT_EQ(p.off[2], 511u);
	EXPECT_EQ(path_of(1, 1024, kBig, 7 + 512 + 512 * 512).depth, 0u);
}

TEST(MinixRules, V2AndV3TripleIndirect)
{
	// V2, 1 KiB: 256 pointers a block.
	Path p = path_of(2, 1024, kBig, 7 + 256 + 65536);
	EXPECT_EQ(p.depth, 4u);
	EXPECT_EQ(p.off[0], 9u);
	EXPECT_EQ(p.off[1], 0u);
	EXPECT_EQ(p.off[2], 0u);
	EXPECT_EQ(p.off[3], 0u);
	// 70000 KiB (the parity case's sparse write): 70000 - 7 - 256 = 69737
	// into the double range would be past its 65536: triple, entry 4201.
	p = path_of(2, 1024, kBig, 70000);
	EXPECT_EQ(p.depth, 4u);
	EXPECT_EQ(p.off[1], 0u);
	EXPECT_EQ(p.off[2], 4201u / 256);
	EXPECT_EQ(p.off[3], 4201u % 256);
	// V3, 4 KiB: 1024 pointers a block.
	p = path_of(3, 4096, kBig, 7 + 1024);
	EXPECT_EQ(p.depth, 3u);
	EXPECT_EQ(p.off[0], 8u);
}

TEST(MinixRules, NothingAtOrPastTheMaximumSize)
{
	EXPECT_EQ(path_of(2, 1024, 1025, 1).depth, 1u);
	EXPECT_EQ(path_of(2, 1024, 1025, 2).depth, 0u);
	EXPECT_EQ(path_of(2, 1024, 1024, 1).depth, 0u);
	EXPECT_EQ(path_of(2, 1024, 0, 0).depth, 0u);
}

// mkfs.minix -1 -n 14 on 1 MiB: 352 inodes (11 table blocks from block 4),
// 1024 zones, the first data zone 15.
xminix_geometry v1_mkfs()
{
	xminix_geometry g{};
	g.version = 1;
	g.ninodes = 352;
	g.nzones = 1024;
	g.imap_blocks = 1;
	g.zmap_blocks = 1;
	g.first_data_zone = 15;
	g.max_size = 0x10081c00;
	g.block_size = 1024;
	return g;
}

TEST(MinixRules, GeometryOfAFreshImageIsFine)
{
	xminix_geometry g = v1_mkfs();
	EXPECT_EQ(xminix_check_geometry(&g, 1 << 20), XMINIX_GEOMETRY_OK);
	EXPECT_EQ(xminix_inode_table_block(&g), 4u);
	EXPECT_EQ(xminix_inode_table_blocks(&g), 11u);
}

TEST(MinixRules, GeometryFaults)
{
	struct Case {
		const char *what;
		void (*change)(xminix_geometry &);
		uint64_t device;
		xminix_geometry_fault fault;
	};
	const Case cases[] = {
	        {"zone size", [](xminix_geometry &g) { g.log_zone_size = 1; }, 0,
	         XMINIX_GEOMETRY_LOG_ZONE_SIZE},
	        {"block size", [](xminix_geometry &g) { g.block_size = 512; }, 0,
	         XMINIX_GEOMETRY_BLOCK_SIZE},
	        {"no inodes", [](xminix_geometry &g) { g.ninodes = 0; }, 0,
	         XMINIX_GEOMETRY_NINODES},
	        {"first zone 4", [](xminix_geometry &g) { g.first_data_zone = 4; }, 0,
	         XMINIX_GEOMETRY_FIRST_DATA_ZONE},
	        {"first zone past the end", [](xminix_geometry &g) { g.first_data_zone = 1024; }, 0,
	         XMINIX_GEOMETRY_FIRST_DATA_ZONE},
	        // 8192 inodes need 8193 bits with the reserved bit 0.
	        {"inode map", [](xminix_geometry &g) { g.ninodes = 8192; }, 0,
	         XMINIX_GEOMETRY_IMAP},
	        {"zone map",
	         [](xminix_geometry &g) {
		         g.nzones = 8192 + 15;
		         g.max_size = 0;
	         },
	         0, XMINIX_GEOMETRY_ZMAP},
	        {"V1 maximum size", [](xminix_geometry &g) { g.max_size = XMINIX_V1_MAX_SIZE + 1; },
	         0, XMINIX_GEOMETRY_MAX_SIZE},
	        {"inode table into the data", [](xminix_geometry &g) { g.first_data_zone = 14; }, 0,
	         XMINIX_GEOMETRY_INODE_TABLE},
	        {"device too small", [](xminix_geometry &) {}, 1023 * 1024, XMINIX_GEOMETRY_DEVICE},
	};
	for (const Case &c : cases) {
		xminix_geometry g = v1_mkfs();
		c.change(g);
		EXPECT_EQ(xminix_check_geometry(&g, c.device), c.fault) << c.what;
	}
}

} // namespace
