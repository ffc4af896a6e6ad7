// The command table: every `xloop <command>` is one row, set up from its own
// cmd_<name>.cpp.  A command binds its options, then leaves behind an action
// that runs after parsing and returns the process exit status.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <span>

namespace xloop::cli
{

using Action = std::function<int()>;

struct CommandSpec {
	const char *name;
	const char *help;
	// Exit status for a usage error, as the mirrored tool has it
	// (losetup and mount: 1, fsck.minix and mkfs.minix: 16).
	int usage_exit;
	void (*setup)(CLI::App &command, Action &action);
};

std::span<const CommandSpec> command_table();

// For unsigned options: digits only, so "-1" is an error rather than 2^64-1
// (util-linux's strtoul_or_err() refuses a sign too).
inline const CLI::Validator kUnsignedNumber(
        [](const std::string &value) -> std::string {
	        if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
		        return "not a non-negative decimal number: '" + value + "'";
	        return {};
        },
        "UINT");

} // namespace xloop::cli
