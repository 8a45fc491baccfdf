#include "log/segment_cursor.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace roost::log {

absl::StatusOr<std::unique_ptr<SegmentCursor>> SegmentCursor::Open(Env* env, absl::string_view dir,
                                                                   LogOffset base, uint64_t limit,
                                                                   size_t buffer_bytes) {
  std::string path = SegmentFilePath(dir, base);
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  std::unique_ptr<SegmentCursor> cursor(
      new SegmentCursor(std::move(path), base, limit, buffer_bytes, std::move(file)));
  if (limit < kSegmentHeaderSize) {
    return absl::DataLossError(
        absl::StrCat(cursor->path_, ": segment header is truncated (", limit, " bytes)"));
  }
  RETURN_IF_ERROR(cursor->Fill(kSegmentHeaderSize));
  absl::StatusOr<SegmentHeader> header =
      DecodeSegmentHeader(absl::string_view(cursor->buffer_.get(), cursor->end_));
  if (!header.ok()) {
    return absl::Status(header.status().code(),
                        absl::StrCat(cursor->path_, ": ", header.status().message()));
  }
  cursor->start_ = kSegmentHeaderSize;
  cursor->epoch_ = header->epoch;
  return cursor;
}

SegmentCursor::SegmentCursor(std::string path, LogOffset base, uint64_t limit, size_t buffer_bytes,
                             std::unique_ptr<RandomAccessFile> file)
    : path_(std::move(path)),
      base_(base),
      file_(std::move(file)),
      limit_(limit),
      next_offset_(base),
      buffer_(new char[std::max(buffer_bytes, kSegmentHeaderSize)]),
      capacity_(std::max(buffer_bytes, kSegmentHeaderSize)) {}

absl::StatusOr<bool> SegmentCursor::Next(Frame* frame) {
  for (;;) {
    const FrameResult result =
        DecodeFrame(absl::string_view(buffer_.get() + start_, end_ - start_), next_offset_, frame);
    if (result == FrameResult::kOk) {
      start_ += frame->size;
      ++next_offset_;
      return true;
    }
    if (result != FrameResult::kTruncated) return Corruption(result);
    if (file_end_ >= limit_) return false;
    RETURN_IF_ERROR(Fill(std::max(frame->size, kFrameHeaderSize)));
  }
}

void SegmentCursor::set_limit(uint64_t limit) { limit_ = std::max(limit_, limit); }

absl::Status SegmentCursor::Fill(size_t needed) {
  const size_t unread = end_ - start_;
  if (needed > capacity_) {
    // A frame larger than the buffer (bounded by kMaxPayloadBytes): grow to fit it.
    std::unique_ptr<char[]> bigger(new char[needed]);
    std::memcpy(bigger.get(), buffer_.get() + start_, unread);
    buffer_ = std::move(bigger);
    capacity_ = needed;
  } else if (start_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + start_, unread);
  }
  start_ = 0;
  end_ = unread;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(capacity_ - end_, limit_ - file_end_));
  absl::string_view got;
  RETURN_IF_ERROR(file_->Read(file_end_, want, &got, buffer_.get() + end_));
  if (got.data() != buffer_.get() + end_)
    std::memmove(buffer_.get() + end_, got.data(), got.size());
  if (got.empty() && want > 0) {
    // The limit promised bytes the file does not have: it was cut short behind the
    // log's back.
    return absl::DataLossError(absl::StrCat(path_, ": file ends at byte ", file_end_, " but ",
                                            limit_, " bytes were written"));
  }
  end_ += got.size();
  file_end_ += got.size();
  return absl::OkStatus();
}

absl::Status SegmentCursor::Corruption(FrameResult result) const {
  return absl::DataLossError(absl::StrCat(path_, ": ", FrameResultName(result), " at byte ",
                                          position(), " where offset ", next_offset_,
                                          " was expected"));
}

}  // namespace roost::log
