// SegmentCursor reads the frames of one segment file in order, through a buffer (one
// pread per chunk, not per record), never past a byte limit that the caller may raise
// as more of the file becomes durable. Recovery reads a tail segment with the file's
// size as the limit; readers use the bytes the writer has published as durable.
//
// Not thread-safe. Holds its own file handle.
#ifndef ROOST_LOG_SEGMENT_CURSOR_H_
#define ROOST_LOG_SEGMENT_CURSOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/types.h"
#include "log/env.h"
#include "log/log_format.h"

namespace roost::log {

class SegmentCursor {
 public:
  static constexpr size_t kDefaultBufferBytes = size_t{1} << 20;

  // Opens segment `base` in `dir` and checks its header, which must lie below `limit`
  // (DATA_LOSS otherwise). The first frame is expected to carry offset `base`.
  static absl::StatusOr<std::unique_ptr<SegmentCursor>> Open(
      Env* env, absl::string_view dir, LogOffset base, uint64_t limit,
      size_t buffer_bytes = kDefaultBufferBytes);

  SegmentCursor(const SegmentCursor&) = delete;
  SegmentCursor& operator=(const SegmentCursor&) = delete;

  // Reads the next frame. true: *frame holds it, and its payload stays valid until the
  // next call. false: no whole frame lies before the limit; either the bytes end there
  // (at_limit()), or a frame starts at position() and is cut by the limit, which is a
  // torn write at the end of a file. DATA_LOSS, naming the file and the byte position,
  // when the bytes at position() are not the next frame; other errors are I/O errors.
  absl::StatusOr<bool> Next(Frame* frame);

  // Raises the limit; a smaller value is ignored.
  void set_limit(uint64_t limit);
  uint64_t limit() const { return limit_; }

  // The file position of the next frame, i.e. just past the last one read.
  uint64_t position() const { return file_end_ - (end_ - start_); }
  bool at_limit() const { return position() == limit_; }
  // The offset the next frame must carry.
  LogOffset next_offset() const { return next_offset_; }
  LogOffset base() const { return base_; }
  // The epoch of the writer that created the segment (its header).
  uint64_t epoch() const { return epoch_; }
  const std::string& path() const { return path_; }

 private:
  SegmentCursor(std::string path, LogOffset base, uint64_t limit, size_t buffer_bytes,
                std::unique_ptr<RandomAccessFile> file);

  // Reads more of the file (up to the limit) after the unread bytes, growing the
  // buffer when it cannot hold `needed` bytes.
  absl::Status Fill(size_t needed);
  absl::Status Corruption(FrameResult result) const;

  const std::string path_;
  const LogOffset base_;
  const std::unique_ptr<RandomAccessFile> file_;
  uint64_t limit_;
  LogOffset next_offset_;
  uint64_t epoch_ = 0;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t start_ = 0;  // unread bytes are buffer_[start_, end_)
  size_t end_ = 0;
  uint64_t file_end_ = 0;  // the file position of buffer_[end_]
};

}  // namespace roost::log

#endif  // ROOST_LOG_SEGMENT_CURSOR_H_
