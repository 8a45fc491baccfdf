#include "services/cluster_scope.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/thread_name.h"

namespace roost::services {

ClusterScope::ClusterScope(const cluster::ClusterMap* map, cluster::PartitionId partition,
                           std::vector<jetstream::JetStreamLog*> streams,
                           absl::Duration retry_interval)
    : map_(map),
      partition_(partition),
      streams_(std::move(streams)),
      retry_interval_(retry_interval),
      high_water_(map->partitions(), 0),
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
  uint64_t ticket;
  {
    absl::MutexLock lock(&mu_);
    ticket = next_ticket_++;
    pending_.insert(ticket);
  }
  Send(Derived{target, ticket, std::move(id), std::move(event)});
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
          pending_.erase(derived.ticket);
          high_water_[derived.target] = std::max(high_water_[derived.target], *offset);
          return;
        }
        last_error_ = offset.status();
        if (!stopping_) retry_.push_back(std::move(derived));
      });
}

void ClusterScope::RetryLoop() {
  NameThisThread("roost-derive");
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
  // Only the publishes so far: later ones must not keep a flush waiting under load.
  const uint64_t last = next_ticket_ - 1;
  auto stored = [this, last]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_.empty() || *pending_.begin() > last;
  };
  if (mu_.AwaitWithDeadline(absl::Condition(&stored), deadline)) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(pending_.size(),
                                             " derived events are not stored yet; the last error: ",
                                             last_error_.ToString()));
}

std::vector<LogOffset> ClusterScope::HighWater() const {
  absl::MutexLock lock(&mu_);
  return high_water_;
}

int64_t ClusterScope::retries() const {
  absl::MutexLock lock(&mu_);
  return retries_;
}

int64_t ClusterScope::outstanding() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(pending_.size());
}

}  // namespace roost::services
