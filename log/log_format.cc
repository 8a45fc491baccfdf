#include "log/log_format.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/coding.h"
#include "common/crc32c.h"

namespace roost::log {
namespace {

constexpr absl::string_view kSegmentSuffix = ".log";
constexpr size_t kSegmentNameDigits = 20;

// Host-order stores; like common/coding.cc this assumes a little-endian machine,
// which lets a frame header be written with two memcpys instead of byte loops.
void StoreFixed32(char* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }
void StoreFixed64(char* p, uint64_t v) { std::memcpy(p, &v, sizeof(v)); }

uint32_t FrameCrc(const char* offset_bytes, absl::string_view payload) {
  const uint32_t crc = crc32c::Value(offset_bytes, 8);
  return crc32c::Mask(crc32c::Extend(crc, payload.data(), payload.size()));
}

}  // namespace

std::string SegmentFileName(LogOffset base) {
  return absl::StrFormat("%020u%s", base, kSegmentSuffix);
}

std::string SegmentFilePath(absl::string_view dir, LogOffset base) {
  return absl::StrCat(dir, "/", SegmentFileName(base));
}

bool ParseSegmentFileName(absl::string_view name, LogOffset* base) {
  if (name.size() != kSegmentNameDigits + kSegmentSuffix.size()) return false;
  if (name.substr(kSegmentNameDigits) != kSegmentSuffix) return false;
  const absl::string_view digits = name.substr(0, kSegmentNameDigits);
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value) || value == 0) return false;
  *base = value;
  return true;
}

std::string EncodeSegmentHeader(const SegmentHeader& header) {
  char buf[kSegmentHeaderSize];
  std::memcpy(buf, kSegmentMagic.data(), kSegmentMagic.size());
  StoreFixed32(buf + 8, header.version);
  StoreFixed64(buf + 12, header.epoch);
  return std::string(buf, sizeof(buf));
}

absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view data) {
  if (data.size() < kSegmentHeaderSize) {
    return absl::DataLossError(absl::StrCat("segment header is truncated (", data.size(), " of ",
                                            kSegmentHeaderSize, " bytes)"));
  }
  if (data.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return absl::DataLossError("not a roost log segment (bad magic)");
  }
  SegmentHeader header;
  header.version = DecodeFixed32(data.data() + 8);
  header.epoch = DecodeFixed64(data.data() + 12);
  if (header.version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("unsupported log format version ",
                                                      header.version, " (this build reads ",
                                                      kFormatVersion, ")"));
  }
  return header;
}

void AppendFrame(std::string* dst, LogOffset offset, absl::string_view payload) {
  char header[kFrameHeaderSize];
  StoreFixed32(header + 4, static_cast<uint32_t>(payload.size()));
  StoreFixed64(header + 8, offset);
  StoreFixed32(header, FrameCrc(header + 8, payload));
  dst->append(header, sizeof(header));
  dst->append(payload.data(), payload.size());
}

absl::Status CheckEpochOrder(absl::string_view path, uint64_t epoch, uint64_t previous_epoch) {
  if (epoch >= previous_epoch) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(path, ": written by writer epoch ", epoch, " after a segment of epoch ",
                   previous_epoch, ": a fenced, stale writer's records; refusing to read them"));
}

absl::string_view FrameResultName(FrameResult result) {
  switch (result) {
    case FrameResult::kOk:
      return "ok";
    case FrameResult::kTruncated:
      return "truncated frame";
    case FrameResult::kBadLength:
      return "implausible frame length";
    case FrameResult::kBadCrc:
      return "checksum mismatch";
    case FrameResult::kWrongOffset:
      return "unexpected offset";
  }
  return "unknown";
}

FrameResult DecodeFrame(absl::string_view input, LogOffset expected_offset, Frame* frame) {
  frame->size = 0;
  if (input.size() < kFrameHeaderSize) return FrameResult::kTruncated;
  const char* p = input.data();
  const uint32_t length = DecodeFixed32(p + 4);
  if (length > kMaxPayloadBytes) return FrameResult::kBadLength;
  frame->size = FrameSize(length);
  if (input.size() < frame->size) return FrameResult::kTruncated;
  const absl::string_view payload(p + kFrameHeaderSize, length);
  // The CRC is checked before the offset, so that garbage is reported as corruption
  // rather than as a frame that merely sits in the wrong place.
  if (DecodeFixed32(p) != FrameCrc(p + 8, payload)) return FrameResult::kBadCrc;
  frame->offset = DecodeFixed64(p + 8);
  if (frame->offset != expected_offset) return FrameResult::kWrongOffset;
  frame->payload = payload;
  return FrameResult::kOk;
}

int64_t FindLastIntactFrame(absl::string_view input, LogOffset min_offset, Frame* frame) {
  int64_t found = -1;
  // Every frame takes at least a header, which bounds the offsets that can occur here;
  // checking that first skips almost every position without computing a checksum.
  const LogOffset max_offset = min_offset + input.size() / kFrameHeaderSize;
  Frame candidate;
  for (size_t p = 0; p + kFrameHeaderSize <= input.size(); ++p) {
    const LogOffset offset = DecodeFixed64(input.data() + p + 8);
    if (offset < min_offset || offset > max_offset) continue;
    if (DecodeFrame(input.substr(p), offset, &candidate) != FrameResult::kOk) continue;
    found = static_cast<int64_t>(p);
    *frame = candidate;
  }
  return found;
}

}  // namespace roost::log
