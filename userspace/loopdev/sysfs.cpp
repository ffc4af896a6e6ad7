#include "loopdev/sysfs.hpp"

#include <charconv>

#include "loopdev/disks.hpp"

namespace xloop::loopdev
{

std::string sysfs_dir(const Disk &disk)
{
	return std::string(kSysBlock) + "/" + disk.name;
}

Result<std::string> read_attribute(LoopOs &os, const std::string &path)
{
	auto text = os.read_file(path);
	if (!text)
		return text.error();
	std::string value = std::move(*text);
	if (!value.empty() && value.back() == '\n')
		value.pop_back();
	return value;
}

template <typename T> static bool parse_whole(std::string_view text, T &value)
{
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

Result<std::uint64_t> read_number(LoopOs &os, const std::string &path)
{
	auto text = read_attribute(os, path);
	if (!text)
		return text.error();
	std::uint64_t value = 0;
	if (!parse_whole(*text, value))
		return Error(EINVAL, path, "not a number: '" + *text + "'");
	return value;
}

Result<std::pair<unsigned, unsigned>> read_devno(LoopOs &os, const std::string &path)
{
	auto text = read_attribute(os, path);
	if (!text)
		return text.error();
	auto colon = text->find(':');
	unsigned major = 0, minor = 0;
	if (colon == std::string::npos ||
	    !parse_whole(std::string_view(*text).substr(0, colon), major) ||
	    !parse_whole(std::string_view(*text).substr(colon + 1), minor))
		return Error(EINVAL, path, "not major:minor: '" + *text + "'");
	return std::pair{major, minor};
}

} // namespace xloop::loopdev
