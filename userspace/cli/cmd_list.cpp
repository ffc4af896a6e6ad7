// xloop list: the losetup --list table (libsmartcols): columns, JSON and raw
// output as losetup prints them, plus a DRIVER column.
#include <libmount.h>
#include <libsmartcols.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cli/loop_commands.hpp"
#include "cli/mount_commands.hpp"
#include "loopdev/device_info.hpp"
#include "loopdev/linux_os.hpp"
#include "loopdev/loop_context.hpp"

namespace xloop::cli
{

namespace
{

enum class Col {
	name,
	autoclear,
	back_file,
	back_ino,
	back_majmin,
	majmin,
	offset,
	partscan,
	ro,
	sizelimit,
	dio,
	log_sec,
	driver,
	mountpoint,
};

struct ColumnSpec {
	Col id;
	const char *name;
	double width_hint;
	int flags;
	int json_type;
	const char *help;
};

// losetup's columns in losetup's order, then ours.
constexpr ColumnSpec kColumns[] = {
        {Col::name, "NAME", 0.25, 0, SCOLS_JSON_STRING, "loop device name"},
        {Col::autoclear, "AUTOCLEAR", 1, SCOLS_FL_RIGHT, SCOLS_JSON_BOOLEAN, "autoclear flag set"},
        {Col::back_file, "BACK-FILE", 0.3, 0, SCOLS_JSON_STRING, "device backing file"},
        {Col::back_ino, "BACK-INO", 4, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
         "backing file inode number"},
        {Col::back_majmin, "BACK-MAJ:MIN", 6, 0, SCOLS_JSON_STRING,
         "backing file major:minor device number"},
        {Col::majmin, "MAJ:MIN", 3, 0, SCOLS_JSON_STRING, "loop device major:minor number"},
        {Col::offset, "OFFSET", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "offset from the beginning"},
        {Col::partscan, "PARTSCAN", 1, SCOLS_FL_RIGHT, SCOLS_JSON_BOOLEAN, "partscan flag set"},
        {Col::ro, "RO", 1, SCOLS_FL_RIGHT, SCOLS_JSON_BOOLEAN, "read-only device"},
        {Col::sizelimit, "SIZELIMIT", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
         "size limit of the file in bytes"},
        {Col::dio, "DIO", 1, SCOLS_FL_RIGHT, SCOLS_JSON_BOOLEAN,
         "access backing file with direct-io"},
        {Col::log_sec, "LOG-SEC", 4, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
         "logical sector size in bytes"},
        {Col::driver, "DRIVER", 5, 0, SCOLS_JSON_STRING, "driver serving the device"},
        {Col::mountpoint, "MOUNTPOINT", 0.2, 0, SCOLS_JSON_STRING,
         "where the device is mounted (the last mount, from libmount's table)"},
};

constexpr Col kDefaultColumns[] = {Col::name, Col::sizelimit, Col::offset, Col::autoclear,
                                   Col::ro,   Col::back_file, Col::dio,    Col::log_sec};

const ColumnSpec &spec_of(Col id)
{
	return *std::find_if(std::begin(kColumns), std::end(kColumns),
	                     [id](const ColumnSpec &c) { return c.id == id; });
}

// "-O COLS": names separated by commas, any case; "+COLS" adds to the defaults.
Result<std::vector<Col>> parse_columns(const std::string &text)
{
	std::vector<Col> columns;
	std::string_view rest = text;
	if (rest.starts_with('+')) {
		columns.assign(std::begin(kDefaultColumns), std::end(kDefaultColumns));
		rest.remove_prefix(1);
	}
	while (!rest.empty()) {
		auto comma = rest.find(',');
		std::string name(rest.substr(0, comma));
		rest = comma == std::string_view::npos ? std::string_view()
		                                       : rest.substr(comma + 1);
		auto found = std::find_if(
		        std::begin(kColumns), std::end(kColumns),
		        [&](const ColumnSpec &c) { return strcasecmp(c.name, name.c_str()) == 0; });
		if (found == std::end(kColumns))
			return Error(EINVAL, "unknown column", name);
		columns.push_back(found->id);
	}
	if (columns.empty())
		return Error(EINVAL, "--output", "no columns");
	return columns;
}

// A cell's text, or nothing for an empty cell.  Like losetup, the table
// pads the major:minor pairs; raw and JSON output carry them bare.
// Device path -> where it is mounted (the last such mount).
using MountPoints = std::map<std::string, std::string>;

std::optional<std::string> cell(const loopdev::DeviceInfo &info, Col id, bool bare,
                                const MountPoints &mounts)
{
	auto flag = [](bool on) { return std::string(on ? "1" : "0"); };
	switch (id) {
	case Col::name:
		return info.disk.path;
	case Col::autoclear:
		return flag(info.autoclear);
	case Col::partscan:
		return flag(info.partscan);
	case Col::ro:
		return flag(info.read_only);
	case Col::dio:
		return flag(info.direct_io);
	case Col::log_sec:
		return std::to_string(info.sector_size);
	case Col::driver:
		return info.disk.driver.name;
	case Col::mountpoint: {
		auto found = mounts.find(info.disk.path);
		if (found == mounts.end())
			return std::nullopt;
		return found->second;
	}
	case Col::majmin:
		if (!info.devno)
			return std::nullopt;
		return bare ? fmt::format("{}:{}", info.devno->first, info.devno->second)
		            : fmt::format("{:>3}:{:<3}", info.devno->first, info.devno->second);
	default:
		break;
	}
	if (!info.bound)
		return std::nullopt;
	switch (id) {
	case Col::back_file:
		return info.backing_file;
	case Col::offset:
		return std::to_string(info.offset);
	case Col::sizelimit:
		return std::to_string(info.sizelimit);
	case Col::back_ino:
		if (!info.backing_ino)
			return std::nullopt;
		return std::to_string(*info.backing_ino);
	case Col::back_majmin: {
		if (!info.backing_dev)
			return std::nullopt;
		auto dev = static_cast<dev_t>(*info.backing_dev);
		return bare ? fmt::format("{}:{}", major(dev), minor(dev))
		            : fmt::format("{:>8}:{:<3}", major(dev), minor(dev));
	}
	default:
		return std::nullopt;
	}
}

struct ListOptions {
	std::vector<std::string> devices;
	bool json = false;
	bool raw = false;
	bool no_headings = false;
	std::optional<std::string> output;
	bool output_all = false;
	std::optional<std::string> associated;
	std::optional<std::string> offset;
	std::optional<std::string> driver;
};

using Table = std::unique_ptr<libscols_table, decltype(&scols_unref_table)>;

int print_table(const ListOptions &options, const std::vector<Col> &columns,
                const std::vector<loopdev::DeviceInfo> &devices, const MountPoints &mounts)
{
	Table table(scols_new_table(), scols_unref_table);
	if (!table) {
		report(Error(ENOMEM, "libsmartcols"));
		return 1;
	}
	bool bare = options.json || options.raw;
	scols_table_enable_json(table.get(), options.json);
	scols_table_set_name(table.get(), "loopdevices");
	scols_table_enable_raw(table.get(), options.raw);
	scols_table_enable_noheadings(table.get(), options.no_headings);
	for (Col id : columns) {
		const ColumnSpec &spec = spec_of(id);
		libscols_column *column =
		        scols_table_new_column(table.get(), spec.name, spec.width_hint, spec.flags);
		if (!column) {
			report(Error(ENOMEM, "libsmartcols"));
			return 1;
		}
		scols_column_set_json_type(column, spec.json_type);
	}
	for (const loopdev::DeviceInfo &info : devices) {
		libscols_line *line = scols_table_new_line(table.get(), nullptr);
		if (!line) {
			report(Error(ENOMEM, "libsmartcols"));
			return 1;
		}
		for (std::size_t i = 0; i < columns.size(); ++i) {
			auto text = cell(info, columns[i], bare, mounts);
			if (text && scols_line_set_data(line, i, text->c_str()) != 0) {
				report(Error(ENOMEM, "libsmartcols"));
				return 1;
			}
		}
	}
	if (scols_print_table(table.get()) != 0) {
		report(Error(EIO, "stdout"));
		return 1;
	}
	return 0;
}

// Where each mounted block device is mounted, from libmount's reading of
// /proc/self/mountinfo (the source paths canonicalized).
Result<MountPoints> mount_points()
{
	Result<MountTable> table = read_mount_table();
	if (!table)
		return table.error();
	Result<MountIter> iter = mount_iter(MNT_ITER_FORWARD);
	if (!iter)
		return iter.error();
	MountPoints mounts;
	libmnt_fs *fs = nullptr;
	while (mnt_table_next_fs(table->get(), iter->get(), &fs) == 0) {
		const char *source = mnt_fs_get_srcpath(fs);
		const char *target = mnt_fs_get_target(fs);
		if (source && target)
			mounts[source] = target;
	}
	return mounts;
}

bool wants_backing_ids(const std::vector<Col> &columns)
{
	return std::any_of(columns.begin(), columns.end(),
	                   [](Col id) { return id == Col::back_ino || id == Col::back_majmin; });
}

int run_list(const ListOptions &options)
{
	loopdev::LinuxOs os;
	std::vector<Col> columns(std::begin(kDefaultColumns), std::end(kDefaultColumns));
	if (options.output_all) {
		columns.clear();
		for (const ColumnSpec &spec : kColumns)
			columns.push_back(spec.id);
	} else if (options.output) {
		auto parsed = parse_columns(*options.output);
		if (!parsed) {
			report(parsed.error());
			return 1;
		}
		columns = std::move(*parsed);
	}
	std::optional<std::uint64_t> offset;
	if (options.offset) {
		auto value = size_option("offset", *options.offset);
		if (!value) {
			report(value.error());
			return 1;
		}
		offset = *value;
	}
	auto drivers = listed_drivers(os, options.driver);
	if (!drivers) {
		report(drivers.error());
		return 1;
	}

	int status = 0;
	std::vector<loopdev::DeviceInfo> devices;
	bool ids = wants_backing_ids(columns);
	if (options.associated) {
		// No such file has no devices: an empty list, as losetup -j says.
		if (auto file = os.stat(*options.associated)) {
			auto found = loopdev::find_backing(os, *drivers, *file, offset);
			if (!found) {
				report(found.error());
				return 1;
			}
			devices = std::move(*found);
		}
	} else if (!options.devices.empty()) {
		for (const std::string &name : options.devices) {
			auto disk = loopdev::resolve_disk(os, *drivers, name);
			auto info = disk ? loopdev::read_device_info(os, *disk, ids)
			                 : Result<loopdev::DeviceInfo>(disk.error());
			if (!info) {
				report(info.error());
				status = 1;
				continue;
			}
			devices.push_back(std::move(*info));
		}
	} else {
		auto disks = loopdev::list_disks(os, *drivers, true);
		if (!disks) {
			report(disks.error());
			return 1;
		}
		for (const loopdev::Disk &disk : *disks) {
			auto info = loopdev::read_device_info(os, disk, ids);
			// Detached between listing and reading: not bound any more.
			if (info && info->bound)
				devices.push_back(std::move(*info));
		}
	}
	MountPoints mounts;
	if (std::find(columns.begin(), columns.end(), Col::mountpoint) != columns.end()) {
		auto found = mount_points();
		if (!found) {
			report(found.error());
			return 1;
		}
		mounts = std::move(*found);
	}
	if (print_table(options, columns, devices, mounts) != 0)
		return 1;
	return status;
}

std::string columns_help()
{
	std::string help = "Columns (-O, --output):\n";
	for (const ColumnSpec &spec : kColumns)
		help += fmt::format("  {:>12}  {}\n", spec.name, spec.help);
	return help;
}

} // namespace

void setup_list(CLI::App &command, Action &action)
{
	auto options = std::make_shared<ListOptions>();
	command.add_option("DEVICE", options->devices,
	                   "devices to show (default: every bound one)");
	auto *json = command.add_flag("-J,--json", options->json, "JSON output");
	auto *raw = command.add_flag("--raw", options->raw, "raw output");
	json->excludes(raw);
	command.add_flag("-n,--noheadings", options->no_headings, "no headings");
	auto *output = command.add_option("-O,--output", options->output,
	                                  "columns to show, comma-separated (+COLS: add to the "
	                                  "default ones)");
	auto *all = command.add_flag("--output-all", options->output_all, "show every column");
	output->excludes(all);
	auto *associated = command.add_option("-j,--associated", options->associated,
	                                      "only devices backed by this file");
	command.add_option("-o,--offset", options->offset,
	                   "with -j: only devices mapping the file from this offset")
	        ->needs(associated);
	add_driver_option(command, options->driver);
	command.footer(columns_help());
	action = [options] { return run_list(*options); };
}

} // namespace xloop::cli
