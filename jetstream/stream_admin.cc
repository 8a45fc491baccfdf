#include "jetstream/stream_admin.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "jetstream/nats_status.h"

namespace roost::jetstream {
namespace {

absl::Status CheckName(const std::string& name) {
  const bool valid =
      !name.empty() && name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '-' || c == '_';
      });
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("a stream name is 1 to 255 letters, digits, '-' or '_'; got \"", name, "\""));
}

StreamState StateOf(const jsStreamInfo& info) {
  StreamState state;
  state.last = info.State.LastSeq;
  state.records = info.State.Msgs;
  state.bytes = info.State.Bytes;
  state.first = state.records == 0 ? state.last + 1 : std::max<uint64_t>(1, info.State.FirstSeq);
  if (state.records > 0) state.first_time = absl::FromUnixNanos(info.State.FirstTime);
  if (const jsClusterInfo* cluster = info.Cluster; cluster != nullptr) {
    if (cluster->Leader != nullptr) state.leader = cluster->Leader;
    for (int i = 0; i < cluster->ReplicasLen; ++i) {
      const jsPeerInfo& peer = *cluster->Replicas[i];
      state.replicas.push_back(StreamReplica{peer.Name != nullptr ? peer.Name : "", peer.Current,
                                             peer.Offline, peer.Lag});
    }
  }
  return state;
}

jsOptions OptionsWithWait(absl::Duration timeout) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = absl::ToInt64Milliseconds(timeout);
  return options;
}

// The store time of record `offset` (InfinitePast() when it is gone).
absl::StatusOr<absl::Time> StoredAt(jsCtx* js, const std::string& stream, LogOffset offset,
                                    absl::Duration timeout) {
  jsOptions options = OptionsWithWait(timeout);
  natsMsg* msg = nullptr;
  jsErrCode error{};
  const natsStatus s = js_GetMsg(&msg, js, stream.c_str(), offset, &options, &error);
  if (s == NATS_NOT_FOUND) return absl::InfinitePast();
  if (s != NATS_OK) {
    return FromNats(s, absl::StrCat("cannot read record ", offset, " of stream ", stream), error);
  }
  const absl::Time at = absl::FromUnixNanos(natsMsg_GetTime(msg));
  natsMsg_Destroy(msg);
  return at;
}

}  // namespace

absl::StatusOr<StreamState> GetStreamState(jsCtx* js, const std::string& stream,
                                           absl::Duration timeout) {
  jsOptions options = OptionsWithWait(timeout);
  jsStreamInfo* info = nullptr;
  jsErrCode error{};
  const natsStatus s = js_GetStreamInfo(&info, js, stream.c_str(), &options, &error);
  if (s != NATS_OK) {
    return FromNats(s, absl::StrCat("cannot read the state of stream ", stream), error);
  }
  const StreamState state = StateOf(*info);
  jsStreamInfo_Destroy(info);
  return state;
}

absl::StatusOr<StreamState> EnsureStream(jsCtx* js, const StreamSpec& spec,
                                         absl::Duration timeout) {
  if (absl::Status name = CheckName(spec.name); !name.ok()) return name;
  if (spec.replicas < 1 || spec.replicas > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("a stream has 1 to 5 replicas; got ", spec.replicas));
  }
  jsOptions options = OptionsWithWait(timeout);
  jsStreamInfo* info = nullptr;
  jsErrCode error{};
  natsStatus s = js_GetStreamInfo(&info, js, spec.name.c_str(), &options, &error);
  if (s == NATS_OK) {
    const jsStreamConfig& config = *info->Config;
    const bool holds = std::any_of(config.Subjects, config.Subjects + config.SubjectsLen,
                                   [&](const char* subject) { return spec.subject == subject; });
    const StreamState state = StateOf(*info);
    jsStreamInfo_Destroy(info);
    if (!holds) {
      return absl::FailedPreconditionError(
          absl::StrCat("stream ", spec.name, " exists but does not hold subject ", spec.subject));
    }
    return state;
  }
  if (s != NATS_NOT_FOUND && error != JSStreamNotFoundErr) {
    return FromNats(s, absl::StrCat("cannot look up stream ", spec.name), error);
  }
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {spec.subject.c_str()};
  config.Name = spec.name.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Retention = js_LimitsPolicy;
  config.Discard = js_DiscardOld;
  config.Replicas = spec.replicas;
  config.Duplicates = absl::ToInt64Nanoseconds(spec.duplicate_window);
  error = jsErrCode{};
  s = js_AddStream(&info, js, &config, &options, &error);
  if (s != NATS_OK) {
    return FromNats(s, absl::StrCat("cannot create stream ", spec.name), error);
  }
  const StreamState state = StateOf(*info);
  jsStreamInfo_Destroy(info);
  return state;
}

absl::Status PurgeBefore(jsCtx* js, const std::string& stream, LogOffset offset,
                         absl::Duration timeout) {
  if (offset <= 1) return absl::OkStatus();
  jsOptions options = OptionsWithWait(timeout);
  options.Stream.Purge.Sequence = offset;
  jsErrCode error{};
  const natsStatus s = js_PurgeStream(js, stream.c_str(), &options, &error);
  return FromNats(
      s, absl::StrCat("cannot delete the records of stream ", stream, " before ", offset), error);
}

absl::StatusOr<LogOffset> RetentionStart(jsCtx* js, const std::string& stream,
                                         const StreamState& state,
                                         const log::RetentionPolicy& policy,
                                         absl::Duration timeout) {
  LogOffset start = state.first;
  if (state.records == 0) return start;
  if (policy.max_bytes > 0 && state.bytes > policy.max_bytes) {
    const uint64_t average = std::max<uint64_t>(1, state.bytes / state.records);
    const uint64_t excess = (state.bytes - policy.max_bytes + average - 1) / average;
    start = std::min(state.last + 1, state.first + excess);
  }
  if (policy.max_age > absl::ZeroDuration() && state.first_time < absl::Now() - policy.max_age) {
    // The first record stored at or after the cutoff, in [start, last + 1].
    const absl::Time cutoff = absl::Now() - policy.max_age;
    LogOffset low = start, high = state.last + 1;
    while (low < high) {
      const LogOffset middle = low + (high - low) / 2;
      absl::StatusOr<absl::Time> at = StoredAt(js, stream, middle, timeout);
      if (!at.ok()) return at.status();
      if (*at < cutoff) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    start = low;
  }
  return start;
}

}  // namespace roost::jetstream
