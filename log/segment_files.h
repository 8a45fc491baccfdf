// Creating, listing and recovering the segment files of a log directory: the file
// system half of OpenSegmentedLog, and segment creation for the writer's roll.
#ifndef ROOST_LOG_SEGMENT_FILES_H_
#define ROOST_LOG_SEGMENT_FILES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/types.h"
#include "log/env.h"
#include "log/log_format.h"
#include "log/segment_list.h"
#include "log/segmented_log.h"

namespace roost::log {

// Creates (or empties) segment `base` in `dir` and writes its header. With `sync`, the
// header and the directory entry are made durable, so that after a crash a segment
// file either has a valid header or is recognisably unfinished (short or blank).
// On failure nothing is left behind but, at worst, such an unfinished file.
absl::StatusOr<std::unique_ptr<WritableFile>> CreateSegment(Env* env, const std::string& dir,
                                                            LogOffset base, bool sync,
                                                            uint64_t epoch);

// The log as Open found it.
struct RecoveredLog {
  std::vector<SegmentInfo> segments;   // sorted by base, never empty; the last is the tail
  LogOffset durable_offset = 0;        // the last record, 0 when there is none
  std::unique_ptr<WritableFile> tail;  // the tail segment, open for appending
  uint64_t epoch = 0;                  // the new writer's, which the tail carries
};

// Lists the segments of `dir` (creating the first, base 1, when there is none) and
// finds where the tail segment ends. A torn suffix of the tail (a partial or bad-CRC
// record, trailing garbage, an unfinished header) is truncated, and the truncation
// reported on stderr with its offset and size. Damage followed by an intact record
// ending more than kMaxBatchBytes past it is corruption, not a torn write: DATA_LOSS
// naming the file, offset and the intact records after it, unless `recover` is
// kTruncate, which cuts there and reports what was dropped. Only the tail is scanned:
// the writer syncs a segment before it creates the next, so earlier ones are whole
// (readers still check every CRC). `sync` (false under SyncPolicy::kNone) makes
// repairs durable.
//
// The new writer's epoch is one more than the largest in the directory, and it gets a
// tail segment of its own: a tail holding records is sealed and a new segment begins
// (an empty one is re-created). DATA_LOSS when segment epochs decrease.
// The header of the segment file at `path`. A header that is short, foreign or of an
// unknown version is DATA_LOSS or FAILED_PRECONDITION naming the file; I/O errors are
// the Env's.
absl::StatusOr<SegmentHeader> ReadSegmentHeader(Env* env, const std::string& path);

// The bases of the segment files in `dir`, sorted.
absl::StatusOr<std::vector<LogOffset>> ListSegmentBases(Env* env, const std::string& dir);

// Whether the damage found at byte `end` of the tail segment `path` (`size` bytes; the
// next record would carry `next_offset`) is corruption rather than a torn last write:
// a description naming the file, offsets and bytes when it is, "" when it is not.
absl::StatusOr<std::string> DescribeCorruption(Env* env, const std::string& path, uint64_t end,
                                               uint64_t size, LogOffset next_offset,
                                               absl::string_view damage);

// Whether bytes [from, to) of the file at `path` are all zeros and no more than the
// writer reserves (kMaxReservedBytes): space reserved past the last record and never
// used (env.h), which a crash leaves behind. It is not a torn write, and recovery
// trims it without a report; a longer run of zeros is reported like any damage.
absl::StatusOr<bool> IsZeroFilled(Env* env, const std::string& path, uint64_t from, uint64_t to);

absl::StatusOr<RecoveredLog> RecoverSegments(Env* env, const std::string& dir, bool sync,
                                             RecoverMode recover);

}  // namespace roost::log

#endif  // ROOST_LOG_SEGMENT_FILES_H_
