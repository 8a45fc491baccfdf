// Read-only inspection of a log directory, for operators' tools (`roostctl log`):
// what segments there are, every record in order, and whether every frame is intact.
// Nothing is locked, repaired or written, so it can run while roostd has the log open
// (it then sees a consistent prefix: what was on disk when each file was read).
#ifndef ROOST_LOG_LOG_INSPECT_H_
#define ROOST_LOG_LOG_INSPECT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/types.h"
#include "log/env.h"

namespace roost::log {

struct SegmentSummary {
  std::string path;
  LogOffset base = 0;
  uint64_t bytes = 0;
  uint32_t version = 0;
  uint64_t epoch = 0;
};

// The segment files of `dir` in offset order, with their headers. DATA_LOSS for a
// segment whose header is unreadable, except an unfinished last one (a crash while
// creating it), which is listed with version 0.
absl::StatusOr<std::vector<SegmentSummary>> ListSegments(Env* env, const std::string& dir);

// What a scan found.
struct ScanResult {
  LogOffset first = 0;   // the first record visited, 0 when none
  LogOffset last = 0;    // the last one
  uint64_t records = 0;  // visited
  // A torn last write at the end of the tail segment, which Open would truncate:
  // empty when the log ends cleanly, else where and what.
  std::string torn_tail;
};

// Calls fn(offset, payload) for every record with offset in [from, to] (to = 0: to
// the end), in order, stopping early when fn returns false. Every frame read is
// checked: DATA_LOSS names the segment file, offset and byte of the first bad one
// (the records before it were visited). A torn end of the tail is not an error.
absl::StatusOr<ScanResult> ScanLog(
    Env* env, const std::string& dir, LogOffset from, LogOffset to,
    const std::function<bool(LogOffset offset, absl::string_view payload)>& fn);

}  // namespace roost::log

#endif  // ROOST_LOG_LOG_INSPECT_H_
