#include "loopdev/size_parse.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace xloop::loopdev
{

Result<std::uint64_t> parse_size(std::string_view text)
{
	auto invalid = [&] { return Error(EINVAL, "'" + std::string(text) + "'"); };
	int base = 10;
	std::string_view digits = text;
	if (digits.starts_with("0x") || digits.starts_with("0X")) {
		base = 16;
		digits.remove_prefix(2);
	}
	std::uint64_t value = 0;
	auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
	if (end == digits.data())
		return invalid();
	if (ec == std::errc::result_out_of_range)
		return Error(ERANGE, "'" + std::string(text) + "'");
	std::string_view unit(end, static_cast<std::size_t>(digits.data() + digits.size() - end));
	if (unit.empty())
		return value;

	static constexpr std::string_view letters = "KMGTPE";
	auto pos =
	        letters.find(static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0]))));
	if (pos == std::string_view::npos)
		return invalid();
	std::string_view rest = unit.substr(1);
	std::uint64_t step = 1024;
	if (rest == "B" || rest == "b")
		step = 1000;
	else if (!rest.empty() && rest != "iB" && rest != "ib")
		return invalid();
	for (std::size_t i = 0; i <= pos; ++i) {
		if (value > UINT64_MAX / step)
			return Error(ERANGE, "'" + std::string(text) + "'");
		value *= step;
	}
	return value;
}

} // namespace xloop::loopdev
