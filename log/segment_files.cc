#include "log/segment_files.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "log/log_format.h"
#include "log/segment_cursor.h"

namespace roost::log {
namespace {

void ReportTruncation(const std::string& path, LogOffset offset, uint64_t position, uint64_t bytes,
                      absl::string_view why) {
  // Debian's Abseil has no absl/log; one greppable line on stderr serves operators.
  absl::FPrintF(stderr, "roost log: truncated %d bytes at offset %d (byte %d) in %s: %s\n", bytes,
                offset, position, path, why);
}

// A segment whose creation did not finish before a crash: shorter than a header, or a
// header the file system extended with zeros but never wrote. It holds no record.
absl::StatusOr<bool> IsUnfinishedSegment(Env* env, const std::string& path, uint64_t size) {
  if (size < kSegmentHeaderSize) return true;
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  char scratch[kSegmentHeaderSize];
  absl::string_view header;
  RETURN_IF_ERROR(file->Read(0, sizeof(scratch), &header, scratch));
  return std::all_of(header.begin(), header.end(), [](char c) { return c == 0; });
}

// Appends the tail segment `base` to log->segments, truncated to its last whole
// record, and gives the new writer (log->epoch) a tail of its own: a new segment after
// it when it holds records, else the same file re-created.
absl::Status RecoverTail(Env* env, const std::string& dir, LogOffset base, bool sync,
                         RecoverMode recover, RecoveredLog* log) {
  const std::string path = SegmentFilePath(dir, base);
  ASSIGN_OR_RETURN(const uint64_t size, env->FileSize(path));
  ASSIGN_OR_RETURN(const bool unfinished, IsUnfinishedSegment(env, path, size));
  if (unfinished) {
    if (size > 0) ReportTruncation(path, base, 0, size, "unfinished segment header");
    ASSIGN_OR_RETURN(log->tail, CreateSegment(env, dir, base, sync, log->epoch));
    log->segments.push_back(SegmentInfo{base, kSegmentHeaderSize});
    log->durable_offset = base - 1;
    return absl::OkStatus();
  }

  ASSIGN_OR_RETURN(std::unique_ptr<SegmentCursor> cursor,
                   SegmentCursor::Open(env, dir, base, size));
  std::string damage;  // why the records end before the file does
  Frame frame;
  for (;;) {
    absl::StatusOr<bool> got = cursor->Next(&frame);
    if (got.ok() && *got) continue;
    if (got.ok()) {
      if (!cursor->at_limit()) damage = "torn record";
      break;
    }
    if (got.status().code() != absl::StatusCode::kDataLoss) return got.status();
    damage = std::string(got.status().message());
    break;
  }

  const uint64_t end = cursor->position();
  if (end < size) {
    ASSIGN_OR_RETURN(const std::string corruption,
                     DescribeCorruption(env, path, end, size, cursor->next_offset(), damage));
    if (!corruption.empty()) {
      if (recover != RecoverMode::kTruncate) {
        return absl::DataLossError(
            absl::StrCat(corruption, ". Nothing was changed. To cut the log before offset ",
                         cursor->next_offset(),
                         ", back the directory up and open with "
                         "--log-recover=truncate"));
      }
      damage = absl::StrCat("--log-recover=truncate: ", corruption);
    }
  }
  bool unused = false;  // the rest is reserved space, not damage
  if (end < size) {
    ASSIGN_OR_RETURN(unused, IsZeroFilled(env, path, end, size));
  }
  log->durable_offset = cursor->next_offset() - 1;
  if (end == kSegmentHeaderSize) {  // no record: the new writer takes the file over
    if (end < size && !unused) ReportTruncation(path, base, end, size - end, damage);
    ASSIGN_OR_RETURN(log->tail, CreateSegment(env, dir, base, sync, log->epoch));
    log->segments.push_back(SegmentInfo{base, kSegmentHeaderSize});
    return absl::OkStatus();
  }
  {
    ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> old_tail, env->NewAppendableFile(path));
    if (end < size) {
      if (!unused) ReportTruncation(path, cursor->next_offset(), end, size - end, damage);
      RETURN_IF_ERROR(old_tail->Truncate(end));
    }
    // Sealed: whole on disk before the next segment exists (recovery scans only the
    // tail), even if the writer that left it did not sync.
    if (sync) RETURN_IF_ERROR(old_tail->Sync());
    RETURN_IF_ERROR(old_tail->Close());
  }
  log->segments.push_back(SegmentInfo{base, end});
  const LogOffset next = log->durable_offset + 1;
  ASSIGN_OR_RETURN(log->tail, CreateSegment(env, dir, next, sync, log->epoch));
  log->segments.push_back(SegmentInfo{next, kSegmentHeaderSize});
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SegmentHeader> ReadSegmentHeader(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  char scratch[kSegmentHeaderSize];
  absl::string_view bytes;
  RETURN_IF_ERROR(file->Read(0, sizeof(scratch), &bytes, scratch));
  absl::StatusOr<SegmentHeader> header = DecodeSegmentHeader(bytes);
  if (!header.ok()) {
    return absl::Status(header.status().code(),
                        absl::StrCat(path, ": ", header.status().message()));
  }
  return header;
}

absl::StatusOr<std::vector<LogOffset>> ListSegmentBases(Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(const std::vector<std::string> names, env->ListDir(dir));
  std::vector<LogOffset> bases;
  for (const std::string& name : names) {
    LogOffset base;
    if (ParseSegmentFileName(name, &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

absl::StatusOr<std::string> DescribeCorruption(Env* env, const std::string& path, uint64_t end,
                                               uint64_t size, LogOffset next_offset,
                                               absl::string_view damage) {
  // A torn last batch ends the file; intact records further on mean the damage hit
  // records that were synced and acknowledged.
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  std::string rest(size - end, '\0');
  absl::string_view bytes;
  RETURN_IF_ERROR(file->Read(end, rest.size(), &bytes, rest.data()));
  Frame intact;
  const int64_t at = FindLastIntactFrame(bytes, next_offset, &intact);
  if (at < 0 || static_cast<uint64_t>(at) + intact.size <= kMaxBatchBytes) return std::string();
  return absl::StrFormat(
      "%s: corrupt record at offset %d (byte %d: %s), followed by intact records up to "
      "offset %d (byte %d), so this is not a torn write",
      path, next_offset, end, damage, intact.offset, end + at);
}

absl::StatusOr<bool> IsZeroFilled(Env* env, const std::string& path, uint64_t from, uint64_t to) {
  if (to - from > kMaxReservedBytes) return false;
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  std::string scratch(64 << 10, '\0');
  for (uint64_t at = from; at < to;) {
    absl::string_view bytes;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(to - at, scratch.size()));
    RETURN_IF_ERROR(file->Read(at, n, &bytes, scratch.data()));
    if (bytes.empty()) return true;  // shorter than `to`: nothing more to look at
    if (bytes.find_first_not_of('\0') != absl::string_view::npos) return false;
    at += bytes.size();
  }
  return true;
}

absl::StatusOr<std::unique_ptr<WritableFile>> CreateSegment(Env* env, const std::string& dir,
                                                            LogOffset base, bool sync,
                                                            uint64_t epoch) {
  const std::string path = SegmentFilePath(dir, base);
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(path));
  SegmentHeader header;
  header.epoch = epoch;
  absl::Status status = file->Append(EncodeSegmentHeader(header));
  if (status.ok() && sync) status = file->Sync();
  if (status.ok() && sync) status = env->SyncDir(dir);
  if (!status.ok()) {
    file->Close().IgnoreError();
    // Best effort: an unfinished segment left behind is repaired by the next Open.
    env->DeleteFile(path).IgnoreError();
    return status;
  }
  return file;
}

absl::StatusOr<RecoveredLog> RecoverSegments(Env* env, const std::string& dir, bool sync,
                                             RecoverMode recover) {
  ASSIGN_OR_RETURN(const std::vector<LogOffset> bases, ListSegmentBases(env, dir));
  RecoveredLog log;
  // Every finished segment's epoch, in order: they must not decrease.
  uint64_t max_epoch = 0;
  for (size_t i = 0; i < bases.size(); ++i) {
    const std::string path = SegmentFilePath(dir, bases[i]);
    ASSIGN_OR_RETURN(const uint64_t size, env->FileSize(path));
    const bool tail = i + 1 == bases.size();
    if (tail) {
      ASSIGN_OR_RETURN(const bool unfinished, IsUnfinishedSegment(env, path, size));
      if (unfinished) break;
    }
    ASSIGN_OR_RETURN(const SegmentHeader header, ReadSegmentHeader(env, path));
    RETURN_IF_ERROR(CheckEpochOrder(path, header.epoch, max_epoch));
    max_epoch = header.epoch;
    if (!tail) log.segments.push_back(SegmentInfo{bases[i], size});
  }
  log.epoch = max_epoch + 1;
  if (bases.empty()) {
    ASSIGN_OR_RETURN(log.tail, CreateSegment(env, dir, 1, sync, log.epoch));
    log.segments.push_back(SegmentInfo{1, kSegmentHeaderSize});
    return log;
  }
  RETURN_IF_ERROR(RecoverTail(env, dir, bases.back(), sync, recover, &log));
  return log;
}

}  // namespace roost::log
