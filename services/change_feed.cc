#include "services/change_feed.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/thread_name.h"
#include "ingest/event_codec.h"
#include "services/event_kinds.h"
#include "services/grpc_status.h"

namespace roost::services {
namespace {

namespace v1 = ::roost::v1;

constexpr size_t kReadBatch = 256;
// How long a read waits for new records before looking for a cancellation again.
constexpr absl::Duration kPollInterval = absl::Milliseconds(200);

// A partition's log as a subscription reads it.
struct Source {
  uint32_t partition = 0;
  std::unique_ptr<log::LogReader> reader;
};

class Subscription final : public grpc::ServerWriteReactor<v1::ChangeEvent> {
 public:
  Subscription(std::vector<Source> sources, absl::flat_hash_set<std::string> types,
               std::atomic<int>* subscribers)
      : sources_(std::move(sources)), types_(std::move(types)), subscribers_(subscribers) {
    // The reader is positioned: tell the client now (not with the first event, which
    // may be long in coming), so it knows that what it writes next will be streamed.
    StartSendInitialMetadata();
    thread_ = std::thread([this] { Run(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;  // the client went away
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  void OnDone() override {
    thread_.join();
    subscribers_->fetch_sub(1);
    delete this;
  }

 private:
  // Reads and sends until the client cancels or a log fails or closes; then finishes
  // the call, exactly once, with no write outstanding. Several logs are read in turn,
  // each waited on for a share of the poll interval.
  void Run() {
    NameThisThread("roost-feed");
    grpc::Status end = grpc::Status::OK;
    const absl::Duration wait = kPollInterval / static_cast<int64_t>(sources_.size());
    while (end.ok() && !Stopped()) {
      for (Source& source : sources_) {
        end = Pass(source, wait);
        if (!end.ok() || Stopped()) break;
      }
    }
    absl::MutexLock lock(&mu_);
    if (cancelled_) end = grpc::Status::CANCELLED;
    Finish(end);
  }

  // One batch of `source`, waiting up to `wait` for it, sent: OK to go on.
  grpc::Status Pass(Source& source, absl::Duration wait) {
    batch_.clear();
    const absl::Status read = source.reader->ReadBatch(kReadBatch, absl::Now() + wait, &batch_);
    for (const log::LogRecord& record : batch_) {
      message_.Clear();
      message_.set_position(record.offset);
      message_.set_partition(source.partition);
      if (absl::Status decoded = ingest::DecodeEvent(record.payload, message_.mutable_event());
          !decoded.ok()) {
        const std::string of =
            sources_.size() > 1 ? absl::StrCat(" of partition ", source.partition) : "";
        return grpc::Status(grpc::StatusCode::DATA_LOSS,
                            absl::StrCat("the record at position ", record.offset, of, ": ",
                                         decoded.message()));
      }
      if (!types_.empty() && !types_.contains(EventKindName(message_.event()))) continue;
      if (!Write()) return grpc::Status::OK;  // the stream ended; Run sees it
    }
    // UNAVAILABLE: the log closed (the server is stopping); DATA_LOSS: corruption.
    return ToGrpc(read);
  }

  // Sends message_ and waits until gRPC is done with it; false when the stream ended.
  bool Write() {
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_ || broken_) return false;
      writing_ = true;
    }
    StartWrite(&message_);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](Subscription* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return !s->writing_; }, this));
    return !cancelled_ && !broken_;
  }

  bool Stopped() {
    absl::MutexLock lock(&mu_);
    return cancelled_ || broken_;
  }

  std::vector<Source> sources_;  // Run's alone
  const absl::flat_hash_set<std::string> types_;
  std::atomic<int>* const subscribers_;
  std::vector<log::LogRecord> batch_;  // Run's scratch
  v1::ChangeEvent message_;            // the one being written
  std::thread thread_;

  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

// A stream that fails at once.
class Refusal final : public grpc::ServerWriteReactor<v1::ChangeEvent> {
 public:
  explicit Refusal(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::ChangeEvent>* RefusedSubscription(const grpc::Status& status) {
  return new Refusal(status);
}

grpc::ServerWriteReactor<v1::ChangeEvent>* StartSubscription(
    absl::Span<const FeedPartition> partitions, const v1::SubscribeRequest& request,
    std::atomic<int>* subscribers) {
  absl::flat_hash_set<std::string> types;
  for (const std::string& type : request.types()) {
    if (!IsEventKindName(type)) {
      return new Refusal(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("unknown event type '", type,
                       "' (tweet_posted, tweet_deleted, edge_changed, edges_mass_changed)")));
    }
    types.insert(type);
  }
  if (partitions.empty()) {
    return new Refusal(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                    "this node owns no partition to stream"));
  }
  if (subscribers->fetch_add(1) >= kMaxSubscribers) {
    subscribers->fetch_sub(1);
    return new Refusal(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("already ", kMaxSubscribers, " subscriptions; try again later")));
  }
  std::vector<Source> sources;
  for (const FeedPartition& p : partitions) {
    auto from = request.from_positions().find(p.partition);
    absl::StatusOr<std::unique_ptr<log::LogReader>> reader = p.roost->NewChangeReader(
        from != request.from_positions().end() ? from->second : request.from_position());
    if (!reader.ok()) {
      subscribers->fetch_sub(1);
      absl::Status status = reader.status();
      if (partitions.size() > 1) {
        status = absl::Status(status.code(),
                              absl::StrCat("partition ", p.partition, ": ", status.message()));
      }
      return new Refusal(ToGrpc(status));
    }
    sources.push_back({p.partition, *std::move(reader)});
  }
  return new Subscription(std::move(sources), std::move(types), subscribers);
}

}  // namespace roost::services
