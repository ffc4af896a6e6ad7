#include "cli/commands.hpp"
#include "cli/minix_commands.hpp"

namespace xloop::cli
{

std::span<const CommandSpec> command_table()
{
	static constexpr CommandSpec table[] = {
	        {"mkfs", "make a Minix filesystem (as mkfs.minix)", 16, setup_mkfs},
	        {nullptr, nullptr, 0, nullptr},
	};
	return std::span(table).first(std::size(table) - 1);
}

} // namespace xloop::cli
