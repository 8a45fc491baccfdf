#include "jetstream/jetstream_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "jetstream/message_bin.h"
#include "jetstream/nats_status.h"

namespace roost::jetstream {
namespace {

// A closed log's reader notices the closure within this long while it waits.
constexpr absl::Duration kClosedCheck = absl::Milliseconds(100);

// Milliseconds to wait for a message until `deadline` (at most kClosedCheck), rounded
// up: one wait that ends a little early would be followed by a 1 ms one, and each
// wait that times out costs the client an error report.
int64_t WaitMs(absl::Time deadline) {
  return absl::ToInt64Milliseconds(
      absl::Ceil(std::min(deadline - absl::Now(), kClosedCheck), absl::Milliseconds(1)));
}

class OrderedReader : public log::LogReader {
 public:
  OrderedReader(natsSubscription* subscription, std::string stream, LogOffset start,
                ClosedEnd closed_end)
      : subscription_(subscription),
        stream_(std::move(stream)),
        next_(start),
        closed_end_(std::move(closed_end)) {}

  ~OrderedReader() override {
    spent_.Empty();
    natsSubscription_Unsubscribe(subscription_);  // deletes the server's consumer
    natsSubscription_Destroy(subscription_);
  }

  absl::Status ReadBatch(size_t max_records, absl::Time deadline,
                         std::vector<log::LogRecord>* out) override {
    size_t read = 0;
    // Records the stream held behind the last one taken when it was sent: they are on
    // their way, and a batch takes every record stored before it was asked for.
    uint64_t behind = 0;
    while (read < max_records) {
      int64_t wait_ms = 0;
      if (read == 0) {
        const std::optional<LogOffset> end = closed_end_();
        if (end.has_value() && next_ > *end) {
          return absl::UnavailableError(absl::StrCat("the log of stream ", stream_, " is closed"));
        }
        wait_ms = WaitMs(deadline);
      } else {
        int pending = 0;
        natsSubscription_GetPending(subscription_, &pending, nullptr);
        if (pending <= 0 && behind == 0) break;
        if (pending <= 0) {
          wait_ms = WaitMs(deadline);
        }
      }
      natsMsg* msg = nullptr;
      const natsStatus s =
          natsSubscription_NextMsg(&msg, subscription_, std::max<int64_t>(wait_ms, 1));
      if (s == NATS_TIMEOUT) {
        if (read > 0 || absl::Now() >= deadline) break;
        continue;
      }
      if (s != NATS_OK) {
        return FromNats(s, absl::StrCat("cannot read stream ", stream_));
      }
      behind = Take(msg, out);
      ++read;
    }
    return absl::OkStatus();
  }

  LogOffset next_offset() const override { return next_; }

 private:
  // Appends the record of `msg` to *out; returns how many the stream held after it
  // when it was sent.
  uint64_t Take(natsMsg* msg, std::vector<log::LogRecord>* out) {
    jsMsgMetaData* meta = nullptr;
    LogOffset offset = next_;
    uint64_t behind = 0;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      offset = meta->Sequence.Stream;
      behind = meta->NumPending;
      jsMsgMetaData_Destroy(meta);
    }
    out->push_back(log::LogRecord{
        offset,
        std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)))});
    next_ = offset + 1;
    spent_.Add(msg);
    return behind;
  }

  natsSubscription* const subscription_;
  const std::string stream_;
  LogOffset next_;
  const ClosedEnd closed_end_;
  MessageBin spent_;  // messages already copied out
};

}  // namespace

absl::StatusOr<std::unique_ptr<log::LogReader>> OpenOrderedReader(jsCtx* js,
                                                                  const std::string& stream,
                                                                  const std::string& subject,
                                                                  LogOffset start,
                                                                  ClosedEnd closed_end) {
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream.c_str();
  options.Ordered = true;
  options.Config.DeliverPolicy = js_DeliverByStartSequence;
  options.Config.OptStartSeq = start;
  natsSubscription* subscription = nullptr;
  jsErrCode error{};
  const natsStatus s =
      js_SubscribeSync(&subscription, js, subject.c_str(), nullptr, &options, &error);
  if (s != NATS_OK) {
    return FromNats(s, absl::StrCat("cannot read stream ", stream, " from ", start), error);
  }
  // A rebuild reads millions of records: let them queue here rather than count as a
  // slow consumer (the ordered consumer's flow control bounds what the server sends).
  natsSubscription_SetPendingLimits(subscription, -1, 256 << 20);
  return std::make_unique<OrderedReader>(subscription, stream, start, std::move(closed_end));
}

}  // namespace roost::jetstream
