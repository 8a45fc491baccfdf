#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "log/log_reader_impl.h"

namespace roost::log {

absl::StatusOr<std::unique_ptr<LogReader>> LogReaderImpl::Create(Env* env,
                                                                 const SegmentList* segments,
                                                                 LogOffset start) {
  std::unique_ptr<LogReaderImpl> reader(new LogReaderImpl(env, segments, start));
  // Opening now surfaces a missing or damaged segment to the caller of NewReader.
  RETURN_IF_ERROR(reader->OpenSegment());
  return reader;
}

absl::Status LogReaderImpl::ReadBatch(size_t max_records, absl::Time deadline,
                                      std::vector<LogRecord>* out) {
  if (max_records == 0) return absl::OkStatus();
  if (segments_->durable_offset() < next_offset_ &&
      segments_->WaitForDurable(next_offset_, deadline) < next_offset_) {
    if (segments_->closed()) {
      return absl::UnavailableError(
          absl::StrCat("roost log ", segments_->dir(), " is closed at offset ", next_offset_ - 1));
    }
    return absl::OkStatus();
  }
  Frame frame;
  for (size_t n = 0; n < max_records; ++n) {
    ASSIGN_OR_RETURN(const bool got, NextFrame(&frame));
    if (!got) break;
    out->push_back(LogRecord{frame.offset, std::string(frame.payload)});
    ++next_offset_;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> LogReaderImpl::NextFrame(Frame* frame) {
  for (;;) {
    if (cursor_ == nullptr) RETURN_IF_ERROR(OpenSegment());
    ASSIGN_OR_RETURN(const bool got, cursor_->Next(frame));
    if (got) return true;

    // The cursor is at the end of what was durable when it last looked; look again.
    const std::optional<SegmentBounds> bounds = segments_->Bounds(cursor_->base());
    if (!bounds.has_value()) {
      return absl::NotFoundError(
          absl::StrCat(cursor_->path(), " was removed while being read at offset ", next_offset_));
    }
    if (bounds->durable_bytes > cursor_->limit()) {
      cursor_->set_limit(bounds->durable_bytes);
      continue;
    }
    if (!cursor_->at_limit()) {
      // Durable bytes always end on a frame boundary, so a frame cut short inside
      // them has a damaged length.
      return absl::DataLossError(absl::StrCat(cursor_->path(), ": truncated frame at byte ",
                                              cursor_->position(), " where offset ", next_offset_,
                                              " was expected"));
    }
    if (!bounds->sealed) return false;
    cursor_.reset();  // on to the segment that starts at next_offset_
  }
}

absl::Status LogReaderImpl::OpenSegment() {
  const std::optional<LogOffset> base = segments_->FindSegment(next_offset_);
  if (!base.has_value()) {
    return absl::OutOfRangeError(
        absl::StrCat("offset ", next_offset_, " precedes roost log ", segments_->dir()));
  }
  const std::optional<SegmentBounds> bounds = segments_->Bounds(*base);
  if (!bounds.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("segment ", *base, " of roost log ", segments_->dir(), " was removed"));
  }
  ASSIGN_OR_RETURN(cursor_,
                   SegmentCursor::Open(env_, segments_->dir(), *base, bounds->durable_bytes));
  RETURN_IF_ERROR(CheckEpochOrder(cursor_->path(), cursor_->epoch(), epoch_));
  epoch_ = cursor_->epoch();
  // A reader starting inside a segment skips its earlier frames; there is no index
  // yet, but the scan runs at buffered-read speed and happens once per reader.
  Frame frame;
  while (cursor_->next_offset() < next_offset_) {
    ASSIGN_OR_RETURN(const bool got, cursor_->Next(&frame));
    if (!got) {
      return absl::DataLossError(absl::StrCat(cursor_->path(), " ends at offset ",
                                              cursor_->next_offset() - 1, " but offset ",
                                              next_offset_ - 1, " is durable"));
    }
  }
  return absl::OkStatus();
}

}  // namespace roost::log
