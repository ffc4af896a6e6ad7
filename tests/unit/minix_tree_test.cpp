// Whole-tree operations (minix/tree.hpp) on valid trees, and on the corrupt
// trees a valid image cannot hold: each is refused with kCorrupted, with
// nothing removed and no crash (issue 17: rm -r on a directory cycle
// crashed with SIGSEGV and left the image marked not clean).
#include "minix/tree.hpp"

#include "minix/superblock.hpp"
#include "minix_test_util.hpp"

namespace xloop::minix::test
{
namespace
{

class MinixTree : public ::testing::TestWithParam<Config>
{
protected:
	void SetUp() override
	{
		dev_ = make_image(GetParam(), 4096 * 1024);
		fs_ = open_fs(*dev_);
		ASSERT_TRUE(fs_);
		// /a/b/f, /a/b/g, /a/x, /c/keep
		a_ = mkdir(kRootIno, "a");
		b_ = mkdir(a_, "b");
		create(b_, "f");
		create(b_, "g");
		create(a_, "x");
		c_ = mkdir(kRootIno, "c");
		create(c_, "keep");
	}

	uint32_t mkdir(uint32_t dir, const std::string &name)
	{
		Result<uint32_t> ino = fs_->mkdir(dir, name, 0755);
		EXPECT_TRUE(ino.ok()) << (ino ? "" : ino.error().message());
		return ino ? *ino : 0;
	}

	uint32_t create(uint32_t dir, const std::string &name)
	{
		Result<uint32_t> ino = fs_->create(dir, name, 0644);
		EXPECT_TRUE(ino.ok()) << (ino ? "" : ino.error().message());
		return ino ? *ino : 0;
	}

	// Points entry `name` of directory `dir` at inode `target`, in the
	// image's bytes, as a corrupt image would have it; the filesystem is
	// reopened over the changed image.
	void repoint(uint32_t dir, const std::string &name, uint32_t target)
	{
		ASSERT_TRUE(fs_->unmount().ok());
		fs_.reset();
		const Superblock sb = *read_superblock(*dev_);
		std::unique_ptr<Filesystem> fs = open_fs(*dev_, false);
		Inode inode = *fs->stat(dir);
		uint64_t block = uint64_t{inode.zone[0]} * sb.block_size;
		const uint32_t entry = sb.dirent_size();
		const uint32_t ino_bytes = sb.version == Version::v3 ? 4 : 2;
		bool found = false;
		for (uint32_t off = 0; off + entry <= sb.block_size && !found; off += entry) {
			const uint8_t *e = &dev_->bytes()[block + off];
			std::string n(reinterpret_cast<const char *>(e + ino_bytes),
			              strnlen(reinterpret_cast<const char *>(e + ino_bytes),
			                      entry - ino_bytes));
			if (n != name)
				continue;
			for (uint32_t i = 0; i < ino_bytes; i++)
				dev_->bytes()[block + off + i] =
				        static_cast<uint8_t>(target >> (8 * i));
			found = true;
		}
		ASSERT_TRUE(found) << name;
		fs_ = open_fs(*dev_);
	}

	bool exists(const std::string &path) { return fs_->resolve(path).ok(); }

	std::unique_ptr<MemoryDevice> dev_;
	std::unique_ptr<Filesystem> fs_;
	uint32_t a_ = 0, b_ = 0, c_ = 0;
};

TEST_P(MinixTree, WalkVisitsEveryEntryDirectoriesFirst)
{
	std::vector<std::string> paths;
	ASSERT_TRUE(walk_tree(*fs_, kRootIno, [&](const TreeEntry &e) {
		            paths.push_back(e.path + (e.inode.is_dir() ? "/" : ""));
		            return Status{};
	            }).ok());
	EXPECT_EQ(paths, (std::vector<std::string>{"a/", "a/b/", "a/b/f", "a/b/g", "a/x", "c/",
	                                           "c/keep"}));
	ASSERT_TRUE(fs_->unmount().ok());
}

TEST_P(MinixTree, RemoveTreeRemovesEverythingBelow)
{
	ASSERT_TRUE(remove_tree(*fs_, kRootIno, "a").ok());
	EXPECT_FALSE(exists("/a"));
	EXPECT_TRUE(exists("/c/keep"));
	ASSERT_TRUE(fs_->unmount().ok());
	fs_.reset();
	std::string log;
	EXPECT_EQ(run_fsck(*dev_, false, &log), 0) << log;
}

TEST_P(MinixTree, ACycleIsRefusedWithNothingRemoved)
{
	create(b_, "loop");
	repoint(b_, "loop", a_); // /a/b/loop -> /a
	Status st = remove_tree(*fs_, kRootIno, "a");
	ASSERT_FALSE(st.ok());
	EXPECT_EQ(st.error().code(), kCorrupted) << st.error().message();
	EXPECT_TRUE(exists("/a/b/f"));
	EXPECT_TRUE(exists("/a/x"));
	st = walk_tree(*fs_, kRootIno, [](const TreeEntry &) { return Status{}; });
	EXPECT_EQ(st.error().code(), kCorrupted);
	(void)fs_->unmount();
}

TEST_P(MinixTree, ARenamedDotIsRefused)
{
	create(b_, "self");
	repoint(b_, "self", b_); // /a/b/self -> /a/b
	Status st = remove_tree(*fs_, a_, "b");
	ASSERT_FALSE(st.ok());
	EXPECT_EQ(st.error().code(), kCorrupted) << st.error().message();
	EXPECT_TRUE(exists("/a/b/g"));
	(void)fs_->unmount();
}

TEST_P(MinixTree, ADirectoryLinkedTwiceIsNotRemovedThroughTheExtraLink)
{
	create(b_, "alias");
	repoint(b_, "alias", c_); // /a/b/alias -> /c, whose ".." is /
	Status st = remove_tree(*fs_, kRootIno, "a");
	ASSERT_FALSE(st.ok());
	EXPECT_EQ(st.error().code(), kCorrupted) << st.error().message();
	EXPECT_TRUE(exists("/c/keep")) << "rm -r of /a removed /c's contents";
	EXPECT_TRUE(exists("/a/b/f"));
	(void)fs_->unmount();
}

TEST_P(MinixTree, FailedRemovalLeavesTheImageAsItWas)
{
	create(b_, "loop");
	repoint(b_, "loop", a_);
	const std::vector<uint8_t> before = dev_->bytes();
	EXPECT_FALSE(remove_tree(*fs_, kRootIno, "a").ok());
	ASSERT_TRUE(fs_->unmount().ok());
	EXPECT_TRUE(dev_->bytes() == before) << "a refused rm -r wrote to the image";
	fs_.reset();
}

TEST_P(MinixTree, MakePathMakesWhatIsMissing)
{
	Result<uint32_t> made = make_path(*fs_, "/a/b/n1//./n2/", 0700);
	ASSERT_TRUE(made.ok()) << made.error().message();
	EXPECT_EQ(*fs_->resolve("/a/b/n1/n2"), *made);
	EXPECT_EQ(fs_->stat(*made)->mode & 07777, 0700);
	Result<uint32_t> again = make_path(*fs_, "a/b/n1/n2", 0755);
	ASSERT_TRUE(again.ok());
	EXPECT_EQ(*again, *made);
	Result<uint32_t> through_file = make_path(*fs_, "/a/x/y", 0755);
	ASSERT_FALSE(through_file.ok());
	EXPECT_EQ(through_file.error().code(), ENOTDIR) << through_file.error().message();
	EXPECT_FALSE(exists("/a/x/y"));
	ASSERT_TRUE(fs_->unmount().ok());
}

INSTANTIATE_TEST_SUITE_P(All, MinixTree, ::testing::ValuesIn(all_configs()), param_name);

} // namespace
} // namespace xloop::minix::test
