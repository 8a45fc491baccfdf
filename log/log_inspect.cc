#include "log/log_inspect.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "log/log_format.h"
#include "log/segment_cursor.h"
#include "log/segment_files.h"

namespace roost::log {

absl::StatusOr<std::vector<SegmentSummary>> ListSegments(Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(const std::vector<LogOffset> bases, ListSegmentBases(env, dir));
  std::vector<SegmentSummary> segments;
  for (size_t i = 0; i < bases.size(); ++i) {
    SegmentSummary s;
    s.base = bases[i];
    s.path = SegmentFilePath(dir, s.base);
    ASSIGN_OR_RETURN(s.bytes, env->FileSize(s.path));
    absl::StatusOr<SegmentHeader> header = ReadSegmentHeader(env, s.path);
    const bool unreadable_header =
        absl::IsDataLoss(header.status()) || absl::IsFailedPrecondition(header.status());
    if (header.ok()) {
      s.version = header->version;
      s.epoch = header->epoch;
    } else if (i + 1 != bases.size() || !unreadable_header) {
      return header.status();  // only the tail may be unfinished
    }
    segments.push_back(std::move(s));
  }
  return segments;
}

absl::StatusOr<ScanResult> ScanLog(
    Env* env, const std::string& dir, LogOffset from, LogOffset to,
    const std::function<bool(LogOffset offset, absl::string_view payload)>& fn) {
  ASSIGN_OR_RETURN(const std::vector<SegmentSummary> segments, ListSegments(env, dir));
  ScanResult result;
  uint64_t epoch = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const SegmentSummary& segment = segments[i];
    const bool tail = i + 1 == segments.size();
    if (segment.version != 0) {
      RETURN_IF_ERROR(CheckEpochOrder(segment.path, segment.epoch, epoch));
      epoch = segment.epoch;
    }
    // Segments wholly below `from` are skipped without reading them.
    if (!tail && segments[i + 1].base <= from) continue;
    if (to != 0 && segment.base > to) break;
    if (tail && segment.version == 0) {
      result.torn_tail = absl::StrCat(segment.path, ": unfinished segment header");
      break;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<SegmentCursor> cursor,
                     SegmentCursor::Open(env, dir, segment.base, segment.bytes));
    Frame frame;
    for (;;) {
      absl::StatusOr<bool> got = cursor->Next(&frame);
      if (!got.ok()) {
        // Damage in the tail that Open would repair is not corruption; anything in a
        // sealed segment is.
        if (tail && got.status().code() == absl::StatusCode::kDataLoss) {
          ASSIGN_OR_RETURN(const std::string corruption,
                           DescribeCorruption(env, segment.path, cursor->position(), segment.bytes,
                                              cursor->next_offset(), got.status().message()));
          if (!corruption.empty()) return absl::DataLossError(corruption);
          ASSIGN_OR_RETURN(const bool unused,
                           IsZeroFilled(env, segment.path, cursor->position(), segment.bytes));
          if (!unused) {
            result.torn_tail =
                absl::StrCat(got.status().message(), " (offset ", cursor->next_offset(), ")");
          }
          break;
        }
        return got.status();
      }
      if (!*got) {
        if (!cursor->at_limit()) {
          if (!tail) {
            return absl::DataLossError(absl::StrCat(segment.path, ": truncated frame at byte ",
                                                    cursor->position(), " (offset ",
                                                    cursor->next_offset(), ")"));
          }
          ASSIGN_OR_RETURN(const bool unused,
                           IsZeroFilled(env, segment.path, cursor->position(), segment.bytes));
          if (!unused) {
            result.torn_tail =
                absl::StrCat(segment.path, ": torn record at byte ", cursor->position(),
                             " (offset ", cursor->next_offset(), ")");
          }
        }
        break;
      }
      if (frame.offset < from) continue;
      if (to != 0 && frame.offset > to) return result;
      if (result.records == 0) result.first = frame.offset;
      result.last = frame.offset;
      ++result.records;
      if (!fn(frame.offset, frame.payload)) return result;
    }
    if (!tail && cursor->next_offset() != segments[i + 1].base) {
      return absl::DataLossError(
          absl::StrCat(segment.path, " ends at offset ", cursor->next_offset() - 1,
                       " but the next segment starts at ", segments[i + 1].base));
    }
  }
  return result;
}

}  // namespace roost::log
