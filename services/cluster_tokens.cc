#include "services/cluster_tokens.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace roost::services {

void ClusterTokens::Resolve(ConsistencyToken token, absl::Time deadline,
                            absl::AnyInvocable<void(absl::StatusOr<LogOffset>)> done) {
  if (token.partition >= derivations_->partitions()) {
    return done(ResolveNow(token, deadline));  // refused at once, without waiting
  }
  derivations_->ScheduleRead([this, token, deadline, done = std::move(done)]() mutable {
    done(ResolveNow(token, deadline));
  });
}

absl::StatusOr<LogOffset> ClusterTokens::ResolveNow(ConsistencyToken token,
                                                    absl::Time deadline) const {
  ASSIGN_OR_RETURN(const std::vector<LogOffset> waits, Waits(token, deadline, partition_));
  return waits[partition_];
}

absl::StatusOr<std::vector<LogOffset>> ClusterTokens::ResolveAll(ConsistencyToken token,
                                                                 absl::Time deadline) const {
  return Waits(token, deadline, derivations_->partitions());
}

absl::StatusOr<std::vector<LogOffset>> ClusterTokens::Waits(ConsistencyToken token,
                                                            absl::Time deadline,
                                                            cluster::PartitionId read) const {
  if (token.partition >= derivations_->partitions()) {
    return absl::InvalidArgumentError(absl::StrCat("the token's partition ", token.partition,
                                                   " is not one of the cluster's ",
                                                   derivations_->partitions()));
  }
  ASSIGN_OR_RETURN(std::vector<LogOffset> waits,
                   derivations_->AwaitDerived(token.partition, token.position, deadline));
  waits[token.partition] = std::max(waits[token.partition], token.position);
  // The second step, from each partition the first derived for (beyond what the
  // token's write derived: a high-water mark is all a partition keeps), all at once.
  std::vector<std::pair<cluster::PartitionId, LogOffset>> next;
  for (cluster::PartitionId t = 0; t < waits.size(); ++t) {
    if (waits[t] != 0 && t != token.partition && t != read) next.push_back({t, waits[t]});
  }
  ASSIGN_OR_RETURN(const std::vector<std::vector<LogOffset>> second,
                   derivations_->AwaitDerivedAll(next, deadline));
  for (const std::vector<LogOffset>& derived : second) {
    for (size_t q = 0; q < waits.size() && q < derived.size(); ++q) {
      waits[q] = std::max(waits[q], derived[q]);
    }
  }
  return waits;
}

}  // namespace roost::services
