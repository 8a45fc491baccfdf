#include "jetstream/jetstream_log.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
#include <random>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "jetstream/jetstream_reader.h"
#include "jetstream/message_bin.h"
#include "jetstream/nats_status.h"
#include "jetstream/stream_admin.h"
#include "log/log_format.h"

namespace roost::jetstream {
namespace {

constexpr char kMsgIdHeader[] = "Nats-Msg-Id";
constexpr size_t kMaxDedupIdBytes = 128;

bool ValidDedupId(const std::string& id) {
  if (id.empty() || id.size() > kMaxDedupIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == ':' || c == '_';
  });
}

// What the client's ack handler reaches: the callbacks of the publishes in flight, by
// their Nats-Msg-Id (several appends may share a dedup id; their acks come in order).
// Shared with the Connection, which keeps it until it closes, because the client may
// run the handler after the log is gone.
struct AckState {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, std::deque<log::Log::AppendCallback>> pending
      ABSL_GUARDED_BY(mu);
  LogOffset durable ABSL_GUARDED_BY(mu) = 0;
  bool detached ABSL_GUARDED_BY(mu) = false;  // the log is gone: drop late acks
  MessageBin spent ABSL_GUARDED_BY(mu);       // acks handled; emptied on detach

  // Removes and returns the oldest (or the newest) callback waiting under `id`; empty
  // if there is none.
  log::Log::AppendCallback Take(const std::string& id, bool newest = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto it = pending.find(id);
    if (it == pending.end()) return nullptr;
    std::deque<log::Log::AppendCallback>& waiting = it->second;
    log::Log::AppendCallback done = std::move(newest ? waiting.back() : waiting.front());
    newest ? waiting.pop_back() : waiting.pop_front();
    if (waiting.empty()) pending.erase(it);
    return done;
  }
};

void OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* state = static_cast<AckState*>(closure);
  const char* id = nullptr;
  natsMsgHeader_Get(msg, kMsgIdHeader, &id);
  log::Log::AppendCallback done;
  absl::StatusOr<LogOffset> result = absl::UnknownError("no ack");
  if (ack != nullptr) {
    result = LogOffset{ack->Sequence};
  } else if (error != nullptr) {
    result = FromNatsText(error->Err, error->ErrCode, "JetStream did not store the record",
                          error->ErrText != nullptr ? error->ErrText : "");
  }
  {
    absl::MutexLock lock(&state->mu);
    if (ack != nullptr) state->durable = std::max(state->durable, LogOffset{ack->Sequence});
    if (!state->detached && id != nullptr) done = state->Take(id);
    if (state->detached) {
      natsMsg_Destroy(msg);
    } else {
      state->spent.Add(msg);
    }
  }
  if (done) done(std::move(result));
}

class JetStreamLogImpl : public JetStreamLog {
 public:
  JetStreamLogImpl(Connection* connection, JetStreamLogOptions options, jsCtx* js,
                   std::shared_ptr<AckState> acks)
      : connection_(connection), options_(std::move(options)), js_(js), acks_(std::move(acks)) {
    std::random_device random;
    id_prefix_ = absl::StrCat(absl::Hex(random(), absl::kZeroPad8),
                              absl::Hex(random(), absl::kZeroPad8), ".");
  }

  ~JetStreamLogImpl() override {
    Close();
    {
      absl::MutexLock lock(&acks_->mu);
      acks_->detached = true;
      acks_->spent.Empty();
    }
    jsCtx_Destroy(js_);
  }

  void AppendAsync(std::string record, AppendCallback done) override {
    std::string id = absl::StrCat(id_prefix_, next_id_.fetch_add(1, std::memory_order_relaxed));
    Publish(std::move(record), std::move(id), std::move(done));
  }

  void AppendAsync(std::string record, std::string dedup_id, AppendCallback done) override {
    if (!ValidDedupId(dedup_id)) {
      done(absl::InvalidArgumentError(absl::StrCat("a dedup id is 1 to ", kMaxDedupIdBytes,
                                                   " letters, digits, '.', '-', ':' or '_'; got \"",
                                                   dedup_id, "\"")));
      return;
    }
    Publish(std::move(record), std::move(dedup_id), std::move(done));
  }

  absl::StatusOr<LogOffset> Append(std::string record) override {
    absl::Notification acked;
    absl::StatusOr<LogOffset> result;
    AppendAsync(std::move(record), [&](absl::StatusOr<LogOffset> offset) {
      result = std::move(offset);
      acked.Notify();
    });
    acked.WaitForNotification();
    return result;
  }

  LogOffset durable_offset() const override {
    absl::MutexLock lock(&acks_->mu);
    return acks_->durable;
  }

  LogOffset first_offset() const override {
    absl::StatusOr<StreamState> state = GetStreamState(js_, options_.stream, options_.timeout);
    if (!state.ok()) return first_known_.load(std::memory_order_relaxed);
    NoteState(*state);
    return state->first;
  }

  LogOffset WaitForDurable(LogOffset offset, absl::Time deadline) const override;

  absl::StatusOr<std::unique_ptr<log::LogReader>> NewReader(LogOffset start) override;

  absl::StatusOr<LogOffset> TruncateBefore(LogOffset offset) override;
  absl::StatusOr<LogOffset> ApplyRetention(const log::RetentionPolicy& policy,
                                           LogOffset protect_from) override;

  void Close() override;

  const std::string& stream() const override { return options_.stream; }
  absl::StatusOr<StreamState> State() const override {
    return GetStreamState(js_, options_.stream, options_.timeout);
  }

  bool closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  void Publish(std::string record, std::string id, AppendCallback done);
  // Raises what this log knows of the stream (its durable and first offsets).
  void NoteState(const StreamState& state) const;

  Connection* const connection_;
  const JetStreamLogOptions options_;
  jsCtx* const js_;
  const std::shared_ptr<AckState> acks_;
  std::string id_prefix_;  // unique to this log instance
  std::atomic<uint64_t> next_id_{1};
  mutable std::atomic<LogOffset> first_known_{1};
  // Held across a publish, so publishes leave in the order their ids were taken and
  // Close cannot slip between the check and the publish.
  absl::Mutex publish_mu_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> drained_{false};  // closed, and every append answered
};

void JetStreamLogImpl::Publish(std::string record, std::string id, AppendCallback done) {
  const size_t max_payload = std::min<size_t>(
      log::kMaxPayloadBytes, static_cast<size_t>(natsConnection_GetMaxPayload(connection_->get())));
  if (record.size() > max_payload) {
    done(absl::InvalidArgumentError(absl::StrCat("a record of ", record.size(),
                                                 " bytes is over the log's limit of ", max_payload,
                                                 " bytes")));
    return;
  }
  absl::MutexLock publish(&publish_mu_);
  if (closed()) {
    done(absl::UnavailableError(absl::StrCat("the log of stream ", options_.stream, " is closed")));
    return;
  }
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, options_.subject.c_str(), nullptr, record.data(),
                                static_cast<int>(record.size()));
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, kMsgIdHeader, id.c_str());
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    done(FromNats(s, "cannot make a JetStream message"));
    return;
  }
  {
    absl::MutexLock lock(&acks_->mu);
    acks_->pending[id].push_back(std::move(done));
  }
  jsPubOptions publish_options;
  jsPubOptions_Init(&publish_options);
  publish_options.MaxWait = absl::ToInt64Milliseconds(options_.timeout);
  s = js_PublishMsgAsync(js_, &msg, &publish_options);
  if (s == NATS_OK) return;
  natsMsg_Destroy(msg);  // still ours when the publish failed
  AppendCallback failed;
  {
    absl::MutexLock lock(&acks_->mu);
    failed = acks_->Take(id, /*newest=*/true);  // ours: its publish never left
  }
  if (failed) failed(FromNats(s, absl::StrCat("cannot publish to stream ", options_.stream)));
}

void JetStreamLogImpl::NoteState(const StreamState& state) const {
  first_known_.store(state.first, std::memory_order_relaxed);
  absl::MutexLock lock(&acks_->mu);
  acks_->durable = std::max(acks_->durable, state.last);
}

LogOffset JetStreamLogImpl::WaitForDurable(LogOffset offset, absl::Time deadline) const {
  auto reached = [&]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(acks_->mu) { return acks_->durable >= offset; };
  // Our own appends raise it as they are acked; others' (another node appending to
  // this stream) only show in the stream's state, asked for now and then.
  while (true) {
    {
      absl::MutexLock lock(&acks_->mu);
      const absl::Time next_look = std::min(deadline, absl::Now() + absl::Milliseconds(50));
      acks_->mu.AwaitWithDeadline(absl::Condition(&reached), next_look);
      if (reached()) return acks_->durable;
    }
    absl::StatusOr<StreamState> state = GetStreamState(js_, options_.stream, options_.timeout);
    if (state.ok()) NoteState(*state);
    absl::MutexLock lock(&acks_->mu);
    if (reached() || absl::Now() >= deadline) return acks_->durable;
  }
}

absl::StatusOr<std::unique_ptr<log::LogReader>> JetStreamLogImpl::NewReader(LogOffset start) {
  absl::StatusOr<StreamState> state = GetStreamState(js_, options_.stream, options_.timeout);
  if (!state.ok()) return state.status();
  NoteState(*state);
  if (start > state->last + 1) {
    return absl::OutOfRangeError(absl::StrCat("offset ", start, " is beyond the end (", state->last,
                                              ") of stream ", options_.stream));
  }
  return OpenOrderedReader(js_, options_.stream, options_.subject, std::max(start, state->first),
                           [this]() -> std::optional<LogOffset> {
                             if (!drained_.load(std::memory_order_acquire)) return std::nullopt;
                             return durable_offset();
                           });
}

absl::StatusOr<LogOffset> JetStreamLogImpl::TruncateBefore(LogOffset offset) {
  RETURN_IF_ERROR(PurgeBefore(js_, options_.stream, offset, options_.timeout));
  return first_offset();
}

absl::StatusOr<LogOffset> JetStreamLogImpl::ApplyRetention(const log::RetentionPolicy& policy,
                                                           LogOffset protect_from) {
  absl::StatusOr<StreamState> state = GetStreamState(js_, options_.stream, options_.timeout);
  if (!state.ok()) return state.status();
  absl::StatusOr<LogOffset> keep_from =
      RetentionStart(js_, options_.stream, *state, policy, options_.timeout);
  if (!keep_from.ok()) return keep_from.status();
  const LogOffset cut = std::min(*keep_from, protect_from);
  if (cut <= state->first) return state->first;
  return TruncateBefore(cut);
}

void JetStreamLogImpl::Close() {
  {
    absl::MutexLock publish(&publish_mu_);
    if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = absl::ToInt64Milliseconds(options_.timeout);
  js_PublishAsyncComplete(js_, &wait);
  // What is still unacknowledged after the timeout fails now; a late ack finds nothing.
  absl::flat_hash_map<std::string, std::deque<AppendCallback>> left;
  {
    absl::MutexLock lock(&acks_->mu);
    left.swap(acks_->pending);
  }
  for (auto& [id, callbacks] : left) {
    for (AppendCallback& done : callbacks) {
      done(absl::UnavailableError(absl::StrCat("the log of stream ", options_.stream,
                                               " closed before JetStream acknowledged a record")));
    }
  }
  drained_.store(true, std::memory_order_release);
}

}  // namespace

absl::StatusOr<std::unique_ptr<JetStreamLog>> OpenJetStreamLog(Connection* connection,
                                                               JetStreamLogOptions options) {
  if (connection == nullptr) return absl::InvalidArgumentError("no NATS connection");
  if (options.subject.empty()) options.subject = absl::StrCat(options.stream, ".log");
  if (options.max_pending < 1) {
    return absl::InvalidArgumentError("max_pending must be at least 1");
  }
  auto acks = std::make_shared<AckState>();
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = absl::ToInt64Milliseconds(options.timeout);
  js_options.PublishAsync.MaxPending = options.max_pending;
  js_options.PublishAsync.StallWait = absl::ToInt64Milliseconds(options.timeout);
  js_options.PublishAsync.AckHandler = OnAck;
  js_options.PublishAsync.AckHandlerClosure = acks.get();
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_JetStream(&js, connection->get(), &js_options); s != NATS_OK) {
    return FromNats(s, "cannot open a JetStream context");
  }
  absl::Cleanup destroy = [js] { jsCtx_Destroy(js); };
  StreamSpec spec{options.stream, options.subject, options.replicas, options.duplicate_window};
  absl::StatusOr<StreamState> state = EnsureStream(js, spec, options.timeout);
  if (!state.ok()) return state.status();
  connection->KeepUntilClosed(acks);
  std::move(destroy).Cancel();
  auto log = std::make_unique<JetStreamLogImpl>(connection, std::move(options), js, acks);
  {
    absl::MutexLock lock(&acks->mu);
    acks->durable = state->last;
  }
  return log;
}

}  // namespace roost::jetstream
