// minix_replay IMAGE SCRIPT: apply a tests/vm/minix_ops.py script to a Minix
// image through the model library and print one result per operation, in
// the form minix_ops.py's kernel runner prints them, so that VM case 404 can
// hold the model to xminix.ko and minix.ko operation by operation.
//
// Paths are walked as the kernel's VFS walks them (every component but the
// last must be a directory); the rest of the VFS's rules are the model's
// (its operations check what the VFS checks before a file system's).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "minix/file_device.hpp"
#include "minix/filesystem.hpp"

namespace
{

using xloop::Error;
using xloop::Result;
using xloop::Status;
using xloop::minix::Filesystem;

constexpr uint32_t kRoot = 1;

// An operation's outcome: "ok", a value, or an errno's name.
struct Outcome {
	std::string text;
	Outcome(const char *s) : text(s) {}
	Outcome(std::string s) : text(std::move(s)) {}
	Outcome(const Error &e) : text(name_of(e.code())) {}

	static std::string name_of(int code)
	{
		const char *name = strerrorname_np(code);
		return name ? name : std::to_string(code);
	}
};

// The bytes of a write (minix_ops.py's data_byte_block).
std::vector<uint8_t> pattern(uint64_t seed, size_t length)
{
	std::vector<uint8_t> out(length);
	for (size_t i = 0; i < length; i++)
		out[i] = static_cast<uint8_t>(seed * 131 + i * 7 + (i >> 9));
	return out;
}

// 64-bit FNV-1a (minix_ops.py's digest of what a read returns).
std::string digest(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	char buf[17];
	std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
	return buf;
}

class Replayer
{
public:
	explicit Replayer(Filesystem &fs) : fs_(fs) {}

	Outcome apply(const std::vector<std::string> &w);

private:
	struct Parent {
		uint32_t dir;
		std::string name;
	};

	// The directory holding the last component, walking the others.
	Result<Parent> parent_of(const std::string &path)
	{
		std::vector<std::string> parts;
		std::stringstream ss(path);
		for (std::string part; std::getline(ss, part, '/');)
			if (!part.empty() && part != ".")
				parts.push_back(part);
		uint32_t dir = kRoot;
		if (parts.empty())
			return Parent{kRoot, "."};
		for (size_t i = 0; i + 1 < parts.size(); i++) {
			Result<uint32_t> next = fs_.lookup(dir, parts[i]);
			if (!next)
				return next.error();
			Result<xloop::minix::Inode> inode = fs_.stat(*next);
			if (!inode)
				return inode.error();
			if (!inode->is_dir())
				return Error(ENOTDIR, parts[i]);
			dir = *next;
		}
		return Parent{dir, parts.back()};
	}

	Result<uint32_t> resolve(const std::string &path)
	{
		Result<Parent> p = parent_of(path);
		if (!p)
			return p.error();
		if (p->name == ".")
			return p->dir;
		return fs_.lookup(p->dir, p->name);
	}

	Filesystem &fs_;
};

Outcome Replayer::apply(const std::vector<std::string> &w)
{
	const std::string &op = w.at(0);
	auto mode = [&](size_t i) {
		return static_cast<uint16_t>(std::stoul(w.at(i), nullptr, 8));
	};
	auto num = [&](size_t i) { return std::stoull(w.at(i)); };
	auto done = [](const Status &st) -> Outcome {
		return st ? Outcome("ok") : Outcome(st.error());
	};

	if (op == "mkdir" || op == "create" || op == "mknod" || op == "symlink") {
		Result<Parent> p = parent_of(op == "symlink" ? w.at(2) : w.at(1));
		if (!p)
			return p.error();
		Result<uint32_t> made = Error(EINVAL, op);
		if (op == "mkdir")
			made = fs_.mkdir(p->dir, p->name, mode(2));
		else if (op == "create")
			made = fs_.create(p->dir, p->name, mode(2));
		else if (op == "symlink")
			made = fs_.symlink(p->dir, p->name, w.at(1));
		else
			made = fs_.mknod(p->dir, p->name,
			                 static_cast<uint16_t>(
			                         (w.at(2) == "fifo" ? S_IFIFO : S_IFCHR) | mode(5)),
			                 static_cast<uint32_t>(num(3)),
			                 static_cast<uint32_t>(num(4)));
		return made ? Outcome("ok") : Outcome(made.error());
	}
	if (op == "write" || op == "truncate" || op == "read" || op == "chmod" || op == "chown") {
		Result<uint32_t> ino = resolve(w.at(1));
		if (!ino)
			return ino.error();
		Result<xloop::minix::Inode> inode = fs_.stat(*ino);
		if (!inode)
			return inode.error();
		if (op == "write") {
			std::vector<uint8_t> data = pattern(num(4), num(3));
			Result<size_t> n = fs_.write(*ino, num(2), data);
			return n ? Outcome(std::to_string(*n)) : Outcome(n.error());
		}
		if (op == "truncate")
			return done(fs_.truncate(*ino, num(2)));
		if (op == "read") {
			std::vector<uint8_t> buf(num(3));
			Result<size_t> n = fs_.read(*ino, num(2), buf);
			if (!n)
				return n.error();
			return std::to_string(inode->size) + " " + digest(buf.data(), *n);
		}
		xloop::minix::SetAttr attr;
		if (op == "chmod") {
			attr.mode = mode(2);
		} else {
			attr.uid = num(2);
			attr.gid = num(3);
		}
		return done(fs_.setattr(*ino, attr));
	}
	if (op == "link") {
		Result<uint32_t> ino = resolve(w.at(1));
		if (!ino)
			return ino.error();
		Result<Parent> p = parent_of(w.at(2));
		if (!p)
			return p.error();
		return done(fs_.link(*ino, p->dir, p->name));
	}
	if (op == "links") {
		// Printed as the kernel runner prints a first link that failed.
		Result<uint32_t> ino = resolve(w.at(1));
		if (!ino)
			return "0 " + Outcome(ino.error()).text;
		Result<uint32_t> dir = resolve(w.at(2));
		if (!dir)
			return "0 " + Outcome(dir.error()).text;
		uint64_t made = 0;
		for (; made < num(3); made++) {
			Status st = fs_.link(*ino, *dir, "k" + std::to_string(made));
			if (!st)
				return std::to_string(made) + " " + Outcome(st.error()).text;
		}
		return std::to_string(made);
	}
	if (op == "unlinks") {
		// As the kernel runner: a name that is not there is skipped, any
		// other error ends it.
		Result<uint32_t> dir = resolve(w.at(1));
		if (!dir)
			return dir.error().code() == ENOENT ? Outcome("0") : Outcome(dir.error());
		uint64_t gone = 0;
		for (uint64_t k = 0; k < num(2); k++) {
			Status st = fs_.unlink(*dir, "k" + std::to_string(k));
			if (st)
				gone++;
			else if (st.error().code() != ENOENT)
				return st.error();
		}
		return std::to_string(gone);
	}
	if (op == "unlink" || op == "rmdir") {
		Result<Parent> p = parent_of(w.at(1));
		if (!p)
			return p.error();
		return done(op == "unlink" ? fs_.unlink(p->dir, p->name)
		                           : fs_.rmdir(p->dir, p->name));
	}
	if (op == "rename") {
		Result<Parent> from = parent_of(w.at(1));
		if (!from)
			return from.error();
		Result<Parent> to = parent_of(w.at(2));
		if (!to)
			return to.error();
		return done(fs_.rename(from->dir, from->name, to->dir, to->name, w.size() > 3));
	}
	std::fprintf(stderr, "minix_replay: unknown operation '%s'\n", op.c_str());
	std::exit(2);
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: minix_replay IMAGE SCRIPT\n");
		return 2;
	}
	using xloop::minix::FileDevice;
	Result<FileDevice> dev =
	        FileDevice::open(argv[1], FileDevice::Mode::read_write, FileDevice::Lock::none);
	if (!dev) {
		std::fprintf(stderr, "minix_replay: %s\n", dev.error().message().c_str());
		return 1;
	}
	xloop::minix::OpenOptions opts;
	opts.writable = true;
	opts.clock = [] { return int64_t{1}; };
	Result<std::unique_ptr<Filesystem>> fs = Filesystem::open(*dev, opts);
	if (!fs) {
		std::fprintf(stderr, "minix_replay: %s\n", fs.error().message().c_str());
		return 1;
	}
	std::ifstream script(argv[2]);
	if (!script) {
		std::fprintf(stderr, "minix_replay: %s: %s\n", argv[2], std::strerror(errno));
		return 1;
	}
	Replayer replayer(**fs);
	int n = 0;
	for (std::string line; std::getline(script, line);) {
		std::vector<std::string> words;
		std::istringstream in(line);
		for (std::string word; in >> word;)
			words.push_back(word);
		if (words.empty())
			continue;
		std::printf("%d %s -> %s\n", ++n, line.c_str(), replayer.apply(words).text.c_str());
	}
	if (Status st = (*fs)->unmount(); !st) {
		std::fprintf(stderr, "minix_replay: %s\n", st.error().message().c_str());
		return 1;
	}
	return 0;
}
