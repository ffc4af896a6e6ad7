// Random operation sequences on the model, mirrored in a simple in-memory
// tree; afterwards the image must read back as the mirror says, pass
// util-linux fsck.minix -f (exit 0) and xloop's fsck.  Links stay at 250
// or fewer and blocks at 1 KiB, the limits of fsck.minix.
#include <map>
#include <random>

#include "minix_test_util.hpp"

namespace xloop::minix::test
{
namespace
{

struct Node {
	uint32_t ino = 0;
	bool dir = false;
	std::map<std::string, std::shared_ptr<Node>> kids;
};

class RandomRun
{
public:
	RandomRun(Filesystem &fs, uint32_t seed) : fs_(fs), rng_(seed)
	{
		root_ = std::make_shared<Node>();
		root_->ino = kRootIno;
		root_->dir = true;
	}

	void step()
	{
		switch (pick(11)) {
		case 0:
		case 1:
			create();
			break;
		case 2:
		case 3:
			write();
			break;
		case 4:
			truncate();
			break;
		case 5:
			mkdir();
			break;
		case 6:
			remove();
			break;
		case 7:
			link();
			break;
		case 8:
			rename();
			break;
		case 9:
			symlink();
			break;
		default:
			fifo();
		}
	}

	// Everything the mirror holds, read back through the model.
	void verify() { verify_dir(root_, "/"); }

private:
	uint32_t pick(uint32_t n)
	{
		return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_);
	}

	std::string new_name()
	{
		unsigned len = 1 + pick(std::min(fs_.superblock().name_len(), 20u));
		std::string s;
		for (unsigned i = 0; i < len; i++)
			s += static_cast<char>('a' + pick(6));
		return s;
	}

	std::shared_ptr<Node> random_dir(size_t *depth = nullptr)
	{
		std::shared_ptr<Node> d = root_;
		size_t level = 0;
		while (level < 6 && pick(2)) {
			std::vector<std::shared_ptr<Node>> subs;
			for (auto &[n, k] : d->kids)
				if (k->dir)
					subs.push_back(k);
			if (subs.empty())
				break;
			d = subs[pick(static_cast<uint32_t>(subs.size()))];
			level++;
		}
		if (depth)
			*depth = level;
		return d;
	}

	// A random entry of a random directory, or nothing.
	std::pair<std::shared_ptr<Node>, std::string> random_entry()
	{
		std::shared_ptr<Node> d = random_dir();
		if (d->kids.empty())
			return {d, ""};
		auto it = d->kids.begin();
		std::advance(it, pick(static_cast<uint32_t>(d->kids.size())));
		return {d, it->first};
	}

	std::vector<uint32_t> files()
	{
		std::vector<uint32_t> out;
		for (auto &[ino, data] : content_)
			out.push_back(ino);
		return out;
	}

	void create()
	{
		auto d = random_dir();
		std::string name = new_name();
		Result<uint32_t> ino = fs_.create(d->ino, name, 0644);
		if (d->kids.count(name)) {
			EXPECT_EQ(ino.error().code(), EEXIST);
			return;
		}
		ASSERT_TRUE(ino.ok()) << ino.error().message();
		auto n = std::make_shared<Node>();
		n->ino = *ino;
		d->kids[name] = n;
		content_[*ino] = "";
		links_[*ino] = 1;
	}

	void write()
	{
		std::vector<uint32_t> f = files();
		if (f.empty())
			return;
		uint32_t ino = f[pick(static_cast<uint32_t>(f.size()))];
		std::string &data = content_[ino];
		uint64_t offset = pick(4) == 0 ? pick(600 * 1024)
		                               : pick(static_cast<uint32_t>(data.size() + 1));
		std::string chunk(1 + pick(pick(8) == 0 ? 40000 : 3000),
		                  static_cast<char>('A' + pick(26)));
		Result<size_t> n = fs_.write(ino, offset, bytes_of(chunk));
		ASSERT_TRUE(n.ok()) << n.error().message();
		ASSERT_EQ(*n, chunk.size());
		if (data.size() < offset + chunk.size())
			data.resize(offset + chunk.size(), '\0');
		data.replace(offset, chunk.size(), chunk);
	}

	void truncate()
	{
		std::vector<uint32_t> f = files();
		if (f.empty())
			return;
		uint32_t ino = f[pick(static_cast<uint32_t>(f.size()))];
		uint64_t size = pick(3) ? pick(static_cast<uint32_t>(content_[ino].size() + 1))
		                        : pick(300 * 1024);
		ASSERT_TRUE(fs_.truncate(ino, size).ok());
		content_[ino].resize(size, '\0');
	}

	void mkdir()
	{
		size_t depth;
		auto d = random_dir(&depth);
		std::string name = new_name();
		Result<uint32_t> ino = fs_.mkdir(d->ino, name, 0755);
		if (d->kids.count(name)) {
			EXPECT_EQ(ino.error().code(), EEXIST);
			return;
		}
		ASSERT_TRUE(ino.ok()) << ino.error().message();
		auto n = std::make_shared<Node>();
		n->ino = *ino;
		n->dir = true;
		d->kids[name] = n;
	}

	void forget(const std::shared_ptr<Node> &n)
	{
		if (n->dir)
			return;
		if (--links_[n->ino] == 0) {
			content_.erase(n->ino);
			links_.erase(n->ino);
			symlinks_.erase(n->ino);
		}
	}

	void remove()
	{
		auto [d, name] = random_entry();
		if (name.empty())
			return;
		auto n = d->kids[name];
		if (n->dir) {
			Status st = fs_.rmdir(d->ino, name);
			if (!n->kids.empty()) {
				EXPECT_EQ(st.error().code(), ENOTEMPTY);
				return;
			}
			ASSERT_TRUE(st.ok()) << st.error().message();
		} else {
			Status st = fs_.unlink(d->ino, name);
			ASSERT_TRUE(st.ok()) << st.error().message();
			forget(n);
		}
		d->kids.erase(name);
	}

	void link()
	{
		auto [d, name] = random_entry();
		if (name.empty() || d->kids[name]->dir)
			return;
		auto n = d->kids[name];
		if (links_[n->ino] >= 250)
			return;
		auto target = random_dir();
		std::string nn = new_name();
		Status st = fs_.link(n->ino, target->ino, nn);
		if (target->kids.count(nn)) {
			EXPECT_EQ(st.error().code(), EEXIST);
			return;
		}
		ASSERT_TRUE(st.ok()) << st.error().message();
		target->kids[nn] = n;
		links_[n->ino]++;
	}

	bool inside(const std::shared_ptr<Node> &tree, const std::shared_ptr<Node> &d)
	{
		if (tree == d)
			return true;
		for (auto &[n, k] : tree->kids)
			if (k->dir && inside(k, d))
				return true;
		return false;
	}

	void rename()
	{
		auto [d, name] = random_entry();
		if (name.empty())
			return;
		auto n = d->kids[name];
		auto target = random_dir();
		std::string nn = pick(3) == 0 && !target->kids.empty() ? target->kids.begin()->first
		                                                       : new_name();
		bool noreplace = pick(4) == 0;
		Status st = fs_.rename(d->ino, name, target->ino, nn, noreplace);
		auto existing = target->kids.count(nn) ? target->kids[nn] : nullptr;
		if (existing == n) {
			EXPECT_TRUE(noreplace ? !st.ok() : st.ok());
			return;
		}
		if (n->dir && inside(n, target)) {
			EXPECT_FALSE(st.ok());
			return;
		}
		if (existing && (noreplace || existing->dir != n->dir ||
		                 (existing->dir && !existing->kids.empty()))) {
			EXPECT_FALSE(st.ok());
			return;
		}
		ASSERT_TRUE(st.ok()) << st.error().message() << " " << name << " -> " << nn;
		if (existing)
			forget(existing);
		d->kids.erase(name);
		target->kids[nn] = n;
	}

	void symlink()
	{
		auto d = random_dir();
		std::string name = new_name();
		std::string target(1 + pick(200), 't');
		Result<uint32_t> ino = fs_.symlink(d->ino, name, target);
		if (d->kids.count(name)) {
			EXPECT_EQ(ino.error().code(), EEXIST);
			return;
		}
		ASSERT_TRUE(ino.ok());
		auto n = std::make_shared<Node>();
		n->ino = *ino;
		d->kids[name] = n;
		links_[*ino] = 1;
		symlinks_[*ino] = target;
	}

	void fifo()
	{
		auto d = random_dir();
		std::string name = new_name();
		Result<uint32_t> ino = fs_.mknod(d->ino, name, S_IFIFO | 0600, 0, 0);
		if (d->kids.count(name))
			return;
		ASSERT_TRUE(ino.ok());
		auto n = std::make_shared<Node>();
		n->ino = *ino;
		d->kids[name] = n;
		links_[*ino] = 1;
	}

	void verify_dir(const std::shared_ptr<Node> &d, const std::string &path)
	{
		Result<std::vector<DirEntry>> entries = fs_.readdir(d->ino);
		ASSERT_TRUE(entries.ok());
		std::map<std::string, uint32_t> seen;
		for (const DirEntry &e : *entries)
			if (e.name != "." && e.name != "..")
				seen[e.name] = e.ino;
		ASSERT_EQ(seen.size(), d->kids.size()) << path;
		unsigned subdirs = 0;
		for (auto &[name, k] : d->kids) {
			ASSERT_EQ(seen[name], k->ino) << path << name;
			Result<Inode> in = fs_.stat(k->ino);
			ASSERT_TRUE(in.ok());
			if (k->dir) {
				subdirs++;
				verify_dir(k, path + name + "/");
			} else if (content_.count(k->ino)) {
				EXPECT_EQ(in->nlinks, links_[k->ino]);
				std::string got(in->size, '\0');
				ASSERT_TRUE(
				        fs_.read(k->ino, 0,
				                 std::span(reinterpret_cast<uint8_t *>(got.data()),
				                           got.size()))
				                .ok());
				EXPECT_TRUE(got == content_[k->ino]) << path << name;
			} else if (symlinks_.count(k->ino)) {
				EXPECT_EQ(*fs_.readlink(k->ino), symlinks_[k->ino]);
			}
		}
		EXPECT_EQ(fs_.stat(d->ino)->nlinks, 2 + subdirs) << path;
	}

	Filesystem &fs_;
	std::mt19937 rng_;
	std::shared_ptr<Node> root_;
	std::map<uint32_t, std::string> content_;
	std::map<uint32_t, unsigned> links_;
	std::map<uint32_t, std::string> symlinks_;
};

class MinixRandomOps : public ::testing::TestWithParam<Config>
{
};

TEST_P(MinixRandomOps, ImagesPassFsckMinixAndReadBack)
{
	for (uint32_t seed = 1; seed <= 3; seed++) {
		SCOPED_TRACE("seed " + std::to_string(seed));
		auto dev = make_image(GetParam(), 24 << 20);
		{
			auto fs = open_fs(*dev);
			RandomRun run(*fs, seed * 7919 + static_cast<uint32_t>(GetParam().version));
			for (int i = 0; i < 400 && !::testing::Test::HasFatalFailure(); i++)
				run.step();
			run.verify();
			// The run built something worth checking.
			Result<Usage> used = fs->usage();
			EXPECT_GT(used->inodes_used, 40u);
			EXPECT_GT(used->zones_used, 200u);
			ASSERT_TRUE(fs->unmount().ok());
		}
		{
			// Reopened from the bytes: the same tree.
			std::string log;
			EXPECT_EQ(run_fsck(*dev, false, &log), 0) << log;
		}
		TempFile img;
		img.write(dev->bytes());
		std::string out;
		EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f " + shell_quote(img.path()), &out),
		          0)
		        << out;
	}
}

INSTANTIATE_TEST_SUITE_P(UtilLinux, MinixRandomOps, ::testing::ValuesIn(util_linux_configs()),
                         param_name);

} // namespace
} // namespace xloop::minix::test
