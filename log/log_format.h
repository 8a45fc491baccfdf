// The log's on-disk format. A log is a directory of segment files; each segment is
// named by the offset of its first record (20 decimal digits, zero-padded, ".log", so
// that names sort as offsets do) and holds a header followed by record frames:
//
//   segment header: "ROOSTLOG" | u32 format version | u64 writer epoch
//   record frame:   u32 masked crc32c | u32 payload length | u64 offset | payload
//
// Integers are little-endian. The CRC covers the offset and the payload, so a frame
// that is intact but in the wrong place (a stale or misnamed file) is caught by its
// offset, and a frame whose bytes changed by its CRC. Frames carry their offset so
// that a reader never has to trust a file's name or its position within it.
#ifndef ROOST_LOG_LOG_FORMAT_H_
#define ROOST_LOG_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/types.h"

namespace roost::log {

inline constexpr absl::string_view kSegmentMagic = "ROOSTLOG";
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 8 + 4 + 8;
inline constexpr size_t kFrameHeaderSize = 4 + 4 + 8;
// Larger lengths are garbage: a torn or corrupt length must not make a reader
// allocate gigabytes or skip over good data.
inline constexpr size_t kMaxPayloadBytes = size_t{64} << 20;

// The writer writes and syncs at most this many bytes of frames at a time, or a single
// frame when one is larger. After a crash only the last, unsynced batch can be torn,
// so damage followed by an intact frame ending more than this far past it cannot be a
// torn write: it is corruption of acknowledged data.
inline constexpr size_t kMaxBatchBytes = size_t{4} << 20;

// "00000000000000000001.log" for base 1.
std::string SegmentFileName(LogOffset base);
std::string SegmentFilePath(absl::string_view dir, LogOffset base);
// True, with *base set, when `name` is a segment file name (base >= 1).
bool ParseSegmentFileName(absl::string_view name, LogOffset* base);

struct SegmentHeader {
  uint32_t version = kFormatVersion;
  // The epoch of the writer that created the segment: one more than the largest in
  // the directory when that writer opened the log. Every open starts a segment of its
  // own, so epochs never decrease from one segment to the next; a segment that breaks
  // this was written by a fenced, stale writer, and readers reject it.
  uint64_t epoch = 0;
};

std::string EncodeSegmentHeader(const SegmentHeader& header);

// DATA_LOSS naming `path` when a segment of `epoch` follows one of `previous_epoch`.
absl::Status CheckEpochOrder(absl::string_view path, uint64_t epoch, uint64_t previous_epoch);
// DATA_LOSS when `data` is short or lacks the magic; FAILED_PRECONDITION for a format
// version this code does not read.
absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view data);

// Appends the frame of (offset, payload) to *dst. Requires payload.size() <=
// kMaxPayloadBytes.
void AppendFrame(std::string* dst, LogOffset offset, absl::string_view payload);
inline size_t FrameSize(size_t payload_bytes) { return kFrameHeaderSize + payload_bytes; }

// What DecodeFrame found at the front of its input. Only kOk and kTruncated are
// normal: kTruncated means more bytes are needed (or, at the end of a file, that the
// last write was torn); the others mean the bytes are not the expected frame.
enum class FrameResult {
  kOk,
  kTruncated,    // the input ends inside the frame
  kBadLength,    // the length field exceeds kMaxPayloadBytes
  kBadCrc,       // the bytes do not match their checksum
  kWrongOffset,  // a well-formed frame, but not the offset expected here
};
absl::string_view FrameResultName(FrameResult result);

struct Frame {
  LogOffset offset = 0;
  absl::string_view payload;  // points into the decoded input
  // The frame's total size in bytes. Also set on kTruncated once the frame header is
  // complete (so a caller knows how much to read), 0 before that.
  size_t size = 0;
};

// Decodes the frame at the front of `input`, which should carry `expected_offset`.
FrameResult DecodeFrame(absl::string_view input, LogOffset expected_offset, Frame* frame);

// The position in `input` of the last intact frame (valid length and checksum) whose
// offset is at least `min_offset`, searching every byte position; -1 when there is
// none. For telling damage followed by good records (corruption) from a torn end.
int64_t FindLastIntactFrame(absl::string_view input, LogOffset min_offset, Frame* frame);

}  // namespace roost::log

#endif  // ROOST_LOG_LOG_FORMAT_H_
