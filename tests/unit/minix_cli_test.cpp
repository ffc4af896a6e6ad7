// The offline image commands of the xloop tool, end to end on image files:
// what they print, what they change, their errors and exit codes.
#include "minix/superblock.hpp"
#include "minix_test_util.hpp"

namespace xloop::minix::test
{
namespace
{

class MinixCli : public ::testing::Test
{
protected:
	void SetUp() override
	{
		ASSERT_EQ(truncate(img_.path().c_str(), 4 << 20), 0);
		ASSERT_EQ(x("mkfs --force -2 " + img_q()), 0);
	}

	std::string img_q() const { return shell_quote(img_.path()); }
	int x(const std::string &args, std::string *out = nullptr)
	{
		return run_command(std::string(XLOOP_BINARY) + " " + args, out);
	}

	TempFile img_;
};

TEST_F(MinixCli, PutGetCatLsStatRm)
{
	TempFile host, back;
	std::vector<uint8_t> data(70000);
	for (size_t i = 0; i < data.size(); i++)
		data[i] = static_cast<uint8_t>(i * 7);
	host.write(data);
	ASSERT_EQ(chmod(host.path().c_str(), 0640), 0);
	ASSERT_EQ(x("mkdir -p " + img_q() + " /a/b"), 0);
	ASSERT_EQ(x("put " + img_q() + " " + shell_quote(host.path()) + " /a/b/data"), 0);
	ASSERT_EQ(x("put " + img_q() + " " + shell_quote(host.path()) + " /a/"),
	          0); // keeps the host name
	ASSERT_EQ(x("get " + img_q() + " /a/b/data " + shell_quote(back.path())), 0);
	EXPECT_TRUE(back.read() == data);

	std::string out;
	ASSERT_EQ(x("ls -R -n " + img_q() + " /", &out), 0);
	std::string base = host.path().substr(host.path().rfind('/') + 1);
	EXPECT_NE(out.find("0040755 3 0 0 128 "), std::string::npos)
	        << out; // /a: ., .., b and the file
	EXPECT_NE(out.find("0100640 1 0 0 70000 "), std::string::npos) << out;
	EXPECT_NE(out.find(" a/b/data\n"), std::string::npos) << out;
	EXPECT_NE(out.find(" a/" + base + "\n"), std::string::npos) << out;

	out.clear();
	ASSERT_EQ(x("cat " + img_q() + " /a/b/data /a/b/data", &out), 0);
	EXPECT_EQ(out.size(), 2 * data.size());

	out.clear();
	ASSERT_EQ(x("stat " + img_q() + " /a/b/data", &out), 0);
	EXPECT_NE(out.find("Type: regular file"), std::string::npos) << out;
	EXPECT_NE(out.find("Size: 70000"), std::string::npos) << out;
	EXPECT_NE(out.find("Mode: 0640 (-rw-r-----)"), std::string::npos) << out;

	out.clear();
	EXPECT_EQ(x("rm " + img_q() + " /a", &out), 1);
	EXPECT_NE(out.find("xloop: " + img_.path() + ": /a: is a directory (use -r)"),
	          std::string::npos)
	        << out;
	EXPECT_EQ(x("rm -r " + img_q() + " /a"), 0);
	out.clear();
	ASSERT_EQ(x("ls " + img_q(), &out), 0);
	EXPECT_EQ(out, "");
	EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f " + img_q()), 0);
}

TEST_F(MinixCli, PutSeveralFilesIntoADirectory)
{
	TempFile a, b;
	a.write({'a'});
	b.write({'b', 'b'});
	ASSERT_EQ(x("mkdir " + img_q() + " /d"), 0);
	ASSERT_EQ(x("put " + img_q() + " " + shell_quote(a.path()) + " " + shell_quote(b.path()) +
	            " /d"),
	          0);
	std::string out;
	ASSERT_EQ(x("ls -n " + img_q() + " /d", &out), 0);
	EXPECT_NE(out.find(" 1 " + std::to_string(0) + " "), std::string::npos) << out;
	EXPECT_NE(out.find(a.path().substr(a.path().rfind('/') + 1)), std::string::npos) << out;
	EXPECT_NE(out.find(b.path().substr(b.path().rfind('/') + 1)), std::string::npos) << out;
	out.clear();
	EXPECT_EQ(x("put " + img_q() + " " + shell_quote(a.path()) + " " + shell_quote(b.path()) +
	                    " /d/x",
	            &out),
	          1);
	EXPECT_NE(out.find("/d/x: No such file or directory"), std::string::npos) << out;
	EXPECT_EQ(x("put " + img_q() + " " + shell_quote(a.path())), 1); // no PATH: usage
}

TEST_F(MinixCli, ErrorsNameTheObjectAndTheErrno)
{
	std::string out;
	EXPECT_EQ(x("cat " + img_q() + " /missing", &out), 1);
	EXPECT_NE(out.find("xloop: " + img_.path() + ": /missing: No such file or directory"),
	          std::string::npos)
	        << out;
	out.clear();
	EXPECT_EQ(x("ls /nonexistent.img", &out), 1);
	EXPECT_NE(out.find("xloop: /nonexistent.img: No such file or directory"), std::string::npos)
	        << out;
	out.clear();
	EXPECT_EQ(x("mkdir " + img_q() + " /" + std::string(40, 'n'), &out), 1);
	EXPECT_NE(out.find("File name too long"), std::string::npos) << out;
	TempFile garbage;
	garbage.write(std::vector<uint8_t>(8192, 0xab));
	out.clear();
	EXPECT_EQ(x("ls " + shell_quote(garbage.path()), &out), 1);
	EXPECT_NE(out.find("bad magic number"), std::string::npos) << out;
	EXPECT_EQ(x("fsck -f " + shell_quote(garbage.path())), 8);
	out.clear();
	EXPECT_EQ(x("frobnicate " + img_q(), &out), 1);
	EXPECT_NE(out.find("xloop: unknown command 'frobnicate'"), std::string::npos) << out;
	out.clear();
	EXPECT_EQ(x("--frobnicate", &out), 1);
	EXPECT_NE(out.find("xloop: unrecognized option '--frobnicate'"), std::string::npos) << out;
}

TEST_F(MinixCli, InspectShowsGeometryUsageAndLayout)
{
	std::string out;
	ASSERT_EQ(x("inspect --json " + img_q(), &out), 0);
	// 4 MiB V2: mkfs.minix's 1376 inodes and 4096 zones (as the test images above).
	EXPECT_NE(out.find("\"version\": 2"), std::string::npos) << out;
	EXPECT_NE(out.find("\"zones\": 4096"), std::string::npos) << out;
	EXPECT_NE(out.find("\"inodes_used\": 1"), std::string::npos) << out;
	EXPECT_NE(out.find("\"region\": \"inode table\""), std::string::npos) << out;
	out.clear();
	ASSERT_EQ(x("inspect " + img_q(), &out), 0);
	EXPECT_NE(out.find("zone bitmap"), std::string::npos) << out;
	EXPECT_NE(out.find("data zones"), std::string::npos) << out;
}

// Numbers out of range are clear errors, never a crash: "-1" used to wrap
// to 2^64-1 and abort with "double free or corruption" (a zero-length inode
// table written past); an existing filesystem is left as it was.
TEST_F(MinixCli, MkfsRefusesOutOfRangeNumbers)
{
	ASSERT_EQ(x("mkdir " + img_q() + " /kept"), 0);
	const std::vector<uint8_t> before = img_.read();
	struct Case {
		std::string args;
		int status;
		std::string message;
	};
	for (const Case &c : std::vector<Case>{
	             {"-i -1", 16, "--inodes: not a non-negative decimal number: '-1'"},
	             {"-i 18446744073709551615", 8, "too many inodes"},
	             {"-3 -i 4294967295", 8, "too many inodes"},
	             {"-n -14", 16, "--namelength: not a non-negative decimal number"},
	             {"-i 1x", 16, "not a non-negative decimal number: '1x'"},
	     }) {
		std::string out;
		EXPECT_EQ(x("mkfs --force " + c.args + " " + img_q(), &out), c.status) << c.args;
		EXPECT_NE(out.find(c.message), std::string::npos) << c.args << ": " << out;
		EXPECT_TRUE(img_.read() == before) << c.args << " changed the image";
	}
	std::string out;
	EXPECT_EQ(x("mkfs --force " + img_q() + " -5", &out), 16);
	EXPECT_NE(out.find("blocks: not a non-negative decimal number: '-5'"), std::string::npos)
	        << out;
}

// fsck -l and -v as fsck.minix prints them (directories end in ':'), the
// oracle on the same image; "Forcing filesystem check" only once the
// superblock is known to be one.
TEST_F(MinixCli, FsckListingMatchesFsckMinix)
{
	TempFile host;
	host.write({'x'});
	ASSERT_EQ(x("mkdir -p " + img_q() + " /a/b"), 0);
	ASSERT_EQ(x("put " + img_q() + " " + shell_quote(host.path()) + " /a/file"), 0);
	for (const char *flags : {"-fl", "-flv", "-fs"}) {
		std::string ours, theirs;
		EXPECT_EQ(x(std::string("fsck ") + flags + " " + img_q(), &ours), 0) << flags;
		EXPECT_EQ(run_command(std::string("/usr/sbin/fsck.minix ") + flags + " " + img_q(),
		                      &theirs),
		          0)
		        << flags;
		EXPECT_EQ(ours, theirs) << flags;
	}
	TempFile garbage;
	garbage.write(std::vector<uint8_t>(8192, 0xab));
	std::string out;
	EXPECT_EQ(x("fsck -f " + shell_quote(garbage.path()), &out), 8);
	EXPECT_EQ(out.find("Forcing"), std::string::npos) << out;
}

// fsck -r asks about each problem on a terminal (a pty from script(1), the
// answers on its input), in fsck.minix's words, and refuses to run without one; -m reports unused
// inodes whose mode is not cleared, as fsck.minix -m does on the same image.
TEST_F(MinixCli, FsckInteractiveRepairAndModeWarnings)
{
	// Inodes 8-10 marked used in the bitmap, unused: three problems.
	std::vector<uint8_t> bytes = img_.read();
	bytes[2048 + 1] |= 0x07;
	img_.write(bytes);
	std::string out;
	EXPECT_EQ(x("fsck -r -f " + img_q(), &out), 8);
	EXPECT_NE(out.find("need terminal for interactive repairs"), std::string::npos) << out;
	const std::string ask =
	        "script -qec " +
	        shell_quote(std::string(XLOOP_BINARY) + " fsck -r -f " + img_.path()) +
	        " /dev/null";
	out.clear();
	// One key an answer, as fsck.minix reads them; Enter or the end of input
	// is the default, yes.
	EXPECT_EQ(run_command("printf nnn | " + ask, &out), 4) << out;
	EXPECT_NE(out.find("Inode 8 not used, marked used in the bitmap.Clear (y/n)? n\r\n"),
	          std::string::npos)
	        << out;
	EXPECT_EQ(x("fsck -f " + img_q()), 4) << "answered no, yet changed";
	out.clear();
	EXPECT_EQ(run_command("printf 'n\\n' | " + ask, &out), 7) << out;
	EXPECT_NE(out.find("Inode 9 not used, marked used in the bitmap.Clear (y/n)? y\r\n"),
	          std::string::npos)
	        << out;
	EXPECT_EQ(x("fsck -f " + img_q()), 4) << "inode 8 was to stay";
	EXPECT_EQ(run_command("printf y | " + ask), 3);
	EXPECT_EQ(x("fsck -f " + img_q()), 0);

	// A free inode with a mode: fsck.minix -m is the oracle.
	bytes = img_.read();
	Result<Superblock> sb = decode_superblock(std::span(bytes).subspan(1024, 1024));
	ASSERT_TRUE(sb.ok());
	uint64_t raw = uint64_t{sb->inode_table_block()} * sb->block_size + 10 * sb->inode_size();
	bytes[raw] = 0xa4; // inode 11: 0100644
	bytes[raw + 1] = 0x81;
	img_.write(bytes);
	std::string ours, theirs;
	EXPECT_EQ(x("fsck -f -m " + img_q(), &ours), 4);
	EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f -m " + img_q(), &theirs), 4);
	EXPECT_EQ(ours, theirs);
	EXPECT_NE(ours.find("Inode 11 mode not cleared."), std::string::npos) << ours;
	EXPECT_EQ(x("fsck -f " + img_q()), 0) << "without -m it is no problem";
	EXPECT_EQ(x("fsck -f -m -a " + img_q()), 3);
	EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f -m " + img_q()), 0);
}

// Output that cannot be written is an error (util-linux close_stdout): exit
// status 1 and "write error", where the tool used to exit 0.
TEST_F(MinixCli, AWriteErrorOnStdoutFails)
{
	ASSERT_EQ(x("mkdir -p " + img_q() + " /a/b/c"), 0);
	for (const std::string &cmd : {"ls -R " + img_q() + " /", "inspect " + img_q(),
	                               "fsck -f -l " + img_q(), "mkfs --force -1 " + img_q()}) {
		std::string out; // stderr only
		EXPECT_EQ(run_command("(" + std::string(XLOOP_BINARY) + " " + cmd + " >/dev/full)",
		                      &out),
		          1)
		        << cmd;
		EXPECT_NE(out.find("xloop: write error: No space left on device"),
		          std::string::npos)
		        << cmd << ": " << out;
	}
}

// get and put refuse the image itself as the host file: get used to
// truncate the image to 0 bytes, put to copy a half-written file.
TEST_F(MinixCli, GetAndPutRefuseTheImageItself)
{
	TempFile host;
	host.write({'h', 'i'});
	ASSERT_EQ(x("put " + img_q() + " " + shell_quote(host.path()) + " /f"), 0);
	const std::vector<uint8_t> before = img_.read();
	std::string out;
	EXPECT_EQ(x("get " + img_q() + " /f " + img_q(), &out), 1);
	EXPECT_NE(out.find("xloop: " + img_.path() + ": is the image itself"), std::string::npos)
	        << out;
	EXPECT_TRUE(img_.read() == before) << "get changed the image";
	out.clear();
	EXPECT_EQ(x("put " + img_q() + " " + img_q() + " /x", &out), 1);
	EXPECT_NE(out.find("is the image itself"), std::string::npos) << out;
	out.clear();
	ASSERT_EQ(x("ls " + img_q() + " /", &out), 0);
	EXPECT_EQ(out, "f\n");
	EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f " + img_q()), 0);
}

// A put that does not fit: the real errno, nothing of the file left behind
// (a replaced file keeps its old contents), the other files still go in,
// exit status 1 (as cp).
TEST_F(MinixCli, PutIntoAFullImageIsAllOrNothingPerFile)
{
	TempFile small, big, old;
	small.write(std::vector<uint8_t>(3000, 's'));
	big.write(std::vector<uint8_t>(8 << 20, 'b')); // the image is 4 MiB
	old.write(std::vector<uint8_t>(5000, 'o'));
	ASSERT_EQ(x("mkdir " + img_q() + " /d"), 0);
	ASSERT_EQ(x("put " + img_q() + " " + shell_quote(old.path()) + " /keep"), 0);
	std::string out;
	EXPECT_EQ(x("put " + img_q() + " " + shell_quote(big.path()) + " " +
	                    shell_quote(small.path()) + " /d",
	            &out),
	          1);
	EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
	EXPECT_EQ(out.find("larger than"), std::string::npos) << out;
	std::string listing;
	ASSERT_EQ(x("ls " + img_q() + " /d", &listing), 0);
	std::string small_name = small.path().substr(small.path().rfind('/') + 1);
	EXPECT_EQ(listing, small_name + "\n") << "the big file left something behind";
	out.clear();
	EXPECT_EQ(x("put " + img_q() + " " + shell_quote(big.path()) + " /keep", &out), 1);
	EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
	TempFile back;
	ASSERT_EQ(x("get " + img_q() + " /keep " + shell_quote(back.path())), 0);
	EXPECT_TRUE(back.read() == old.read()) << "a failed put changed the file it replaces";
	listing.clear();
	ASSERT_EQ(x("ls " + img_q() + " /", &listing), 0);
	EXPECT_EQ(listing, "d\nkeep\n") << "a temporary file was left behind";
	EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f " + img_q()), 0);
	EXPECT_EQ(x("fsck -f " + img_q()), 0);
}

// Writers at once on one image (issue 17: files silently lost, wrong
// contents, fsck exit 4): 40 puts and 10 rms in parallel, three rounds.
// Every file a put reported written is there with its bytes, every file an
// rm reported removed is gone, and both fsck tools pass.  Locking makes the
// commands wait for each other.
TEST_F(MinixCli, ParallelPutsAndRmsLoseNothing)
{
	TempDir dir;
	const std::string d = shell_quote(dir.path());
	const std::string xl = shell_quote(XLOOP_BINARY);
	ASSERT_EQ(x("mkdir " + img_q() + " /w"), 0);
	for (int round = 0; round < 3; round++) {
		// Round r puts f<r>_<i> with its own bytes and removes the previous
		// round's first ten; each command's exit status lands in a file.
		std::string script = "cd " + d + " || exit 9\n";
		for (int i = 0; i < 40; i++) {
			std::string f = "f" + std::to_string(round) + "_" + std::to_string(i);
			script += "head -c " + std::to_string(1000 + 937 * i) + " /dev/urandom >" +
			          f + "\n";
		}
		for (int i = 0; i < 40; i++) {
			std::string f = "f" + std::to_string(round) + "_" + std::to_string(i);
			script += "( " + xl + " put " + img_q() + " " + f + " /w/" + f +
			          "; echo $? >" + f + ".rc ) &\n";
		}
		for (int i = 0; round > 0 && i < 10; i++) {
			std::string f = "f" + std::to_string(round - 1) + "_" + std::to_string(i);
			script += "( " + xl + " rm " + img_q() + " /w/" + f + "; echo $? >" + f +
			          ".rmrc ) &\n";
		}
		script += "wait\n";
		ASSERT_EQ(run_command("bash -c " + shell_quote(script)), 0);
	}
	std::string listing;
	ASSERT_EQ(x("ls " + img_q() + " /w", &listing), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 40; i++) {
			std::string f = "f" + std::to_string(round) + "_" + std::to_string(i);
			std::string rc;
			ASSERT_EQ(run_command("cat " + d + "/" + f + ".rc", &rc), 0);
			ASSERT_EQ(rc, "0\n") << "put " << f;
			std::string rm_rc;
			bool removed = run_command("cat " + d + "/" + f + ".rmrc", &rm_rc) == 0;
			if (removed) {
				ASSERT_EQ(rm_rc, "0\n") << "rm " << f;
				EXPECT_EQ(listing.find(f + "\n"), std::string::npos)
				        << f << " was removed";
				continue;
			}
			std::string back = dir.path() + "/" + f + ".back";
			ASSERT_EQ(x("get " + img_q() + " /w/" + f + " " + shell_quote(back)), 0)
			        << f;
			EXPECT_EQ(run_command("cmp " + d + "/" + f + " " + shell_quote(back)), 0)
			        << f << " has other bytes";
		}
	}
	EXPECT_EQ(run_command("/usr/sbin/fsck.minix -f " + img_q()), 0);
	EXPECT_EQ(x("fsck -f " + img_q()), 0);
}

} // namespace
} // namespace xloop::minix::test
