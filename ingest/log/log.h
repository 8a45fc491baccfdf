// Log is Roost's durable, append-only source of truth: a directory of segment files,
// each named by the offset of its first record, every record framed with its length,
// CRC32C and offset (log_format.h). Offsets are dense and start at 1.
//
// Writes: one writer per directory (a lock file fences a second process). Each open
// takes a new writer epoch (one above the directory's largest) and writes only into
// segments of its own, so a reader can reject a segment a fenced, stale writer left
// (log_format.h). Appends from
// many threads are batched by a single writer thread and made durable by one
// fdatasync per batch (group commit). An append's callback runs once its record is
// durable under the sync policy, or with the error that prevented it; after a failed
// sync no later append is acknowledged until a sync succeeds.
//
// Reads: readers (log_reader.h) see only durable records and can wait for the next.
//
// Recovery: Open scans the tail segment and truncates a torn or partial last write,
// logging the offset and byte count it dropped. Damage followed by intact records
// further on than a write batch reaches (kMaxBatchBytes) is not a torn write but
// corruption of acknowledged records: Open then fails with DATA_LOSS naming the file
// and offset, unless LogOptions::recover says to truncate there.
//
// Thread-safe. The Log must outlive its readers.
#ifndef ROOST_INGEST_LOG_LOG_H_
#define ROOST_INGEST_LOG_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/types.h"
#include "ingest/log/env.h"

namespace roost::log {

enum class SyncPolicy {
  kAlways,    // acknowledge after fdatasync (default)
  kInterval,  // acknowledge after write; fdatasync every sync_interval (loss window)
  kNone,      // never sync (tests and benchmarks only)
};

// Parses "always" | "interval" | "none".
absl::StatusOr<SyncPolicy> ParseSyncPolicy(absl::string_view text);

// What Open does about corruption in the tail segment (see above).
enum class RecoverMode {
  kFail,      // refuse to open (default): nothing acknowledged is dropped silently
  kTruncate,  // cut the log before the corrupt record, reporting what was dropped
};

// Parses "fail" | "truncate".
absl::StatusOr<RecoverMode> ParseRecoverMode(absl::string_view text);

struct LogOptions {
  SyncPolicy sync = SyncPolicy::kAlways;
  absl::Duration sync_interval = absl::Milliseconds(10);
  uint64_t segment_bytes = uint64_t{128} << 20;
  // Also roll a segment holding records once it is this old (at the next append), so
  // that age-based retention can delete whole segments of a slow log; 0: by size only.
  absl::Duration segment_max_age = absl::ZeroDuration();
  RecoverMode recover = RecoverMode::kFail;
  // Not owned; nullptr means Env::Default().
  Env* env = nullptr;
};

// Which old records Log::ApplyRetention may delete; 0 means no limit.
struct RetentionPolicy {
  uint64_t max_bytes = 0;                            // of all segments together
  absl::Duration max_age = absl::ZeroDuration();     // since a segment's last write
};

class LogReader;

class Log {
 public:
  using AppendCallback = absl::AnyInvocable<void(absl::StatusOr<LogOffset>)>;

  // Opens (creating if needed) the log in `dir`. Fails with FAILED_PRECONDITION when
  // another process holds the directory's lock.
  static absl::StatusOr<std::unique_ptr<Log>> Open(const std::string& dir,
                                                   const LogOptions& options);

  // Completes every queued append, syncs, and releases the lock.
  virtual ~Log() = default;

  // Queues `record`. `done` runs exactly once, on the log's writer thread, with the
  // record's offset when it is durable, or with an error: UNAVAILABLE for I/O failures
  // (RESOURCE_EXHAUSTED when the disk is full). `done` must be cheap and must not call
  // Append or Close (they wait for the writer thread it runs on). An append refused
  // up front runs `done` at once on the calling thread: UNAVAILABLE after Close,
  // INVALID_ARGUMENT for a record over kMaxPayloadBytes (log_format.h).
  virtual void AppendAsync(std::string record, AppendCallback done) = 0;
  // Blocking form of AppendAsync.
  virtual absl::StatusOr<LogOffset> Append(std::string record) = 0;

  // The last durable offset, 0 when the log is empty.
  virtual LogOffset durable_offset() const = 0;
  // The oldest offset still retained (1 for a fresh log).
  virtual LogOffset first_offset() const = 0;
  // Waits until durable_offset() >= offset or `deadline`; returns durable_offset().
  virtual LogOffset WaitForDurable(LogOffset offset, absl::Time deadline) const = 0;

  // A reader positioned at `start` (clamped to first_offset()). OUT_OF_RANGE when
  // `start` is beyond durable_offset() + 1.
  virtual absl::StatusOr<std::unique_ptr<LogReader>> NewReader(LogOffset start) = 0;

  // Deletes the sealed segments all of whose records precede `offset`, oldest first;
  // the tail segment is never deleted. Returns the new first_offset(). Readers inside
  // a deleted segment finish it; new readers below first_offset() start there.
  virtual absl::StatusOr<LogOffset> TruncateBefore(LogOffset offset) = 0;

  // Deletes the oldest sealed segments while the log exceeds policy.max_bytes or they
  // are older than policy.max_age, but never one holding a record at or after
  // `protect_from` (the first offset some store has not yet committed). Returns the
  // new first_offset().
  virtual absl::StatusOr<LogOffset> ApplyRetention(const RetentionPolicy& policy,
                                                   LogOffset protect_from) = 0;

  // Stops accepting appends (later ones fail with UNAVAILABLE), completes those
  // queued, syncs. Idempotent; the destructor calls it.
  virtual void Close() = 0;
};

}  // namespace roost::log

#endif  // ROOST_INGEST_LOG_LOG_H_
