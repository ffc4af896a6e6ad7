// Errors as values: every fallible library call returns Result<T>, and only the
// command-line edge turns an Error into a message and an exit code.
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace xloop
{

// What went wrong: an errno value and the object and operation it concerns,
// e.g. {EBUSY, "/dev/xloop3: LOOP_CONFIGURE"}.  A detail replaces strerror()
// where the errno alone says too little ("bad s_log_zone_size 3").
class Error
{
public:
	Error(int code, std::string context, std::string detail = {})
	    : code_(code), context_(std::move(context)), detail_(std::move(detail))
	{
	}

	int code() const { return code_; }
	const std::string &context() const { return context_; }
	const std::string &detail() const { return detail_; }

	// "context: detail-or-strerror", the form the tool prints after "xloop: ".
	std::string message() const
	{
		std::string what = detail_.empty() ? std::strerror(code_) : detail_;
		return context_.empty() ? what : context_ + ": " + what;
	}

	// The same error seen from an outer object: "outer: inner-context", or
	// just "outer" where the inner context only names the same thing again
	// (one context per message: not "img: /x: x: File exists").
	Error within(const std::string &outer) const
	{
		if (context_.empty() || repeats(outer, context_) || bare_inode())
			return Error(code_, outer, detail_);
		return Error(code_, outer + ": " + context_, detail_);
	}

private:
	// Does `inner` name what the last part of `outer` names: the same path,
	// its last component, or a directory on the way to it?
	static bool repeats(const std::string &outer, const std::string &inner)
	{
		size_t colon = outer.rfind(": ");
		std::string last = colon == std::string::npos ? outer : outer.substr(colon + 2);
		if (last == inner)
			return true;
		if (last.size() > inner.size() && last.ends_with(inner) &&
		    last[last.size() - inner.size() - 1] == '/')
			return true;
		return inner.starts_with("/") && last.starts_with(inner + "/");
	}

	// An inode number is worth naming with what is wrong with it, not with a
	// plain errno an outer path already explains ("inode 5: Not a directory").
	bool bare_inode() const
	{
		return detail_.empty() && context_.starts_with("inode ") &&
		       context_.find_first_not_of("0123456789", 6) == std::string::npos;
	}

	int code_;
	std::string context_;
	std::string detail_;
};

// An Error carrying the current errno.
inline Error errno_error(std::string context)
{
	return Error(errno, std::move(context));
}

template <typename T> class [[nodiscard]] Result
{
public:
	Result(T value) : v_(std::move(value)) {}
	Result(Error error) : v_(std::move(error)) {}

	bool ok() const { return v_.index() == 0; }
	explicit operator bool() const { return ok(); }

	T &value() & { return std::get<0>(v_); }
	const T &value() const & { return std::get<0>(v_); }
	T &&value() && { return std::get<0>(std::move(v_)); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }

	const Error &error() const { return std::get<1>(v_); }

private:
	std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void>
{
public:
	Result() = default;
	Result(Error error) : error_(std::move(error)) {}

	bool ok() const { return !error_; }
	explicit operator bool() const { return ok(); }
	const Error &error() const { return *error_; }

private:
	std::optional<Error> error_;
};

using Status = Result<void>;

} // namespace xloop
