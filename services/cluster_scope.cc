#include "services/cluster_scope.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace roost::services {

ClusterScope::ClusterScope(const cluster::ClusterMap* map, cluster::PartitionId partition,
                           std::vector<jetstream::JetStreamLog*> streams,
                           absl::Duration retry_interval)
    : map_(map),
      partition_(partition),
      streams_(std::move(streams)),
      retry_interval_(retry_interval),
      retrier_([this] { RetryLoop(); }) {}

ClusterScope::~ClusterScope() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  retrier_.join();
  // Every publish is answered within its log's timeout; none may outlive the scope.
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int64_t* in_flight) { return *in_flight == 0; }, &in_flight_));
}

void ClusterScope::Publish(uint32_t target, std::string id, std::string event) {
  {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }
  Send(Derived{target, std::move(id), std::move(event)});
}

void ClusterScope::Send(Derived derived) {
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
  }
  jetstream::JetStreamLog* const stream = streams_[derived.target];
  std::string event = derived.event;  // kept in `derived` for a retry
  std::string id = derived.id;
  stream->AppendAsync(
      std::move(event), std::move(id),
      [this, derived = std::move(derived)](absl::StatusOr<LogOffset> offset) mutable {
        absl::MutexLock lock(&mu_);
        --in_flight_;
        if (offset.ok()) {
          --outstanding_;
          return;
        }
        last_error_ = offset.status();
        if (!stopping_) retry_.push_back(std::move(derived));
      });
}

void ClusterScope::RetryLoop() {
  while (true) {
    std::deque<Derived> again;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !retry_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      if (stopping_) return;
      // A pause first: what failed failed for a reason (an election) that takes time.
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), retry_interval_);
      if (stopping_) return;
      again.swap(retry_);
      retries_ += static_cast<int64_t>(again.size());
    }
    for (Derived& derived : again) Send(std::move(derived));
  }
}

absl::Status ClusterScope::Flush(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  if (mu_.AwaitWithDeadline(
          absl::Condition(
              +[](int64_t* outstanding) { return *outstanding == 0; }, &outstanding_),
          deadline)) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(
      absl::StrCat(outstanding_,
                   " derived events are not stored yet; the last error: ", last_error_.ToString()));
}

int64_t ClusterScope::retries() const {
  absl::MutexLock lock(&mu_);
  return retries_;
}

int64_t ClusterScope::outstanding() const {
  absl::MutexLock lock(&mu_);
  return outstanding_;
}

}  // namespace roost::services
