#include "cli/commands.hpp"

namespace xloop::cli
{

std::span<const CommandSpec> command_table()
{
	static constexpr CommandSpec table[] = {
	        {nullptr, nullptr, 0, nullptr},
	};
	return std::span(table).first(std::size(table) - 1);
}

} // namespace xloop::cli
