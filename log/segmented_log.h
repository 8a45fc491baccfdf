// The segmented log: the Log (log.h) kept in a directory of segment files,
// each named by the offset of its first record, every record framed with its length,
// CRC32C and offset (log_format.h). Offsets are dense and start at 1.
//
// Writes: one writer per directory (a lock file fences a second process). Each open
// takes a new writer epoch (one above the directory's largest) and writes only into
// segments of its own, so a reader can reject a segment a fenced, stale writer left
// (log_format.h). Appends from many threads are batched by a single writer thread and
// made durable by one fdatasync per batch (group commit). An append's callback runs
// once its record is durable under the sync policy, or with the error that prevented
// it: UNAVAILABLE for I/O failures, RESOURCE_EXHAUSTED when the disk is full. After a
// failed sync no later append is acknowledged until a sync succeeds. Retention and
// TruncateBefore delete whole sealed segments, never the tail.
//
// Reads: readers (log_reader.h) see only durable records and can wait for the next.
//
// Recovery: OpenSegmentedLog scans the tail segment and truncates a torn or partial last write,
// logging the offset and byte count it dropped. Damage followed by intact records
// further on than a write batch reaches (kMaxBatchBytes) is not a torn write but
// corruption of acknowledged records: Open then fails with DATA_LOSS naming the file
// and offset, unless SegmentedLogOptions::recover says to truncate there.
#ifndef ROOST_LOG_SEGMENTED_LOG_H_
#define ROOST_LOG_SEGMENTED_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "log/env.h"
#include "log/log.h"

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

struct SegmentedLogOptions {
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

// Opens (creating if needed) the segmented log in `dir`. Fails with
// FAILED_PRECONDITION when another process holds the directory's lock.
absl::StatusOr<std::unique_ptr<Log>> OpenSegmentedLog(const std::string& dir,
                                                      const SegmentedLogOptions& options);

}  // namespace roost::log

#endif  // ROOST_LOG_SEGMENTED_LOG_H_
