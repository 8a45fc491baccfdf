// SegmentList is the part of a Log that its writer and its readers share: which
// segment files exist, how many bytes of each hold durable records, and the last
// durable offset. The writer publishes; readers look up segments and wait for more.
// A reader bounds every read by what was published, so it never sees a frame that is
// still being written, or one a failed write left behind to be truncated.
//
// Thread-safe.
#ifndef ROOST_LOG_SEGMENT_LIST_H_
#define ROOST_LOG_SEGMENT_LIST_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/types.h"

namespace roost::log {

struct SegmentInfo {
  LogOffset base = 0;          // offset of the segment's first record; names the file
  uint64_t durable_bytes = 0;  // file bytes (header included) holding durable records
};

// A segment as a reader sees it at one moment.
struct SegmentBounds {
  uint64_t durable_bytes = 0;
  // A later segment exists, so this one will not grow: a reader at its end moves on.
  bool sealed = false;
};

class SegmentList {
 public:
  // `segments` is non-empty and sorted by base; `durable_offset` is the last record
  // they hold (0 when none).
  SegmentList(std::string dir, std::vector<SegmentInfo> segments, LogOffset durable_offset);

  SegmentList(const SegmentList&) = delete;
  SegmentList& operator=(const SegmentList&) = delete;

  const std::string& dir() const { return dir_; }

  LogOffset durable_offset() const;
  LogOffset first_offset() const;

  // The base of the segment that holds `offset` (the last one whose base is <=
  // offset); nullopt when `offset` precedes every segment.
  std::optional<LogOffset> FindSegment(LogOffset offset) const;
  // nullopt when no segment has this base.
  std::optional<SegmentBounds> Bounds(LogOffset base) const;

  // Waits until durable_offset() >= offset, `deadline` passes, or Close(); returns
  // durable_offset().
  LogOffset WaitForDurable(LogOffset offset, absl::Time deadline) const;
  bool closed() const;

  // Every segment, oldest first (the last is the tail).
  std::vector<SegmentInfo> Segments() const;
  // Forgets the segments all of whose records precede `offset`, never the last one,
  // and returns their bases (the caller deletes the files). Readers already inside
  // one keep reading it through their open file.
  std::vector<LogOffset> RemoveBefore(LogOffset offset);

  // Writer side. Records up to `durable_offset` are durable, and the last segment
  // holds durable records up to `tail_bytes`; wakes waiting readers.
  void Publish(LogOffset durable_offset, uint64_t tail_bytes);
  // A new last segment; every record of the previous one must have been published.
  void AddSegment(const SegmentInfo& segment);
  // No more records will come; wakes waiting readers for good.
  void Close();

 private:
  const std::string dir_;
  mutable absl::Mutex mu_;
  mutable absl::CondVar durable_cv_;  // signalled on Publish and Close
  std::vector<SegmentInfo> segments_ ABSL_GUARDED_BY(mu_);
  LogOffset durable_offset_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace roost::log

#endif  // ROOST_LOG_SEGMENT_LIST_H_
