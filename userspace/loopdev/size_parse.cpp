#include "loopdev/size_parse.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

namespace xloop::loopdev
{

namespace
{

// value * base^power; false on overflow.
bool scale(std::uint64_t &value, std::uint64_t base, int power)
{
	for (; power > 0; power--) {
		if (value > UINT64_MAX / base)
			return false;
		value *= base;
	}
	return true;
}

// What the fraction digits `frac` (after `zeros` leading zeros) of one unit
// `unit` add, digit by digit from the last, as util-linux sums them (each
// digit's share rounded down on its own): "1.23K" is 1024 + 204 + 31.
std::uint64_t fraction_of(std::uint64_t frac, unsigned zeros, std::uint64_t unit)
{
	std::uint64_t div = 10, place = 1, sum = 0;
	while (div < frac)
		div *= 10;
	for (; zeros > 0; zeros--)
		div *= 10;
	do {
		std::uint64_t digit = frac % 10;
		std::uint64_t digit_div = div / place;
		frac /= 10;
		place *= 10;
		if (digit && digit_div / digit)
			sum += unit / (digit_div / digit);
	} while (frac);
	return sum;
}

} // namespace

Result<std::uint64_t> parse_size(std::string_view text)
{
	const std::string copy(text); // strtoull needs the terminating NUL
	auto invalid = [&] { return Error(EINVAL, "'" + copy + "'"); };
	auto range = [&] { return Error(ERANGE, "'" + copy + "'"); };
	const char *p = copy.c_str();
	while (std::isspace(static_cast<unsigned char>(*p)))
		p++;
	// strtoull() would take "-1" as 2^64-1.
	if (*p == '-' || *p == '\0')
		return invalid();
	char *end = nullptr;
	errno = 0;
	std::uint64_t value = std::strtoull(p, &end, 0); // 0x hex, 0 octal
	if (end == p)
		return invalid();
	if (errno == ERANGE)
		return range();
	p = end;
	if (*p == '\0')
		return value;

	std::uint64_t frac = 0;
	unsigned zeros = 0;
	if (*p == '.') {
		p++;
		while (*p == '0') {
			zeros++;
			p++;
		}
		if (std::isdigit(static_cast<unsigned char>(*p))) {
			errno = 0;
			frac = std::strtoull(p, &end, 10);
			if (errno == ERANGE)
				return range();
			p = end;
		}
		if (*p == '\0') // a fraction of a byte
			return invalid();
	}

	// K M G T P E Z Y, either case; then nothing (powers of 1024), "iB"
	// (the same) or "B" (powers of 1000).
	static constexpr std::string_view upper = "KMGTPEZY", lower = "kmgtpezy";
	std::size_t letter = upper.find(*p);
	if (letter == std::string_view::npos)
		letter = lower.find(*p);
	if (letter == std::string_view::npos)
		return invalid();
	std::string_view rest(p + 1);
	std::uint64_t base = 1024;
	if (rest == "B" || rest == "b")
		base = 1000;
	else if (!rest.empty() && rest != "iB" && rest != "ib")
		return invalid();
	const int power = static_cast<int>(letter) + 1;
	if (!scale(value, base, power))
		return range();
	if (frac) {
		std::uint64_t unit = 1;
		if (!scale(unit, base, power))
			return range();
		std::uint64_t add = fraction_of(frac, zeros, unit);
		if (value > UINT64_MAX - add)
			return range();
		value += add;
	}
	return value;
}

} // namespace xloop::loopdev
