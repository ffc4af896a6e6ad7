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

} // namespace xloop::minix
