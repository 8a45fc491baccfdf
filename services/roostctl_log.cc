#include "services/roostctl_log.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "graph/graph_store.h"
#include "log/env.h"
#include "log/log_inspect.h"
#include "log/segmented_log.h"
#include "roost/v1/events.pb.h"
#include "services/event_kinds.h"
#include "tweetstore/tweet_store.h"

namespace roost::services::ctl {
namespace {

namespace events = ::roost::v1::events;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "roostctl log: %s\n", status.ToString().c_str());
  return 1;
}

void PrintTornTail(const log::ScanResult& scan) {
  if (scan.torn_tail.empty()) return;
  std::printf("torn last write (roostd truncates it on start): %s\n", scan.torn_tail.c_str());
}

int Info(const std::string& dir) {
  absl::StatusOr<std::vector<log::SegmentSummary>> segments =
      log::ListSegments(log::Env::Default(), dir);
  if (!segments.ok()) return Fail(segments.status());
  std::printf("%-24s %14s %14s %7s %5s\n", "segment", "first_offset", "bytes", "version", "epoch");
  uint64_t bytes = 0;
  for (const log::SegmentSummary& s : *segments) {
    const size_t slash = s.path.find_last_of('/');
    std::printf("%-24s %14llu %14llu %7u %5llu\n", s.path.substr(slash + 1).c_str(),
                static_cast<unsigned long long>(s.base), static_cast<unsigned long long>(s.bytes),
                s.version, static_cast<unsigned long long>(s.epoch));
    bytes += s.bytes;
  }
  absl::StatusOr<log::ScanResult> scan = log::ScanLog(
      log::Env::Default(), dir, 1, 0, [](LogOffset, absl::string_view) { return true; });
  if (!scan.ok()) return Fail(scan.status());
  std::printf(
      "%zu segments, %llu bytes, %llu records, offsets %llu..%llu\n", segments->size(),
      static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(scan->records),
      static_cast<unsigned long long>(scan->first), static_cast<unsigned long long>(scan->last));
  PrintTornTail(*scan);
  return 0;
}

int Dump(const std::string& dir, const LogCommandOptions& options) {
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  uint64_t undecodable = 0;
  absl::StatusOr<log::ScanResult> scan =
      log::ScanLog(log::Env::Default(), dir, options.from, options.to,
                   [&](LogOffset offset, absl::string_view payload) {
                     events::Event event;
                     if (!event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
                       ++undecodable;
                       std::printf("{\"offset\":%llu,\"error\":\"not an event (%zu bytes)\"}\n",
                                   static_cast<unsigned long long>(offset), payload.size());
                       return true;
                     }
                     if (!options.type.empty() && services::EventKindName(event) != options.type)
                       return true;
                     std::string text;
                     if (!google::protobuf::util::MessageToJsonString(event, &text, json).ok()) {
                       text = "null";
                     }
                     std::printf("{\"offset\":%llu,\"event\":%s}\n",
                                 static_cast<unsigned long long>(offset), text.c_str());
                     return true;
                   });
  std::fflush(stdout);
  if (!scan.ok()) return Fail(scan.status());
  return undecodable == 0 ? 0 : 1;
}

int Verify(const std::string& dir) {
  uint64_t undecodable = 0;
  LogOffset first_undecodable = 0;
  absl::StatusOr<log::ScanResult> scan =
      log::ScanLog(log::Env::Default(), dir, 1, 0, [&](LogOffset offset, absl::string_view p) {
        events::Event event;
        if (!event.ParseFromArray(p.data(), static_cast<int>(p.size()))) {
          if (undecodable++ == 0) first_undecodable = offset;
        }
        return true;
      });
  if (!scan.ok()) return Fail(scan.status());
  if (undecodable > 0) {
    return Fail(absl::DataLossError(absl::StrCat(
        undecodable, " records are not events, the first at offset ", first_undecodable)));
  }
  std::printf("ok: %llu records, offsets %llu..%llu, every checksum and event intact\n",
              static_cast<unsigned long long>(scan->records),
              static_cast<unsigned long long>(scan->first),
              static_cast<unsigned long long>(scan->last));
  PrintTornTail(*scan);
  return 0;
}

// Deletes the segments wholly below `before`, refusing to go past what the stores have
// committed (a restart must find every record after that).
int Truncate(const std::string& data_dir, LogOffset before) {
  if (before == 0) {
    std::fprintf(stderr, "roostctl: log truncate needs --before=OFFSET\n");
    return 2;
  }
  log::Env* env = log::Env::Default();
  absl::StatusOr<std::unique_ptr<log::FileLock>> lock = env->LockFile(data_dir + "/LOCK");
  if (absl::IsFailedPrecondition(lock.status())) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat(data_dir,
                     " is in use by a roostd: stop it first (or use "
                     "--log-retention-bytes/--log-retention-hours while it runs)")));
  }
  if (!lock.ok()) return Fail(lock.status());
  LogOffset committed = 0;
  {
    absl::StatusOr<std::unique_ptr<tweetstore::TweetStore>> tweet_store =
        tweetstore::TweetStore::Open(data_dir + "/tweets", {});
    if (!tweet_store.ok()) return Fail(tweet_store.status());
    absl::StatusOr<std::unique_ptr<graph::GraphStore>> graph_store =
        graph::GraphStore::Open(data_dir + "/graph", {});
    if (!graph_store.ok()) return Fail(graph_store.status());
    absl::StatusOr<LogOffset> a = (*tweet_store)->CommittedOffset();
    absl::StatusOr<LogOffset> b = (*graph_store)->CommittedOffset();
    if (!a.ok()) return Fail(a.status());
    if (!b.ok()) return Fail(b.status());
    committed = std::min(*a, *b);
  }
  if (before > committed + 1) {
    return Fail(absl::FailedPreconditionError(absl::StrCat(
        "refusing to truncate before offset ", before, ": the stores have committed only up to ",
        committed, ", so a restart needs the records after it")));
  }
  absl::StatusOr<std::unique_ptr<log::Log>> log = log::OpenSegmentedLog(data_dir + "/log", {});
  if (!log.ok()) return Fail(log.status());
  const LogOffset was = (*log)->first_offset();
  absl::StatusOr<LogOffset> first = (*log)->TruncateBefore(before);
  if (!first.ok()) return Fail(first.status());
  std::printf("the log now starts at offset %llu (was %llu)%s\n",
              static_cast<unsigned long long>(*first), static_cast<unsigned long long>(was),
              *first < before ? "; whole segments only, so the one holding the offset stays" : "");
  return 0;
}

}  // namespace

int RunLogCommand(const std::vector<std::string>& args, const LogCommandOptions& options) {
  if (args.size() != 1) {
    std::fprintf(stderr,
                 "roostctl: usage: roostctl log info|dump|verify|truncate --data-dir=DIR\n");
    return 2;
  }
  if (options.data_dir.empty()) {
    std::fprintf(stderr, "roostctl: log commands need --data-dir=DIR (roostd's data directory)\n");
    return 2;
  }
  const std::string dir = options.data_dir + "/log";
  if (args[0] == "info") return Info(dir);
  if (args[0] == "dump") return Dump(dir, options);
  if (args[0] == "verify") return Verify(dir);
  if (args[0] == "truncate") return Truncate(options.data_dir, options.before);
  std::fprintf(stderr, "roostctl: unknown log command '%s' (info, dump, verify, truncate)\n",
               args[0].c_str());
  return 2;
}

}  // namespace roost::services::ctl
