// fsck: a corpus of corrupted images made here, in code, each checked by
// util-linux fsck.minix (the oracle for its own column) and by xloop fsck;
// then `xloop fsck -a` must leave an image both fsck.minix -f and xloop
// fsck -f pass.  Also fsck's answers on clean images with what
// fsck.minix cannot judge (more than 255 links, depth 50, V3 4 KiB).
#include <functional>
#include <optional>
#include <random>

#include "minix/directory.hpp"
#include "minix/endian.hpp"
#include "minix/superblock.hpp"
#include "minix_test_util.hpp"

namespace xloop::minix::test
{
namespace
{

// Raw edits of an image, addressed through the model's view of it.
class Editor
{
public:
	explicit Editor(MemoryDevice &dev) : dev_(dev), sb_(*read_superblock(dev)) {}

	const Superblock &sb() const { return sb_; }
	uint8_t *at(uint64_t offset) { return dev_.bytes().data() + offset; }

	uint64_t inode_offset(uint32_t ino) const
	{
		return uint64_t{sb_.inode_table_block()} * sb_.block_size +
		       uint64_t{ino - 1} * sb_.inode_size();
	}
	Inode inode(uint32_t ino) { return decode_inode(sb_.version, at(inode_offset(ino))); }
	void edit_inode(uint32_t ino, const std::function<void(Inode &)> &change)
	{
		Inode in = inode(ino);
		change(in);
		encode_inode(sb_.version, in, at(inode_offset(ino)));
	}
	void set_bit(uint32_t map_block, uint64_t bit, bool on)
	{
		uint8_t *p = at(uint64_t{map_block} * sb_.block_size + bit / 8);
		*p = static_cast<uint8_t>(on ? *p | (1u << (bit % 8)) : *p & ~(1u << (bit % 8)));
	}
	void imap(uint64_t bit, bool on) { set_bit(2, bit, on); }
	void zmap_zone(uint32_t zone, bool on)
	{
		set_bit(2u + sb_.imap_blocks, uint64_t{zone} - sb_.first_data_zone + 1, on);
	}
	void zmap_bit(uint64_t bit, bool on) { set_bit(2u + sb_.imap_blocks, bit, on); }

	uint32_t ino_of(const std::string &path)
	{
		auto fs = open_fs(dev_, false);
		return *fs->resolve(path);
	}
	// Byte offset of the directory entry for `path` (directories of one block
	// are enough here).
	uint64_t entry_offset(const std::string &dir, const std::string &name)
	{
		auto fs = open_fs(dev_, false);
		uint32_t d = *fs->resolve(dir);
		Result<std::vector<DirEntry>> entries = fs->readdir(d);
		for (const DirEntry &e : *entries)
			if (e.name == name)
				return uint64_t{fs->stat(d)->zone[e.offset / sb_.block_size]} *
				               sb_.block_size +
				       e.offset % sb_.block_size;
		ADD_FAILURE() << "no entry " << name;
		return 0;
	}
	void edit_super(const std::function<void(Superblock &)> &change)
	{
		change(sb_);
		encode_superblock(sb_, std::span(dev_.bytes()).subspan(1024, 1024));
	}

private:
	MemoryDevice &dev_;
	Superblock sb_;
};

// The base image: a few files, a directory, a file using an indirect block,
// a symlink and a FIFO.
std::unique_ptr<MemoryDevice> base_image(const Config &c)
{
	auto dev = make_image(c, 2 << 20);
	auto fs = open_fs(*dev);
	uint32_t hello = *fs->create(kRootIno, "hello", 0644);
	(void)fs->write(hello, 0, bytes_of("hello, world\n"));
	uint32_t dir = *fs->mkdir(kRootIno, "dir", 0755);
	uint32_t f2 = *fs->create(dir, "file2", 0600);
	(void)fs->write(f2, 0, bytes_of(std::string(c.block_size + 10, 'x')));
	uint32_t big = *fs->create(kRootIno, "big", 0644);
	(void)fs->write(big, 0, bytes_of(std::string(10 * c.block_size, 'b')));
	(void)fs->symlink(kRootIno, "sym", "hello");
	(void)fs->mknod(kRootIno, "fifo", S_IFIFO | 0644, 0, 0);
	EXPECT_TRUE(fs->unmount().ok());
	return dev;
}

struct CorpusCase {
	std::string name;
	Config config;
	std::function<void(Editor &)> corrupt;
	std::optional<int> util_linux; // fsck.minix -f exit; nullopt: it cannot check this geometry
	int xloop;                     // xloop fsck -f exit
	bool repairable = true;        // xloop fsck -a fixes it all
	std::function<std::unique_ptr<MemoryDevice>(const Config &)> image = base_image;
};

const Config v2{Version::v2, 30, 1024};

std::vector<CorpusCase> corpus()
{
	std::vector<CorpusCase> c;
	auto add = [&](CorpusCase k) { c.push_back(std::move(k)); };
	// Each fsck.minix message class (reference section 4.3).
	add({"clean", v2, [](Editor &) {}, 0, 0});
	add({"nlinks_too_high", v2,
	     [](Editor &e) { e.edit_inode(e.ino_of("/hello"), [](Inode &i) { i.nlinks = 2; }); }, 4,
	     4});
	add({"inode_and_zone_bits_clear", v2,
	     [](Editor &e) {
		     uint32_t ino = e.ino_of("/hello");
		     e.imap(ino, false);
		     e.zmap_zone(e.inode(ino).zone[0], false);
	     },
	     4, 4});
	add({"zone_beyond_zones", v2,
	     [](Editor &e) {
		     e.edit_inode(e.ino_of("/hello"),
		                  [&](Inode &i) { i.zone[0] = e.sb().nzones + 5; });
	     },
	     4, 4});
	add({"zone_below_firstzone", v2,
	     [](Editor &e) {
		     e.edit_inode(e.ino_of("/hello"),
		                  [&](Inode &i) { i.zone[0] = e.sb().first_data_zone - 1; });
	     },
	     4, 4});
	add({"zone_shared", v2,
	     [](Editor &e) {
		     uint32_t z = e.inode(e.ino_of("/hello")).zone[0];
		     e.edit_inode(e.ino_of("/dir/file2"), [&](Inode &i) { i.zone[1] = z; });
	     },
	     4, 4});
	add({"zone_leaked", v2, [](Editor &e) { e.zmap_zone(e.sb().nzones - 3, true); }, 4, 4});
	add({"inode_leaked", v2, [](Editor &e) { e.imap(e.sb().ninodes - 2, true); }, 4, 4});
	add({"dirent_inode_out_of_range", v2,
	     [](Editor &e) {
		     put_le16(e.at(e.entry_offset("/", "hello")),
		              static_cast<uint16_t>(e.sb().ninodes + 1));
	     },
	     4, 4});
	add({"root_size_one_entry", v2,
	     [](Editor &e) { e.edit_inode(kRootIno, [](Inode &i) { i.size = 32; }); }, 4, 4});
	add({"unknown_mode", v2,
	     [](Editor &e) {
		     e.edit_inode(e.ino_of("/hello"), [](Inode &i) { i.mode = 0170644; });
	     },
	     4, 4});
	add({"firstzone_not_norm", v2,
	     [](Editor &e) { e.edit_super([](Superblock &s) { s.first_data_zone++; }); }, 4, 4,
	     false});
	add({"root_not_directory", v2,
	     [](Editor &e) { e.edit_inode(kRootIno, [](Inode &i) { i.mode = S_IFREG | 0644; }); },
	     8, 8, false});
	add({"bad_magic", v2, [](Editor &e) { put_le16(e.at(1024 + 16), 0x1234); }, 8, 8, false});
	// fsck.minix's blind spots (reference section 4.2): it passes, we do not.
	add({"dir_size_not_multiple", v2,
	     [](Editor &e) { e.edit_inode(kRootIno, [](Inode &i) { i.size += 6; }); }, 0, 4});
	add({"zones_beyond_size", v2,
	     [](Editor &e) { e.edit_inode(e.ino_of("/big"), [](Inode &i) { i.size = 100; }); }, 0,
	     4});
	add({"zmap_padding_clear", v2,
	     [](Editor &e) { e.zmap_bit(e.sb().data_zones() + 3, false); }, 0, 4});
	add({"zmap_bit0_clear", v2, [](Editor &e) { e.zmap_bit(0, false); }, 0, 4});
	add({"imap_padding_clear", v2, [](Editor &e) { e.imap(e.sb().ninodes + 1, false); }, 0, 4});
	add({"imap_bit0_clear", v2, [](Editor &e) { e.imap(0, false); }, 0, 4});
	add({"name_with_slash", v2,
	     [](Editor &e) { *e.at(e.entry_offset("/", "hello") + 3) = '/'; }, 0, 4});
	add({"duplicate_name", v2,
	     [](Editor &e) { std::memcpy(e.at(e.entry_offset("/", "big") + 2), "dir", 4); }, 0, 4});
	add({"symlink_size_zero", v2,
	     [](Editor &e) { e.edit_inode(e.ino_of("/sym"), [](Inode &i) { i.size = 0; }); }, 0,
	     4});
	add({"fifo_with_zones", v2,
	     [](Editor &e) {
		     e.edit_inode(e.ino_of("/fifo"),
		                  [&](Inode &i) { i.zone[3] = e.sb().nzones - 2; });
	     },
	     0, 4});
	// minix.ko writes only zone 0 (the number) of a device node: a reused
	// inode keeps the old file's zones 1.. (seen in VM case 401).
	add({"device_with_old_zones", v2,
	     [](Editor &e) {
		     e.edit_inode(e.ino_of("/cdev"), [&](Inode &i) {
			     i.zone[1] = e.sb().nzones - 2;
			     i.zone[2] = e.sb().nzones - 3;
		     });
	     },
	     0, 0, true,
	     [](const Config &cfg) {
		     auto dev = base_image(cfg);
		     auto fs = open_fs(*dev);
		     (void)fs->mknod(kRootIno, "cdev", S_IFCHR | 0644, 1, 3);
		     EXPECT_TRUE(fs->unmount().ok());
		     return dev;
	     }});
	// Other configurations.
	Config v1{Version::v1, 14, 1024}, v3{Version::v3, 60, 1024};
	add({"v1_nlinks_too_low", v1,
	     [](Editor &e) { e.edit_inode(e.ino_of("/big"), [](Inode &i) { i.nlinks = 0; }); }, 4,
	     4});
	add({"v1_zmap_padding_clear", v1,
	     [](Editor &e) { e.zmap_bit(e.sb().data_zones() + 1, false); }, 0, 4});
	add({"v3_zone_shared", v3,
	     [](Editor &e) {
		     uint32_t z = e.inode(e.ino_of("/big")).zone[2];
		     e.edit_inode(e.ino_of("/hello"), [&](Inode &i) { i.zone[0] = z; });
	     },
	     4, 4});
	// V3 with 4 KiB blocks: fsck.minix cannot read it at all.
	Config v3k4{Version::v3, 60, 4096};
	add({"v3_4k_clean", v3k4, [](Editor &) {}, 8, 0});
	add({"v3_4k_nlinks", v3k4,
	     [](Editor &e) { e.edit_inode(e.ino_of("/dir"), [](Inode &i) { i.nlinks = 7; }); }, 8,
	     4});
	add({"v3_2k_zone_leaked",
	     {Version::v3, 60, 2048},
	     [](Editor &e) { e.zmap_zone(e.sb().nzones - 1, true); },
	     8,
	     4});
	return c;
}

class MinixFsckCorpus : public ::testing::TestWithParam<CorpusCase>
{
};

int fsck_minix(const std::string &path)
{
	return run_command("/usr/sbin/fsck.minix -f " + shell_quote(path));
}

int xloop_fsck(const std::string &args, const std::string &path, std::string *out = nullptr)
{
	return run_command(std::string(XLOOP_BINARY) + " fsck " + args + " " + shell_quote(path),
	                   out);
}

TEST_P(MinixFsckCorpus, ExitCodesAndRepair)
{
	const CorpusCase &k = GetParam();
	auto dev = k.image(k.config);
	{
		Editor e(*dev);
		k.corrupt(e);
	}
	TempFile img;
	img.write(dev->bytes());
	if (k.util_linux) {
		EXPECT_EQ(fsck_minix(img.path()), *k.util_linux) << "fsck.minix";
	}
	std::string out;
	EXPECT_EQ(xloop_fsck("-f", img.path(), &out), k.xloop) << out;
	// Checking must not change the image.
	EXPECT_TRUE(img.read() == dev->bytes());
	if (k.xloop == 8)
		return;
	out.clear();
	int repaired = xloop_fsck("-a -f", img.path(), &out);
	if (!k.repairable) {
		EXPECT_EQ(repaired & 4, 4) << out;
		return;
	}
	EXPECT_EQ(repaired, k.xloop ? 3 : 0) << out;
	out.clear();
	EXPECT_EQ(xloop_fsck("-f", img.path(), &out), 0) << out;
	if (k.util_linux == 8)
		return;
	EXPECT_EQ(fsck_minix(img.path()), 0) << "fsck.minix after xloop fsck -a";
}

INSTANTIATE_TEST_SUITE_P(Corpus, MinixFsckCorpus, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<CorpusCase> &p) {
	                         return p.param.name;
                         });

// Clean images fsck.minix misjudges: more than 255 links to a file and 50
// nested directories (its unsigned char counts and MAX_DEPTH).
TEST(MinixFsckBeyondUtilLinux, ManyLinksAndDeepTrees)
{
	auto dev = make_image(v2, 4 << 20);
	{
		auto fs = open_fs(*dev);
		uint32_t f = *fs->create(kRootIno, "f", 0644);
		for (int i = 1; i < 300; i++)
			ASSERT_TRUE(fs->link(f, kRootIno, "l" + std::to_string(i)).ok());
		uint32_t dir = kRootIno;
		for (int depth = 0; depth < 60; depth++)
			dir = *fs->mkdir(dir, "d", 0755);
		ASSERT_TRUE(fs->unmount().ok());
	}
	TempFile img;
	img.write(dev->bytes());
	EXPECT_EQ(fsck_minix(img.path()), 4);
	std::string out;
	EXPECT_EQ(xloop_fsck("-f", img.path(), &out), 0) << out;
}

TEST(MinixFsckCli, CleanImagesAreSkippedUnlessForced)
{
	auto dev = base_image(v2);
	Editor(*dev).edit_inode(2, [](Inode &i) { i.nlinks = 9; });
	TempFile img;
	img.write(dev->bytes());
	EXPECT_EQ(xloop_fsck("", img.path()), 0); // VALID and no -f: not checked, like fsck.minix
	EXPECT_EQ(run_command("/usr/sbin/fsck.minix " + shell_quote(img.path())), 0);
	EXPECT_EQ(xloop_fsck("-f", img.path()), 4);
	EXPECT_EQ(xloop_fsck("--bogus", img.path()), 16);
	EXPECT_EQ(xloop_fsck("-f", "/nonexistent"), 8);
	std::string out;
	EXPECT_EQ(xloop_fsck("-flvs", img.path(), &out), 4);
	EXPECT_NE(out.find("/dir/file2"), std::string::npos) << out;
	EXPECT_NE(out.find("regular files"), std::string::npos) << out;
	EXPECT_NE(out.find("Firstdatazone="), std::string::npos) << out;
}

// Three problems fsck.minix knows (links, a leaked inode, a leaked zone):
// -a reports them in fsck.minix's words (-r's questions: minix_cli_test).
TEST(MinixFsckCli, RepairsSpeakAsFsckMinix)
{
	auto dev = base_image(v2);
	{
		Editor e(*dev);
		e.edit_inode(kRootIno, [](Inode &i) { i.nlinks = 5; });
		e.imap(e.sb().ninodes - 2, true);
		e.zmap_zone(e.sb().nzones - 3, true);
	}
	TempFile oracle, ours;
	oracle.write(dev->bytes());
	ours.write(dev->bytes());
	std::string expected, out;
	EXPECT_EQ(
	        run_command("/usr/sbin/fsck.minix -a -f " + shell_quote(oracle.path()), &expected),
	        3);
	EXPECT_EQ(xloop_fsck("-a -f", ours.path(), &out), 3);
	// Past "Forcing filesystem check on <the image's name>.":
	auto report = [](const std::string &text) { return text.substr(text.find('\n')); };
	EXPECT_EQ(report(out), report(expected));
	EXPECT_NE(out.find("FILE SYSTEM HAS BEEN CHANGED"), std::string::npos) << out;
}

// A power cut can leave an inode pointing at an indirect block whose new
// contents never reached the disk: the zone's old bytes, read as block
// numbers.  Where they name blocks of other files, the repair may cost the
// file with the stale block its (already lost) data, never another file
// its own.  "a" is walked first, so it takes each shared block first.
struct StaleIndirect {
	std::string name;
	Config config;
	uint64_t image_bytes;
	std::function<void(Editor &)> corrupt; // a's pointers into b and /dir
	std::string repair_says;               // a line of the repair's report
};

const uint32_t kFileBlocks = 20; // direct blocks and a single indirect block

uint32_t ptr_width(const Superblock &sb)
{
	return sb.version == Version::v1 ? 2 : 4;
}

void put_ptr(const Superblock &sb, uint8_t *p, uint32_t v)
{
	if (sb.version == Version::v1)
		put_le16(p, static_cast<uint16_t>(v));
	else
		put_le32(p, v);
}

uint8_t *block_at(Editor &e, uint32_t zone)
{
	return e.at(uint64_t{zone} * e.sb().block_size);
}

// b's first block reads as block numbers: two free zones and one past the
// end, so that walking it as a's indirect block finds something to fix.
std::vector<uint8_t> b_contents(const Superblock &sb)
{
	std::vector<uint8_t> out(uint64_t{kFileBlocks} * sb.block_size);
	for (size_t i = 0; i < out.size(); i++)
		out[i] = static_cast<uint8_t>(i * 7 + i / sb.block_size);
	std::fill(out.begin(), out.begin() + sb.block_size, 0);
	put_ptr(sb, &out[0], sb.nzones - 10);
	put_ptr(sb, &out[ptr_width(sb)], sb.nzones - 11);
	put_ptr(sb, &out[2 * ptr_width(sb)], sb.nzones + 100);
	return out;
}

std::vector<StaleIndirect> stale_cases()
{
	std::vector<StaleIndirect> c;
	const Config c1{Version::v1, 14, 1024}, c2{Version::v2, 30, 1024},
	        c3{Version::v3, 60, 1024};
	// a's indirect block holds b's indirect block's numbers (the block was
	// b's before, or an old file's whose zones b has now).
	auto copy_of_b = [](Editor &e) {
		std::memcpy(block_at(e, e.inode(e.ino_of("/a")).zone[7]),
		            block_at(e, e.inode(e.ino_of("/b")).zone[7]), e.sb().block_size);
	};
	// a's indirect block names /dir's first block and b's direct blocks.
	auto dir_and_b = [](Editor &e) {
		const Superblock &sb = e.sb();
		uint8_t *ind = block_at(e, e.inode(e.ino_of("/a")).zone[7]);
		Inode b = e.inode(e.ino_of("/b"));
		put_ptr(sb, ind, e.inode(e.ino_of("/dir")).zone[0]);
		for (uint32_t i = 1; i < 7; i++)
			put_ptr(sb, ind + i * ptr_width(sb), b.zone[i]);
	};
	// a's indirect block is random bytes: with 16-bit numbers on 64 MiB
	// every one lies inside the data zones.
	auto random_bytes = [](Editor &e) {
		std::mt19937 rng(18);
		uint8_t *ind = block_at(e, e.inode(e.ino_of("/a")).zone[7]);
		for (uint32_t i = 0; i < e.sb().block_size; i++)
			ind[i] = static_cast<uint8_t>(rng());
	};
	// a's indirect block is b's first data block (which reads as two good
	// numbers and a bad one): fixing it for a must not rewrite b's data.
	auto b_data = [](Editor &e) {
		uint32_t z = e.inode(e.ino_of("/b")).zone[0];
		e.edit_inode(e.ino_of("/a"), [&](Inode &i) { i.zone[7] = z; });
	};
	// The same text in every byte: numbers repeated, the block dropped whole.
	auto text = [](Editor &e) {
		std::memset(block_at(e, e.inode(e.ino_of("/a")).zone[7]), 'b', e.sb().block_size);
	};
	for (const Config &cfg : {c1, c2, c3}) {
		std::string v = "v" + std::to_string(static_cast<int>(cfg.version));
		c.push_back({v + "_copy_of_b", cfg, 4 << 20, copy_of_b, "used before"});
		c.push_back({v + "_dir_and_b", cfg, 4 << 20, dir_and_b, "used before"});
		c.push_back({v + "_random_bytes", cfg, 64 << 20, random_bytes, "in file `/a'"});
		c.push_back({v + "_b_data", cfg, 4 << 20, b_data, ">= ZONES"});
		c.push_back({v + "_text", cfg, 64 << 20, text, "holds no block numbers"});
	}
	return c;
}

class MinixFsckStaleIndirect : public ::testing::TestWithParam<StaleIndirect>
{
};

TEST_P(MinixFsckStaleIndirect, OtherFilesKeepTheirData)
{
	const StaleIndirect &k = GetParam();
	auto dev = make_image(k.config, k.image_bytes);
	const Superblock sb = *read_superblock(*dev);
	const std::vector<uint8_t> b_data = b_contents(sb);
	std::vector<std::string> names;
	{
		auto fs = open_fs(*dev);
		uint32_t a = *fs->create(kRootIno, "a", 0644);
		ASSERT_TRUE(
		        fs->write(a, 0, std::vector<uint8_t>(kFileBlocks * sb.block_size, 'a')));
		uint32_t b = *fs->create(kRootIno, "b", 0644);
		ASSERT_TRUE(fs->write(b, 0, b_data));
		uint32_t dir = *fs->mkdir(kRootIno, "dir", 0755);
		for (int i = 0; i < 5; i++) {
			names.push_back("entry" + std::to_string(i));
			ASSERT_TRUE(fs->create(dir, names.back(), 0644));
		}
		ASSERT_TRUE(fs->unmount().ok());
	}
	{
		Editor e(*dev);
		k.corrupt(e);
	}
	std::string log;
	EXPECT_EQ(run_fsck(*dev, false, &log), 4) << log;
	log.clear();
	EXPECT_EQ(run_fsck(*dev, true, &log), 3) << log;
	EXPECT_NE(log.find(k.repair_says), std::string::npos) << log;
	log.clear();
	EXPECT_EQ(run_fsck(*dev, false, &log), 0) << log;
	{
		auto fs = open_fs(*dev, false);
		ASSERT_TRUE(fs);
		uint32_t b = *fs->resolve("/b");
		std::vector<uint8_t> got(b_data.size());
		EXPECT_EQ(*fs->read(b, 0, got), got.size());
		EXPECT_TRUE(got == b_data) << "b lost data";
		Result<std::vector<DirEntry>> entries = fs->readdir(*fs->resolve("/dir"));
		ASSERT_TRUE(entries);
		std::vector<std::string> listed;
		for (const DirEntry &d : *entries)
			if (d.name != "." && d.name != "..")
				listed.push_back(d.name);
		EXPECT_EQ(listed, names);
	}
	TempFile img;
	img.write(dev->bytes());
	EXPECT_EQ(fsck_minix(img.path()), 0) << "fsck.minix after the repair";
}

INSTANTIATE_TEST_SUITE_P(Cases, MinixFsckStaleIndirect, ::testing::ValuesIn(stale_cases()),
                         [](const ::testing::TestParamInfo<StaleIndirect> &p) {
	                         return p.param.name;
                         });

} // namespace
} // namespace xloop::minix::test
