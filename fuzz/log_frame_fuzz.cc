// libFuzzer target: the log's frame and segment-header decoders, on arbitrary bytes (a
// damaged or hostile log file). Invariants: nothing crashes or reads out of bounds
// (ASan), a frame decoded kOk re-encodes to exactly the bytes it came from, and the
// last intact frame found is one DecodeFrame accepts at that position.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "log/log_format.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first 8 bytes choose the offset expected; the rest is the file's content.
  uint64_t expected = 0;
  if (size >= 8) {
    std::memcpy(&expected, data, 8);
    data += 8;
    size -= 8;
  }
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  (void)roost::log::DecodeSegmentHeader(input);

  roost::log::Frame frame;
  const roost::log::FrameResult result = roost::log::DecodeFrame(input, expected, &frame);
  (void)roost::log::FrameResultName(result);
  if (result == roost::log::FrameResult::kOk) {
    Check(frame.size <= input.size());
    Check(frame.offset == expected);
    std::string again;
    roost::log::AppendFrame(&again, frame.offset, frame.payload);
    Check(again == input.substr(0, frame.size));
  }

  // Decoding every frame in sequence, as a reader of a segment does.
  absl::string_view rest = input;
  uint64_t offset = expected;
  while (roost::log::DecodeFrame(rest, offset, &frame) == roost::log::FrameResult::kOk) {
    Check(frame.size >= roost::log::kFrameHeaderSize && frame.size <= rest.size());
    rest.remove_prefix(frame.size);
    ++offset;
  }

  roost::log::Frame last;
  const int64_t at = roost::log::FindLastIntactFrame(input, /*min_offset=*/0, &last);
  if (at >= 0) {
    Check(static_cast<size_t>(at) < input.size());
    roost::log::Frame again;
    Check(roost::log::DecodeFrame(input.substr(at), last.offset, &again) ==
          roost::log::FrameResult::kOk);
    Check(again.size == last.size);
  }
  return 0;
}
