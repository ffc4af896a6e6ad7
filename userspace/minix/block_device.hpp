// Block storage behind a small interface, so the model never touches the OS:
// MemoryDevice for tests and the fuzzer, FileDevice (file_device.hpp) for the
// tool.  Offsets and lengths are in bytes.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace xloop::minix
{

class BlockDevice
{
public:
	virtual ~BlockDevice() = default;
	virtual uint64_t size() const = 0;
	// Whole-range transfers: a short read or write is an error (EIO).
	virtual Status read(uint64_t offset, std::span<uint8_t> out) = 0;
	virtual Status write(uint64_t offset, std::span<const uint8_t> in) = 0;
	virtual Status flush() = 0;
};

// A device in memory of a fixed size.
class MemoryDevice : public BlockDevice
{
public:
	explicit MemoryDevice(uint64_t bytes) : data_(bytes) {}
	explicit MemoryDevice(std::vector<uint8_t> bytes) : data_(std::move(bytes)) {}

	uint64_t size() const override { return data_.size(); }

	Status read(uint64_t offset, std::span<uint8_t> out) override
	{
		if (offset > data_.size() || out.size() > data_.size() - offset)
			return Error(EIO, "memory device", "read beyond the end of the device");
		std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(),
		            out.begin());
		return {};
	}

	Status write(uint64_t offset, std::span<const uint8_t> in) override
	{
		if (offset > data_.size() || in.size() > data_.size() - offset)
			return Error(EIO, "memory device", "write beyond the end of the device");
		std::copy(in.begin(), in.end(),
		          data_.begin() + static_cast<std::ptrdiff_t>(offset));
		return {};
	}

	Status flush() override { return {}; }

	std::vector<uint8_t> &bytes() { return data_; }
	const std::vector<uint8_t> &bytes() const { return data_; }

private:
	std::vector<uint8_t> data_;
};

} // namespace xloop::minix
