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
    return done(absl::InvalidArgumentError(absl::StrCat("the token's partition ", token.partition,
                                                        " is not one of the cluster's ",
                                                        derivations_->partitions())));
  }
  derivations_->ScheduleRead([this, token, deadline, done = std::move(done)]() mutable {
    done(ResolveNow(token, deadline));
  });
}

absl::StatusOr<LogOffset> ClusterTokens::ResolveNow(ConsistencyToken token,
                                                    absl::Time deadline) const {
  LogOffset wait = token.partition == partition_ ? token.position : 0;
  ASSIGN_OR_RETURN(const std::vector<LogOffset> first,
                   derivations_->AwaitDerived(token.partition, token.position, deadline));
  wait = std::max(wait, first[partition_]);
  // The second step, from each partition the first derived for (beyond what the
  // token's write derived: a high-water mark is all a partition keeps), all at once.
  std::vector<std::pair<cluster::PartitionId, LogOffset>> next;
  for (cluster::PartitionId t = 0; t < first.size(); ++t) {
    if (first[t] != 0 && t != token.partition && t != partition_) next.push_back({t, first[t]});
  }
  ASSIGN_OR_RETURN(const std::vector<std::vector<LogOffset>> second,
                   derivations_->AwaitDerivedAll(next, deadline));
  for (const std::vector<LogOffset>& derived : second) wait = std::max(wait, derived[partition_]);
  return wait;
}

}  // namespace roost::services
