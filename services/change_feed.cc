#include "services/change_feed.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "ingest/event_codec.h"
#include "services/event_kinds.h"
#include "services/grpc_status.h"

namespace roost::services {
namespace {

namespace v1 = ::roost::v1;

constexpr size_t kReadBatch = 256;
// How long a read waits for new records before looking for a cancellation again.
constexpr absl::Duration kPollInterval = absl::Milliseconds(200);

class Subscription final : public grpc::ServerWriteReactor<v1::ChangeEvent> {
 public:
  Subscription(std::unique_ptr<log::LogReader> reader, absl::flat_hash_set<std::string> types,
               std::atomic<int>* subscribers)
      : reader_(std::move(reader)), types_(std::move(types)), subscribers_(subscribers) {
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
  // Reads and sends until the client cancels or the log fails or closes; then
  // finishes the call, exactly once, with no write outstanding.
  void Run() {
    std::vector<log::LogRecord> batch;
    grpc::Status end = grpc::Status::OK;
    while (!Stopped()) {
      batch.clear();
      const absl::Status read = reader_->ReadBatch(kReadBatch, absl::Now() + kPollInterval, &batch);
      for (const log::LogRecord& record : batch) {
        v1::ChangeEvent& message = message_;
        message.Clear();
        message.set_position(record.offset);
        if (absl::Status decoded = ingest::DecodeEvent(record.payload, message.mutable_event());
            !decoded.ok()) {
          end = grpc::Status(
              grpc::StatusCode::DATA_LOSS,
              absl::StrCat("the record at position ", record.offset, ": ", decoded.message()));
          break;
        }
        if (!types_.empty() && !types_.contains(EventKindName(message.event()))) continue;
        if (!Write()) break;
      }
      if (!end.ok()) break;
      if (!read.ok()) {
        // UNAVAILABLE: the log closed (the server is stopping); DATA_LOSS: corruption.
        end = ToGrpc(read);
        break;
      }
    }
    absl::MutexLock lock(&mu_);
    if (cancelled_) end = grpc::Status::CANCELLED;
    Finish(end);
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

  const std::unique_ptr<log::LogReader> reader_;
  const absl::flat_hash_set<std::string> types_;
  std::atomic<int>* const subscribers_;
  v1::ChangeEvent message_;  // the one being written
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

grpc::ServerWriteReactor<v1::ChangeEvent>* StartSubscription(Roost* roost,
                                                             const v1::SubscribeRequest& request,
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
  if (subscribers->fetch_add(1) >= kMaxSubscribers) {
    subscribers->fetch_sub(1);
    return new Refusal(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("already ", kMaxSubscribers, " subscriptions; try again later")));
  }
  absl::StatusOr<std::unique_ptr<log::LogReader>> reader =
      roost->NewChangeReader(request.from_position());
  if (!reader.ok()) {
    subscribers->fetch_sub(1);
    return new Refusal(ToGrpc(reader.status()));
  }
  return new Subscription(std::move(*reader), std::move(types), subscribers);
}

}  // namespace roost::services
