// mkfs: geometry, byte identity with util-linux mkfs.minix, and the
// tool's refusal to overwrite an existing filesystem.
#include <fcntl.h>

#include "minix/superblock.hpp"
#include "minix_test_util.hpp"

namespace xloop::minix::test
{
namespace
{

// Geometry util-linux documents in its own tests (tests/ts/minix: a 5 MiB
// image has 1728 inodes, first data zone 58 for V1).
TEST(MinixMkfs, UtilLinuxDocumentedGeometry)
{
	Result<Superblock> sb = plan_filesystem(mkfs_options({Version::v1, 30, 1024}), 5 << 20);
	ASSERT_TRUE(sb.ok());
	EXPECT_EQ(sb->ninodes, 1728u);
	EXPECT_EQ(sb->nzones, 5120u);
	EXPECT_EQ(sb->first_data_zone, 58u);
	// v2i65535: 65535 inodes, 10224 blocks, first data zone 4107.
	sb = plan_filesystem(mkfs_options({Version::v2, 30, 1024}, 10224, 65535), 10224 << 10);
	ASSERT_TRUE(sb.ok());
	EXPECT_EQ(sb->ninodes, 65535u);
	EXPECT_EQ(sb->first_data_zone, 4107u);
}

TEST(MinixMkfs, RejectsWhatMkfsMinixRejects)
{
	EXPECT_EQ(plan_filesystem(mkfs_options({Version::v1, 30, 1024}), 9 << 10).error().detail(),
	          "number of blocks too small");
	EXPECT_EQ(plan_filesystem(mkfs_options({Version::v3, 14, 1024}), 1 << 20).error().detail(),
	          "unsupported name length: 14");
	EXPECT_EQ(plan_filesystem(mkfs_options({Version::v2, 60, 1024}), 1 << 20).error().detail(),
	          "unsupported name length: 60");
	EXPECT_FALSE(plan_filesystem(mkfs_options({Version::v1, 30, 1024}, 200), 100 << 10).ok());
	EXPECT_FALSE(plan_filesystem(mkfs_options({Version::v2, 30, 4096}), 1 << 20).ok());
}

class MinixMkfsConfig : public ::testing::TestWithParam<Config>
{
};

// Every configuration: the new image opens, is empty, and fsck finds it clean.
TEST_P(MinixMkfsConfig, FreshImageIsCleanAndEmpty)
{
	for (uint64_t blocks : {10, 64, 1000, 20000}) {
		auto dev = make_image(GetParam(), blocks * GetParam().block_size);
		auto fs = open_fs(*dev, false);
		ASSERT_TRUE(fs);
		Result<std::vector<DirEntry>> root = fs->readdir(kRootIno);
		ASSERT_TRUE(root.ok());
		ASSERT_EQ(root->size(), 2u);
		EXPECT_EQ((*root)[0].name, ".");
		EXPECT_EQ((*root)[1].name, "..");
		Result<StatFs> st = fs->statfs();
		ASSERT_TRUE(st.ok());
		EXPECT_EQ(st->blocks_free, st->blocks - 1); // the root directory's zone
		EXPECT_EQ(st->files_free, st->files - 1);
		EXPECT_EQ(st->name_len, GetParam().name_len);
		EXPECT_EQ(run_fsck(*dev), 0) << blocks;
	}
}

INSTANTIATE_TEST_SUITE_P(All, MinixMkfsConfig, ::testing::ValuesIn(all_configs()), param_name);

// Bytes mkfs.minix leaves to the clock and the caller: root inode times,
// uid and gid.
void mask_root_inode(std::vector<uint8_t> &img)
{
	if (img.size() < 2048 + 32)
		return;
	Result<Superblock> sb = decode_superblock(std::span(img).subspan(1024, 1024));
	if (!sb)
		return;
	size_t root = size_t{sb->inode_table_block()} * sb->block_size;
	if (root + 64 > img.size())
		return;
	if (sb->version == Version::v1) {
		for (size_t i : {2, 3, 8, 9, 10, 11, 12})
			img[root + i] = 0;
	} else {
		for (size_t i = 4; i < 24; i++)
			if (i < 8 || i >= 12)
				img[root + i] = 0;
	}
}

// The first `bytes` of a (possibly huge, sparse) file.
std::vector<uint8_t> head_of(const std::string &path, size_t bytes)
{
	std::vector<uint8_t> out(bytes);
	int fd = ::open(path.c_str(), O_RDONLY);
	ssize_t n = fd >= 0 ? ::pread(fd, out.data(), bytes, 0) : -1;
	if (fd >= 0)
		::close(fd);
	out.resize(n > 0 ? static_cast<size_t>(n) : 0);
	return out;
}

struct SweepCase {
	std::string args;
	uint64_t blocks;
};

// xloop mkfs and mkfs.minix on identical sparse files: same exit status and,
// masked root times and owner aside, the same bytes.
TEST(MinixMkfsConformance, ByteIdenticalToMkfsMinix)
{
	std::vector<SweepCase> cases;
	for (const char *ver : {"-1 -n 14", "-1 -n 30", "-2 -n 14", "-2 -n 30", "-3"})
		for (uint64_t blocks : {10, 11, 100, 1439, 1440, 8191, 8192, 8193, 24577, 65535,
		                        65536, 131072, 600000, 2200000})
			cases.push_back({ver, blocks});
	for (const char *ver : {"-1", "-2", "-3"})
		for (const char *inodes : {"-i 1", "-i 31", "-i 33", "-i 1000", "-i 8191",
		                           "-i 8192", "-i 65520", "-i 65535", "-i 70000"})
			cases.push_back({std::string(ver) + " " + inodes, 70000});
	// The format's limits: V1's 65535 zones, V2's 4 + 65531 * 8192 blocks, and
	// V3 with few enough inodes to keep the first data zone in 16 bits.
	cases.push_back({"-1", 70000});
	cases.push_back({"-2", 4 + 65531ull * 8192});
	cases.push_back({"-2", 4 + 65531ull * 8192 + 100});
	cases.push_back({"-3 -i 64", 4 + 65531ull * 8192});
	cases.push_back({"-3", 4 + 65531ull * 8192}); // too many inodes: both refuse
	for (const SweepCase &c : cases) {
		SCOPED_TRACE(c.args + " blocks " + std::to_string(c.blocks));
		TempFile a, b;
		ASSERT_EQ(truncate(a.path().c_str(), static_cast<off_t>(c.blocks * 1024)), 0);
		ASSERT_EQ(truncate(b.path().c_str(), static_cast<off_t>(c.blocks * 1024)), 0);
		int ra =
		        run_command("/usr/sbin/mkfs.minix " + c.args + " " + shell_quote(a.path()));
		int rb = run_command(std::string(XLOOP_BINARY) + " mkfs " + c.args + " " +
		                     shell_quote(b.path()));
		ASSERT_EQ(ra, rb);
		if (ra != 0)
			continue;
		std::vector<uint8_t> ha = head_of(a.path(), 4096);
		Result<Superblock> sb = decode_superblock(std::span(ha).subspan(1024, 1024));
		ASSERT_TRUE(sb.ok());
		size_t meta = (size_t{sb->first_data_zone} + 1) * 1024;
		std::vector<uint8_t> ia = head_of(a.path(), meta), ib = head_of(b.path(), meta);
		mask_root_inode(ia);
		mask_root_inode(ib);
		ASSERT_EQ(ia.size(), meta);
		ASSERT_TRUE(ia == ib);
		// Past the root directory both tools leave the file untouched.
		struct stat sa {
		}, sbb{};
		stat(a.path().c_str(), &sa);
		stat(b.path().c_str(), &sbb);
		EXPECT_EQ(sa.st_size, sbb.st_size);
	}
}

// mkfs -l FILE: the listed zones kept by inode 2 ("/.badblocks"), laid out
// as mkfs.minix lays them out (direct, indirect and double indirect zones),
// byte for byte, times masked, the whole images compared (the indirect
// blocks sit among the data zones); fsck.minix checks ours clean.  Except
// where mkfs.minix is wrong: for V2 and V3 it fills its indirect blocks
// from an array of unsigned long, 8 bytes on 64-bit machines, so past 7 bad
// blocks every other pointer is 0 and half of them are lost (its own fsck
// then reports "Zone N: marked in use, no file uses it"); there ours only
// has to be right.
TEST(MinixMkfsConformance, BadBlockListsAsMkfsMinix)
{
	// Bad-block counts: none, direct only, into the indirect block, into
	// the double indirect one (V2: 7 + 256; V1: 7 + 512).
	for (const char *ver : {"-1 -n 14", "-1 -n 30", "-2 -n 14", "-2 -n 30", "-3"})
		for (unsigned count : {1u, 7u, 8u, 300u, 600u}) {
			SCOPED_TRACE(std::string(ver) + ", " + std::to_string(count) +
			             " bad blocks");
			const uint64_t blocks = 8192;
			TempFile a, b, list;
			ASSERT_EQ(truncate(a.path().c_str(), static_cast<off_t>(blocks * 1024)), 0);
			ASSERT_EQ(truncate(b.path().c_str(), static_cast<off_t>(blocks * 1024)), 0);
			// Every third zone from 400 up, in descending order.
			std::string numbers;
			for (unsigned i = count; i > 0; i--)
				numbers += std::to_string(400 + 3 * (i - 1)) + "\n";
			list.write(std::vector<uint8_t>(numbers.begin(), numbers.end()));
			std::string ours, theirs;
			int ra = run_command("/usr/sbin/mkfs.minix " + std::string(ver) + " -l " +
			                             shell_quote(list.path()) + " " +
			                             shell_quote(a.path()),
			                     &theirs);
			int rb = run_command(std::string(XLOOP_BINARY) + " mkfs " + ver + " -l " +
			                             shell_quote(list.path()) + " " +
			                             shell_quote(b.path()),
			                     &ours);
			ASSERT_EQ(ra, 0) << theirs;
			ASSERT_EQ(rb, 0) << ours;
			EXPECT_EQ(ours, theirs);
			EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f " + shell_quote(b.path())),
			          0);
			if (std::string(ver) != "-1 -n 14" && std::string(ver) != "-1 -n 30" &&
			    count > 7)
				continue; // mkfs.minix's indirect blocks are wrong here

			std::vector<uint8_t> ia = head_of(a.path(), blocks * 1024);
			std::vector<uint8_t> ib = head_of(b.path(), blocks * 1024);
			ASSERT_EQ(ia.size(), ib.size());
			Result<Superblock> sb =
			        decode_superblock(std::span(ia).subspan(1024, 1024));
			ASSERT_TRUE(sb.ok());
			mask_root_inode(ia);
			mask_root_inode(ib);
			// The bad-blocks inode's times, as the root's.
			size_t bad = size_t{sb->inode_table_block()} * 1024 + sb->inode_size();
			for (size_t i = 0; i < sb->inode_size(); i++)
				if (sb->version == Version::v1 ? (i >= 8 && i < 12)
				                               : (i >= 12 && i < 24))
					ia[bad + i] = ib[bad + i] = 0;
			size_t first_diff = 0;
			while (first_diff < ia.size() && ia[first_diff] == ib[first_diff])
				first_diff++;
			EXPECT_EQ(first_diff, ia.size())
			        << "first difference at byte " << first_diff;
			EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f " + shell_quote(b.path())),
			          0);
		}
}

// Bad blocks that are not data zones, and -l lines that are no numbers, are
// errors (mkfs.minix sets bits outside its zone map for them).
TEST(MinixMkfsCli, BadBlockErrors)
{
	TempFile img, list;
	ASSERT_EQ(truncate(img.path().c_str(), 1 << 20), 0);
	std::string x = std::string(XLOOP_BINARY) + " mkfs -l " + shell_quote(list.path()) + " ";
	std::string out;
	for (const char *numbers : {"3\n", "1024\n", "99999\n", "12x\n", "-5\n"}) {
		list.write(std::vector<uint8_t>(numbers, numbers + strlen(numbers)));
		out.clear();
		EXPECT_EQ(run_command(x + shell_quote(img.path()), &out), 8) << numbers;
		EXPECT_NE(out.find("xloop: "), std::string::npos) << out;
	}
	EXPECT_EQ(
	        run_command(std::string(XLOOP_BINARY) + " mkfs -c -l x " + shell_quote(img.path())),
	        16);
}

TEST(MinixMkfsCli, RefusesToOverwriteWithoutForce)
{
	TempFile img;
	ASSERT_EQ(truncate(img.path().c_str(), 1 << 20), 0);
	std::string x = std::string(XLOOP_BINARY) + " mkfs ";
	ASSERT_EQ(run_command(x + shell_quote(img.path())), 0);
	std::string out;
	EXPECT_EQ(run_command(x + "-2 " + shell_quote(img.path()), &out), 8);
	EXPECT_NE(out.find("minix"), std::string::npos) << out;
	EXPECT_NE(out.find("--force"), std::string::npos) << out;
	EXPECT_EQ(run_command(x + "--force -2 " + shell_quote(img.path())), 0);
	EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f " + shell_quote(img.path())), 0);
	// Usage errors exit 16, missing targets 8, as mkfs.minix.
	EXPECT_EQ(run_command(x + "-n 20 " + shell_quote(img.path()) + " --force"), 8);
	EXPECT_EQ(run_command(x + "--bogus " + shell_quote(img.path())), 16);
	EXPECT_EQ(run_command(x + "/nonexistent/image"), 8);
}

} // namespace
} // namespace xloop::minix::test
