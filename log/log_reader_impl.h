// LogReaderImpl is the LogReader that Log::NewReader returns: it walks the segment
// files through SegmentCursors, bounded by what the SegmentList says is durable, and
// waits on the SegmentList when it has caught up.
#ifndef ROOST_LOG_LOG_READER_IMPL_H_
#define ROOST_LOG_LOG_READER_IMPL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "log/env.h"
#include "log/log_reader.h"
#include "log/segment_cursor.h"
#include "log/segment_list.h"

namespace roost::log {

class LogReaderImpl final : public LogReader {
 public:
  // A reader positioned at `start`, which must lie in [first_offset(), durable_offset()
  // + 1] of `segments`. `env` and `segments` are not owned and must outlive the reader.
  static absl::StatusOr<std::unique_ptr<LogReader>> Create(Env* env, const SegmentList* segments,
                                                           LogOffset start);

  absl::Status ReadBatch(size_t max_records, absl::Time deadline,
                         std::vector<LogRecord>* out) override;
  LogOffset next_offset() const override { return next_offset_; }

 private:
  LogReaderImpl(Env* env, const SegmentList* segments, LogOffset start)
      : env_(env), segments_(segments), next_offset_(start) {}

  // Reads the durable frame at next_offset_, moving to the next segment at the end of
  // a sealed one; false when it is not durable yet.
  absl::StatusOr<bool> NextFrame(Frame* frame);
  // Opens the segment that holds next_offset_ and skips the frames before it.
  absl::Status OpenSegment();

  Env* const env_;
  const SegmentList* const segments_;
  LogOffset next_offset_;
  std::unique_ptr<SegmentCursor> cursor_;  // null between segments
  uint64_t epoch_ = 0;                     // of the last segment read: later ones may not have less
};

}  // namespace roost::log

#endif  // ROOST_LOG_LOG_READER_IMPL_H_
