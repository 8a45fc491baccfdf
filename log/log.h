// Log is Roost's source of truth: a durable, append-only sequence of records at dense
// positions (offsets) starting at 1. The pipeline reads it to build every store, the
// change feed streams it, and Roost appends every write to it; none of them knows how
// it is kept. The segmented log (segmented_log.h) keeps it in files on one machine.
//
// The contract every implementation keeps:
//  - An append is acknowledged (its callback runs with its offset) only once it is
//    durable; offsets are assigned in acknowledgement order, without gaps. After an
//    append fails, no later one is acknowledged before the failure has been repaired.
//  - Readers (log_reader.h) see only durable records, in offset order, and can wait
//    for the next one.
//  - Retention deletes old records, but never one at or after the first offset some
//    store has not yet committed (the caller passes it), so a restart can always resume.
//
// Thread-safe. The Log must outlive its readers.
#ifndef ROOST_LOG_LOG_H_
#define ROOST_LOG_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/types.h"

namespace roost::log {

// Which old records Log::ApplyRetention may delete; 0 means no limit.
struct RetentionPolicy {
  uint64_t max_bytes = 0;                         // of all segments together
  absl::Duration max_age = absl::ZeroDuration();  // since a segment's last write
};

class LogReader;

class Log {
 public:
  using AppendCallback = absl::AnyInvocable<void(absl::StatusOr<LogOffset>)>;

  // Completes every queued append and releases what the log holds (see Close).
  virtual ~Log() = default;

  // Queues `record`. `done` runs exactly once, on the log's own thread, with the
  // record's offset when it is durable, or with an error: UNAVAILABLE when the log
  // cannot store it now (RESOURCE_EXHAUSTED when it is out of space). `done` must be
  // cheap and must not call Append or Close (they may wait for the thread it runs
  // on). An append refused up front runs `done` at once on the calling thread:
  // UNAVAILABLE after Close, INVALID_ARGUMENT for a record over kMaxPayloadBytes
  // (log_format.h).
  virtual void AppendAsync(std::string record, AppendCallback done) = 0;
  // Blocking form of AppendAsync.
  virtual absl::StatusOr<LogOffset> Append(std::string record) = 0;

  // The last durable offset, 0 when the log is empty. A log that other processes
  // append to as well (a replicated one) may know its end only as of its last look;
  // WaitForDurable looks again.
  virtual LogOffset durable_offset() const = 0;
  // The oldest offset still retained (1 for a fresh log).
  virtual LogOffset first_offset() const = 0;
  // Waits until durable_offset() >= offset or `deadline`; returns durable_offset(). A
  // deadline already past still looks at the log's end once.
  virtual LogOffset WaitForDurable(LogOffset offset, absl::Time deadline) const = 0;

  // A reader positioned at `start` (clamped to first_offset()). OUT_OF_RANGE when
  // `start` is beyond durable_offset() + 1.
  virtual absl::StatusOr<std::unique_ptr<LogReader>> NewReader(LogOffset start) = 0;

  // Deletes records before `offset`, oldest first, in whatever units the log keeps
  // (the segmented log: whole sealed segments, never the tail). Returns the new
  // first_offset(). A reader already past first_offset() is not disturbed; new
  // readers below it start there.
  virtual absl::StatusOr<LogOffset> TruncateBefore(LogOffset offset) = 0;

  // Deletes the oldest records while the log exceeds policy.max_bytes or they are
  // older than policy.max_age, but never a record at or after `protect_from` (the
  // first offset some store has not yet committed). Returns the new first_offset().
  virtual absl::StatusOr<LogOffset> ApplyRetention(const RetentionPolicy& policy,
                                                   LogOffset protect_from) = 0;

  // Stops accepting appends (later ones fail with UNAVAILABLE) and completes those
  // queued. Readers that reach the end then get UNAVAILABLE. Idempotent; the
  // destructor calls it.
  virtual void Close() = 0;
};

}  // namespace roost::log

#endif  // ROOST_LOG_LOG_H_
