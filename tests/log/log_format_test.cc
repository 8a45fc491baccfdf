#include "log/log_format.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/log/log_test_util.h"

namespace roost::log::testing {
namespace {

TEST(SegmentFileNameTest, IsZeroPaddedFirstOffset) {
  EXPECT_EQ(SegmentFileName(1), "00000000000000000001.log");
  EXPECT_EQ(SegmentFileName(18446744073709551615u), "18446744073709551615.log");
  EXPECT_EQ(SegmentFilePath("/d", 42), "/d/00000000000000000042.log");
}

TEST(SegmentFileNameTest, ParsesOnlySegmentNames) {
  LogOffset base = 0;
  ASSERT_TRUE(ParseSegmentFileName("00000000000000001234.log", &base));
  EXPECT_EQ(base, 1234u);
  EXPECT_FALSE(ParseSegmentFileName("00000000000000000000.log", &base));  // offsets start at 1
  EXPECT_FALSE(ParseSegmentFileName("0000000000000001234.log", &base));   // 19 digits
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000123x.log", &base));
  EXPECT_FALSE(ParseSegmentFileName("00000000000000001234.tmp", &base));
  EXPECT_FALSE(ParseSegmentFileName("99999999999999999999.log", &base));  // overflows
  EXPECT_FALSE(ParseSegmentFileName("LOCK", &base));
}

TEST(SegmentHeaderTest, RoundTrips) {
  const std::string bytes = EncodeSegmentHeader(SegmentHeader{kFormatVersion, 7});
  ASSERT_EQ(bytes.size(), kSegmentHeaderSize);
  EXPECT_EQ(bytes.substr(0, 8), "ROOSTLOG");
  absl::StatusOr<SegmentHeader> header = DecodeSegmentHeader(bytes);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->version, kFormatVersion);
  EXPECT_EQ(header->epoch, 7u);
}

TEST(SegmentHeaderTest, RejectsShortForeignAndFutureHeaders) {
  const std::string good = EncodeSegmentHeader(SegmentHeader{});
  EXPECT_EQ(DecodeSegmentHeader(good.substr(0, 10)).status().code(), absl::StatusCode::kDataLoss);
  std::string foreign = good;
  foreign[0] = 'X';
  EXPECT_EQ(DecodeSegmentHeader(foreign).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeSegmentHeader(EncodeSegmentHeader(SegmentHeader{kFormatVersion + 1, 0}))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FrameTest, RoundTripsBackToBackFrames) {
  std::string bytes;
  AppendFrame(&bytes, 5, "hello");
  AppendFrame(&bytes, 6, "");
  AppendFrame(&bytes, 7, std::string(1000, 'x'));
  ASSERT_EQ(bytes.size(), FrameSize(5) + FrameSize(0) + FrameSize(1000));

  absl::string_view input = bytes;
  Frame frame;
  ASSERT_EQ(DecodeFrame(input, 5, &frame), FrameResult::kOk);
  EXPECT_EQ(frame.offset, 5u);
  EXPECT_EQ(frame.payload, "hello");
  input.remove_prefix(frame.size);
  ASSERT_EQ(DecodeFrame(input, 6, &frame), FrameResult::kOk);
  EXPECT_EQ(frame.payload, "");
  input.remove_prefix(frame.size);
  ASSERT_EQ(DecodeFrame(input, 7, &frame), FrameResult::kOk);
  EXPECT_EQ(frame.payload, std::string(1000, 'x'));
  input.remove_prefix(frame.size);
  EXPECT_TRUE(input.empty());
}

TEST(FrameTest, EveryProperPrefixIsTruncated) {
  std::string bytes;
  AppendFrame(&bytes, 1, "payload");
  for (size_t n = 0; n < bytes.size(); ++n) {
    Frame frame;
    EXPECT_EQ(DecodeFrame(absl::string_view(bytes).substr(0, n), 1, &frame),
              FrameResult::kTruncated)
        << "prefix of " << n << " bytes";
    // Once the header is complete the decoder says how many bytes the frame needs.
    EXPECT_EQ(frame.size, n >= kFrameHeaderSize ? bytes.size() : 0u);
  }
}

TEST(FrameTest, EveryFlippedBitIsDetected) {
  std::string good;
  AppendFrame(&good, 9, "some payload");
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    Frame frame;
    const FrameResult result = DecodeFrame(bad, 9, &frame);
    const size_t byte = bit / 8;
    if (byte >= 4 && byte < 8) {
      // A changed length reads too little (a CRC over the wrong bytes), too much
      // (truncated), or an implausible amount.
      EXPECT_NE(result, FrameResult::kOk) << "bit " << bit;
    } else {
      EXPECT_EQ(result, FrameResult::kBadCrc) << "bit " << bit;
    }
  }
}

TEST(FrameTest, DistinguishesWrongOffsetAndBadLength) {
  std::string bytes;
  AppendFrame(&bytes, 3, "abc");
  Frame frame;
  EXPECT_EQ(DecodeFrame(bytes, 4, &frame), FrameResult::kWrongOffset);
  EXPECT_EQ(frame.offset, 3u);

  std::string huge = bytes;
  const uint32_t too_long = kMaxPayloadBytes + 1;
  huge.replace(4, 4, reinterpret_cast<const char*>(&too_long), 4);
  EXPECT_EQ(DecodeFrame(huge, 3, &frame), FrameResult::kBadLength);

  const std::string zeros(64, '\0');  // a file extended but never written
  EXPECT_EQ(DecodeFrame(zeros, 1, &frame), FrameResult::kBadCrc);
}

}  // namespace
}  // namespace roost::log::testing
