#include "mount/mount_rules.hpp"

#include <libmount.h>
#include <sys/mount.h>

#include <cstdlib>
#include <memory>
#include <optional>

#include "loopdev/size_parse.hpp"

namespace xloop::mount
{

namespace
{

struct FreeChars {
	void operator()(char *p) const { std::free(p); }
};
using OptString = std::unique_ptr<char, FreeChars>;

// The value of option `name` in `optstr`: nullopt when absent, "" for a
// bare name.
std::optional<std::string> option_value(const char *optstr, const char *name)
{
	char *value = nullptr;
	size_t size = 0;
	if (mnt_optstr_get_option(optstr, name, &value, &size) != 0)
		return std::nullopt;
	return value ? std::string(value, size) : std::string();
}

} // namespace

Result<LoopOptions> take_loop_options(std::string_view options)
{
	LoopOptions out;
	OptString optstr(strndup(options.data(), options.size()));
	if (!optstr)
		return Error(ENOMEM, "mount options");
	struct {
		const char *name;
		std::uint64_t *value;
	} const sizes[] = {{"offset", &out.offset}, {"sizelimit", &out.sizelimit}};
	for (const auto &size : sizes) {
		std::optional<std::string> text = option_value(optstr.get(), size.name);
		if (!text)
			continue;
		Result<std::uint64_t> value = loopdev::parse_size(*text);
		if (!value || text->empty())
			return Error(EINVAL, std::string(size.name) + "=" + *text, "not a size");
		*size.value = *value;
		char *raw = optstr.release();
		mnt_optstr_remove_option(&raw, size.name);
		optstr.reset(raw);
	}
	if (std::optional<std::string> loop = option_value(optstr.get(), "loop")) {
		if (!loop->empty())
			return Error(EINVAL, "loop=" + *loop,
			             "xloop mount picks the loop device itself");
		char *raw = optstr.release();
		mnt_optstr_remove_option(&raw, "loop");
		optstr.reset(raw);
	}
	out.fs_options = optstr ? optstr.get() : "";
	// The flags as mount(8) would send them: the last of ro and rw wins.
	unsigned long flags = 0;
	if (mnt_optstr_get_flags(out.fs_options.c_str(), &flags,
	                         mnt_get_builtin_optmap(MNT_LINUX_MAP)) != 0)
		return Error(EINVAL, std::string(options), "bad mount options");
	out.read_only = flags & MS_RDONLY;
	out.flags = flags;
	return out;
}

std::set<std::string> parse_filesystems(std::string_view text)
{
	std::set<std::string> names;
	while (!text.empty()) {
		size_t eol = text.find('\n');
		std::string_view line = text.substr(0, eol);
		text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
		size_t tab = line.find('\t');
		std::string_view name = tab == std::string_view::npos ? line : line.substr(tab + 1);
		if (!name.empty())
			names.emplace(name);
	}
	return names;
}

std::string kernel_type(std::string_view probed, const std::set<std::string> &registered)
{
	if (probed == "minix" && registered.count("xminix"))
		return "xminix";
	return std::string(probed);
}

} // namespace xloop::mount
