#include "minix/directory.hpp"

#include <fmt/format.h>

namespace xloop::minix
{

Status check_new_name(const Superblock &sb, std::string_view name)
{
	std::string shown(name);
	if (name.empty())
		return Error(ENOENT, "''");
	if (name.size() > sb.name_len())
		return Error(ENAMETOOLONG, shown,
		             fmt::format("File name too long ({} bytes, the limit is {})",
		                         name.size(), sb.name_len()));
	if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
		return Error(EINVAL, shown, "a name cannot contain '/' or NUL");
	if (name == "." || name == "..")
		return Error(EEXIST, shown);
	return {};
}

std::vector<PathPart> path_parts(std::string_view path)
{
	std::vector<PathPart> parts;
	size_t pos = 0;
	while (pos < path.size()) {
		size_t end = path.find('/', pos);
		if (end == std::string_view::npos)
			end = path.size();
		std::string_view part = path.substr(pos, end - pos);
		pos = end + 1;
		if (!part.empty() && part != ".")
			parts.push_back({part, path.substr(0, end)});
	}
	return parts;
}

} // namespace xloop::minix
