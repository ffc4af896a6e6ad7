// xloop attach's setup path (LoopContext::attach) against the in-memory
// driver: free-device search and races, LOOP_CONFIGURE and its fallback, the
// size check, and that no failure leaves a device bound.
#include <gtest/gtest.h>

#include "loop_fake_os.hpp"
#include "loopdev/loop_context.hpp"

namespace xloop::loopdev
{
namespace
{

using testing::FakeLoopOs;

class LoopAttach : public ::testing::Test
{
protected:
	LoopAttach() { image = os.add_file("a.img", 10 << 20); }

	Result<Attached> attach(AttachRequest request)
	{
		if (request.file.empty())
			request.file = "a.img";
		return context.attach(request);
	}
	std::size_t count(const std::string &call) const
	{
		return static_cast<std::size_t>(std::count(os.calls.begin(), os.calls.end(), call));
	}
	bool none_bound()
	{
		for (unsigned n = 0; n < os.device_count(); ++n) {
			if (os.device(n).state() != DeviceState::unbound)
				return false;
		}
		return true;
	}

	FakeLoopOs os;
	std::shared_ptr<BackingStore> image;
	LoopContext context{os, Driver::stock_loop(false)};
};

TEST_F(LoopAttach, BindsTheFirstFreeDevice)
{
	os.add_file("other.img", 1 << 20);
	os.bind_elsewhere(0, "other.img");
	auto attached = attach({});
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(attached->device, "/dev/loop1");
	EXPECT_FALSE(attached->reused);
	EXPECT_FALSE(attached->partial_sector);
	EXPECT_EQ(count("LOOP_CTL_GET_FREE"), 1u);
	EXPECT_EQ(count("LOOP_CONFIGURE /dev/loop1"), 1u);
	attached->handle.reset();
	const DeviceModel &device = os.device(1);
	EXPECT_EQ(device.state(), DeviceState::bound);
	EXPECT_EQ(device.size_bytes(), 10u << 20);
	EXPECT_EQ(device.flags(), 0u);
	EXPECT_STREQ(reinterpret_cast<const char *>(device.get_status()->lo_file_name),
	             "/work/a.img");
}

TEST_F(LoopAttach, TheRequestReachesTheDevice)
{
	AttachRequest request;
	request.offset = 4096;
	request.sizelimit = 1 << 20;
	request.sector_size = 4096;
	request.read_only = true;
	request.partscan = true;
	auto attached = attach(request);
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	const DeviceModel &device = os.device(0);
	EXPECT_EQ(device.offset(), 4096u);
	EXPECT_EQ(device.sizelimit(), 1u << 20);
	EXPECT_EQ(device.block_size(), 4096u);
	EXPECT_EQ(device.flags(),
	          static_cast<std::uint32_t>(LO_FLAGS_READ_ONLY | LO_FLAGS_PARTSCAN));
	EXPECT_EQ(device.size_bytes(), 1u << 20);
}

TEST_F(LoopAttach, AutoclearDeviceLivesWhileTheCallerHoldsIt)
{
	AttachRequest request;
	request.autoclear = true;
	auto attached = attach(request);
	ASSERT_TRUE(attached.ok());
	EXPECT_EQ(os.device(0).state(), DeviceState::bound);
	attached->handle.reset();
	EXPECT_EQ(os.device(0).state(), DeviceState::unbound);
}

TEST_F(LoopAttach, LosingTheRaceForAFreeDeviceRetries)
{
	os.add_file("other.img", 1 << 20);
	bool raced = false;
	os.before = [&](const std::string &call) -> std::optional<int> {
		if (call == "LOOP_CONFIGURE /dev/loop0" && !raced) {
			raced = true;
			os.bind_elsewhere(0, "other.img"); // another losetup got there first
		}
		return std::nullopt;
	};
	auto attached = attach({});
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(attached->device, "/dev/loop1");
	EXPECT_EQ(count("LOOP_CTL_GET_FREE"), 2u);
	EXPECT_EQ(os.slept.count(), 0);
	EXPECT_EQ(os.device(0).backing()->path, "other.img");
}

TEST_F(LoopAttach, ADeviceThatStaysBusyIsGivenUpAfterTheRetries)
{
	os.before = [](const std::string &call) -> std::optional<int> {
		if (call.starts_with("LOOP_CONFIGURE"))
			return EBUSY;
		return std::nullopt;
	};
	RetryPolicy retry;
	auto attached = attach({});
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().code(), EBUSY);
	EXPECT_EQ(count("LOOP_CONFIGURE /dev/loop0"),
	          static_cast<std::size_t>(retry.bind_attempts));
	// A few immediate retries, then losetup's 200 ms pauses.
	EXPECT_EQ(os.slept, (retry.bind_attempts - 5) * retry.bind_delay);
	EXPECT_EQ(count("LOOP_CLR_FD /dev/loop0"), 0u); // never clear what is not ours
	EXPECT_TRUE(none_bound());
}

TEST_F(LoopAttach, ANamedBusyDeviceIsNotRetried)
{
	os.add_file("other.img", 1 << 20);
	os.bind_elsewhere(0, "other.img");
	AttachRequest request;
	request.device = "/dev/loop0";
	auto attached = attach(request);
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().code(), EBUSY);
	EXPECT_EQ(attached.error().message(),
	          "/dev/loop0: LOOP_CONFIGURE: Device or resource busy");
	EXPECT_EQ(count("LOOP_CTL_GET_FREE"), 0u);
	EXPECT_EQ(os.device(0).backing()->path, "other.img");
}

TEST_F(LoopAttach, WithoutLoopConfigureItBindsInSteps)
{
	os.before = [](const std::string &call) -> std::optional<int> {
		if (call.starts_with("LOOP_CONFIGURE"))
			return ENOTTY; // a kernel before 5.8
		return std::nullopt;
	};
	AttachRequest request;
	request.offset = 8192;
	request.sector_size = 2048;
	request.partscan = true;
	auto attached = attach(request);
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	std::vector<std::string> ioctls;
	for (const std::string &call : os.calls) {
		if (call.starts_with("LOOP_S") || call.starts_with("LOOP_C"))
			ioctls.push_back(call);
	}
	EXPECT_EQ(ioctls, (std::vector<std::string>{
	                          "LOOP_CTL_GET_FREE", "LOOP_CONFIGURE /dev/loop0",
	                          "LOOP_SET_FD /dev/loop0", "LOOP_SET_BLOCK_SIZE /dev/loop0",
	                          "LOOP_SET_STATUS64 /dev/loop0"}));
	const DeviceModel &device = os.device(0);
	EXPECT_EQ(device.offset(), 8192u);
	EXPECT_EQ(device.block_size(), 2048u);
	EXPECT_EQ(device.flags(), static_cast<std::uint32_t>(LO_FLAGS_PARTSCAN));
	EXPECT_EQ(device.size_bytes(), (10u << 20) - 8192);
}

// losetup /dev/loop9 FILE with no loop9 yet: the driver is asked to make
// it (LOOP_CTL_ADD 9), then it is bound.
TEST_F(LoopAttach, AChosenDeviceThatDoesNotExistYetIsCreated)
{
	AttachRequest request;
	request.device = "/dev/loop9";
	ASSERT_LT(os.device_count(), 10u);
	auto attached = attach(request);
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(attached->device, "/dev/loop9");
	EXPECT_EQ(os.device(9).state(), DeviceState::bound);
	// A name the driver does not give is still no such device.
	request.device = "/dev/loopy";
	EXPECT_EQ(attach(request).error().message(), "/dev/loopy: No such file or directory");
}

TEST_F(LoopAttach, AFailedStepUnbindsTheDevice)
{
	os.before = [](const std::string &call) -> std::optional<int> {
		if (call.starts_with("LOOP_CONFIGURE"))
			return EINVAL;
		if (call.starts_with("LOOP_SET_STATUS64"))
			return EIO;
		return std::nullopt;
	};
	auto attached = attach({});
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().code(), EIO);
	EXPECT_EQ(count("LOOP_CLR_FD /dev/loop0"), 1u);
	EXPECT_TRUE(none_bound()); // the last close finished the teardown
}

TEST_F(LoopAttach, TheConfigureAnswerStandsWhenSetFdAgrees)
{
	// /dev/null and friends: both ioctls say EINVAL; report the first.
	image->regular_or_block = false;
	auto attached = attach({});
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().message(), "/dev/loop0: LOOP_CONFIGURE: Invalid argument");
	EXPECT_TRUE(none_bound());
}

TEST_F(LoopAttach, SetStatusIsRetriedWhileTheKernelSaysAgain)
{
	int again = 2;
	os.before = [&](const std::string &call) -> std::optional<int> {
		if (call.starts_with("LOOP_CONFIGURE"))
			return ENOSYS;
		if (call.starts_with("LOOP_SET_STATUS64") && again-- > 0)
			return EAGAIN;
		return std::nullopt;
	};
	auto attached = attach({});
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(count("LOOP_SET_STATUS64 /dev/loop0"), 3u);
}

TEST_F(LoopAttach, AWrongSizeIsFixedWithSetCapacity)
{
	os.before = [&](const std::string &call) -> std::optional<int> {
		if (call.starts_with("LOOP_CONFIGURE"))
			image->size = 20 << 20; // grew between our fstat and the bind
		if (call.starts_with("LOOP_SET_CAPACITY"))
			image->size = 10 << 20;
		return std::nullopt;
	};
	auto attached = attach({});
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(count("LOOP_SET_CAPACITY /dev/loop0"), 1u);
	EXPECT_EQ(os.device(0).size_bytes(), 10u << 20);
}

TEST_F(LoopAttach, ASizeThatStaysWrongFailsAndUnbinds)
{
	os.before = [&](const std::string &call) -> std::optional<int> {
		if (call.starts_with("LOOP_CONFIGURE"))
			image->size = 20 << 20;
		return std::nullopt;
	};
	auto attached = attach({});
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().code(), ERANGE);
	EXPECT_TRUE(none_bound());
}

TEST_F(LoopAttach, DirectIoTheDriverDroppedIsReported)
{
	// As with losetup 2.38 (seen in the guest): the device is bound with
	// buffered I/O; the tool only says so.
	image->bdev_block_size = 4096;
	AttachRequest request;
	request.direct_io = true;
	request.offset = 512;
	request.sector_size = 4096;
	auto attached = attach(request);
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_TRUE(attached->direct_io_dropped);
	EXPECT_EQ(os.device(0).state(), DeviceState::bound);
	EXPECT_FALSE(os.device(0).flags() & LO_FLAGS_DIRECT_IO);
	request.offset = 4096;
	auto aligned = attach(request);
	ASSERT_TRUE(aligned.ok());
	EXPECT_FALSE(aligned->direct_io_dropped);
	EXPECT_TRUE(os.device(1).flags() & LO_FLAGS_DIRECT_IO);
}

TEST_F(LoopAttach, DirectIoOpensTheFileWithODirect)
{
	AttachRequest request;
	request.direct_io = true;
	auto attached = attach(request);
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_TRUE(os.device(0).flags() & LO_FLAGS_DIRECT_IO);
	image->can_direct_io = false;
	auto refused = attach(request);
	ASSERT_FALSE(refused.ok());
	EXPECT_EQ(refused.error().code(), EINVAL);
	EXPECT_EQ(refused.error().context(), "a.img");
}

TEST_F(LoopAttach, AFileWeMayOnlyReadMakesAReadOnlyDevice)
{
	os.before = [](const std::string &call) -> std::optional<int> {
		static bool denied = false;
		if (call == "open a.img" && !denied) {
			denied = true;
			return EACCES;
		}
		return std::nullopt;
	};
	auto attached = attach({});
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_TRUE(os.device(0).flags() & LO_FLAGS_READ_ONLY);
	EXPECT_EQ(count("open a.img"), 2u);
}

TEST_F(LoopAttach, WaitsForUdevToCreateTheNode)
{
	int missing = 3;
	os.before = [&](const std::string &call) -> std::optional<int> {
		if (call == "open /dev/loop0" && missing-- > 0)
			return ENOENT;
		return std::nullopt;
	};
	auto attached = attach({});
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(os.slept, 3 * RetryPolicy{}.open_delay);
}

TEST_F(LoopAttach, NoOverlapReusesTheSameMapping)
{
	AttachRequest request;
	request.offset = 4096;
	ASSERT_TRUE(attach(request).ok());
	request.no_overlap = true;
	auto again = attach(request);
	ASSERT_TRUE(again.ok()) << again.error().message();
	EXPECT_TRUE(again->reused);
	EXPECT_EQ(again->device, "/dev/loop0");
	EXPECT_EQ(os.device(1).state(), DeviceState::unbound);
}

// losetup -L takes the device over: it no longer detaches at its last close,
// and scans partitions when asked to.
TEST_F(LoopAttach, NoOverlapReuseClearsAutoclear)
{
	AttachRequest request;
	request.autoclear = true;
	auto first = attach(request);
	ASSERT_TRUE(first.ok());
	request.autoclear = false;
	request.no_overlap = true;
	request.partscan = true;
	auto again = attach(request);
	ASSERT_TRUE(again.ok()) << again.error().message();
	EXPECT_TRUE(again->reused);
	EXPECT_EQ(os.device(0).flags(), static_cast<std::uint32_t>(LO_FLAGS_PARTSCAN));
	first->handle.reset();
	EXPECT_EQ(os.device(0).state(), DeviceState::bound);
}

// The device found goes at its last close and is bound to another file
// before -L takes it over: it is left alone, and a new device is attached.
TEST_F(LoopAttach, NoOverlapDoesNotTakeOverADeviceReboundMeanwhile)
{
	os.add_file("other.img", 1 << 20);
	AttachRequest request;
	request.autoclear = true;
	auto first = attach(request);
	ASSERT_TRUE(first.ok());
	int opens = 0;
	os.before = [&](const std::string &call) -> std::optional<int> {
		if (call == "open /dev/loop0" && ++opens == 2) {
			first->handle.reset(); // its last close: autoclear detaches it
			os.bind_elsewhere(0, "other.img");
		}
		return std::nullopt;
	};
	request.autoclear = false;
	request.no_overlap = true;
	auto again = attach(request);
	ASSERT_TRUE(again.ok()) << again.error().message();
	EXPECT_EQ(opens, 2);
	EXPECT_FALSE(again->reused);
	EXPECT_EQ(again->device, "/dev/loop1");
	EXPECT_EQ(os.device(0).flags(), 0u); // bound elsewhere, untouched
}

// losetup -L: an identical mapping that is read-only is not reused for a
// writable attach ("overlapping read-only loop device exists"); for a
// read-only one it is.
TEST_F(LoopAttach, NoOverlapDoesNotReuseAReadOnlyMappingForWriting)
{
	AttachRequest request;
	request.read_only = true;
	ASSERT_TRUE(attach(request).ok());
	request.no_overlap = true;
	request.read_only = false;
	auto refused = attach(request);
	ASSERT_FALSE(refused.ok());
	EXPECT_EQ(refused.error().message(),
	          "a.img: overlapping read-only loop device exists (/dev/loop0)");
	EXPECT_EQ(os.device(1).state(), DeviceState::unbound);
	request.read_only = true;
	auto reused = attach(request);
	ASSERT_TRUE(reused.ok()) << reused.error().message();
	EXPECT_TRUE(reused->reused);
}

TEST_F(LoopAttach, NoOverlapRefusesAnOverlappingMapping)
{
	ASSERT_TRUE(attach({}).ok());
	AttachRequest request;
	request.no_overlap = true;
	request.offset = 512;
	auto refused = attach(request);
	ASSERT_FALSE(refused.ok());
	EXPECT_EQ(refused.error().message(), "a.img: overlapping loop device exists (/dev/loop0)");
	EXPECT_EQ(os.device(1).state(), DeviceState::unbound);
	// Another file is no conflict.
	os.add_file("b.img", 1 << 20);
	request.file = "b.img";
	EXPECT_TRUE(attach(request).ok());
}

TEST_F(LoopAttach, MissingPiecesAreNamed)
{
	AttachRequest request;
	request.file = "nonexist.img";
	EXPECT_EQ(attach(request).error().message(), "nonexist.img: No such file or directory");
	os.has_control = false;
	EXPECT_EQ(attach({}).error().message(), "/dev/loop-control: No such file or directory");
}

TEST_F(LoopAttach, ABadSectorSizeIsRefusedBeforeAnythingIsOpened)
{
	AttachRequest request;
	request.sector_size = 1000;
	auto attached = attach(request);
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().code(), EINVAL);
	EXPECT_TRUE(os.calls.empty());
}

TEST_F(LoopAttach, ReportsWhatTheRoundingLeavesOut)
{
	os.add_file("odd.img", 1000);
	AttachRequest request;
	request.file = "odd.img";
	auto odd = attach(request);
	ASSERT_TRUE(odd.ok());
	EXPECT_TRUE(odd->partial_sector);
	EXPECT_FALSE(odd->offset_past_end);
	request.offset = 4096;
	auto past = attach(request);
	ASSERT_TRUE(past.ok());
	EXPECT_TRUE(past->offset_past_end);
	EXPECT_EQ(os.device(1).size_bytes(), 0u);
}

TEST_F(LoopAttach, AnOwnedAttachIsOneControlCallWithoutAutoclear)
{
	os.add_file("other.img", 1 << 20);
	os.bind_elsewhere(0, "other.img");
	AttachRequest request;
	request.owned = true;
	request.autoclear = true; // implied by the handle: not sent
	auto attached = attach(request);
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(attached->device, "/dev/loop1");
	EXPECT_TRUE(attached->owner);
	EXPECT_EQ(attached->diskseq, os.diskseq);
	EXPECT_EQ(count("XLOOP_CTL_ATTACH -1"), 1u);
	EXPECT_EQ(count("LOOP_CTL_GET_FREE"), 0u);
	EXPECT_EQ(count("LOOP_CONFIGURE /dev/loop1"), 0u);
	EXPECT_EQ(os.device(1).state(), DeviceState::bound);
	EXPECT_EQ(os.device(1).flags() & LO_FLAGS_AUTOCLEAR, 0u);
}

TEST_F(LoopAttach, AnOwnedAttachOfANamedDeviceAsksForItsNumber)
{
	AttachRequest request;
	request.owned = true;
	request.device = "/dev/loop6";
	auto attached = attach(request);
	ASSERT_TRUE(attached.ok()) << attached.error().message();
	EXPECT_EQ(attached->device, "/dev/loop6");
	EXPECT_EQ(count("XLOOP_CTL_ATTACH 6"), 1u);
	EXPECT_EQ(os.device(6).state(), DeviceState::bound);

	request.device = "/dev/sda";
	auto wrong = attach(request);
	ASSERT_FALSE(wrong.ok());
	EXPECT_EQ(wrong.error().code(), EINVAL);
}

TEST_F(LoopAttach, ADriverWithoutHandlesSaysSo)
{
	os.has_handles = false;
	AttachRequest request;
	request.owned = true;
	auto attached = attach(request);
	ASSERT_FALSE(attached.ok());
	EXPECT_EQ(attached.error().code(), ENOSYS);
	EXPECT_TRUE(none_bound());
}

} // namespace
} // namespace xloop::loopdev
