// xloop: attach, detach and list loop devices, make, check and read minix
// filesystems.  This file is the edge: it parses the command line, runs the
// chosen command, and maps its outcome to an exit status.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "cli/commands.hpp"

namespace
{

int usage_error(const CLI::App &command, const std::string &what, int status)
{
	std::string name = command.get_parent() ? "xloop " + command.get_name() : "xloop";
	fmt::print(stderr, "{}: {}\nTry '{} --help' for more information.\n", name, what, name);
	return status;
}

// util-linux's close_stdout(): output that did not reach its destination (a
// full disk, /dev/full) is an error, exit status 1; a closed pipe is not.
int close_stdout(int status)
{
	errno = 0;
	bool failed = std::ferror(stdout) != 0;
	int saved = errno;
	if (std::fclose(stdout) != 0) {
		failed = true;
		saved = errno;
	}
	if (!failed || saved == EPIPE)
		return status;
	// stdio, not fmt: fmt throws when stderr cannot be written either.
	if (saved)
		std::fprintf(stderr, "xloop: write error: %s\n", std::strerror(saved));
	else
		std::fprintf(stderr, "xloop: write error\n");
	return status ? status : 1;
}

} // namespace

int main(int argc, char **argv)
{
	using namespace xloop::cli;

	CLI::App app{"xloop: loop devices and minix filesystems", "xloop"};
	app.set_version_flag("-V,--version", "xloop " XLOOP_VERSION);
	app.require_subcommand(1);

	std::map<const CLI::App *, Action> actions;
	std::map<const CLI::App *, int> usage_exits;
	for (const CommandSpec &spec : command_table()) {
		CLI::App *command = app.add_subcommand(spec.name, spec.help);
		spec.setup(*command, actions[command]);
		usage_exits[command] = spec.usage_exit;
	}

	try {
		app.parse(argc, argv);
	} catch (const CLI::CallForHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForAllHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForVersion &e) {
		return app.exit(e);
	} catch (const CLI::ParseError &e) {
		for (const CLI::App *command : app.get_subcommands())
			return usage_error(*command, e.what(), usage_exits[command]);
		// CLI11 calls a word that names no command a missing subcommand.
		if (argc > 1 && argv[1][0] != '-')
			return usage_error(app, fmt::format("unknown command '{}'", argv[1]), 1);
		if (argc > 1)
			return usage_error(app, fmt::format("unrecognized option '{}'", argv[1]),
			                   1);
		return usage_error(app, e.what(), 1);
	}

	const CLI::App *command = app.get_subcommands().front();
	int status;
	try {
		status = actions[command]();
	} catch (const std::system_error &e) {
		// fmt::print() found stdout (or stderr) unwritable mid-command.
		std::fprintf(stderr, "xloop: write error: %s\n", e.code().message().c_str());
		std::fclose(stdout);
		return 1;
	}
	return close_stdout(status);
}
