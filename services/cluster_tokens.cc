#include "services/cluster_tokens.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/cluster_node.h"

namespace roost::services {

void ClusterTokens::Resolve(ConsistencyToken token, absl::Time deadline,
                            absl::AnyInvocable<void(absl::StatusOr<LogOffset>)> done) {
  if (token.partition >= node_->map().partitions()) {
    return done(absl::InvalidArgumentError(absl::StrCat("the token's partition ", token.partition,
                                                        " is not one of the cluster's ",
                                                        node_->map().partitions())));
  }
  node_->readers()->Schedule([this, token, deadline, done = std::move(done)]() mutable {
    done(ResolveNow(token, deadline));
  });
}

absl::StatusOr<LogOffset> ClusterTokens::ResolveNow(ConsistencyToken token,
                                                    absl::Time deadline) const {
  LogOffset wait = token.partition == partition_ ? token.position : 0;
  ASSIGN_OR_RETURN(const std::vector<LogOffset> first,
                   node_->AwaitDerived(token.partition, token.position, deadline));
  wait = std::max(wait, first[partition_]);
  // The second step, from each partition the first derived for (beyond what the
  // token's write derived: a high-water mark is all a partition keeps), all at once.
  std::vector<std::pair<cluster::PartitionId, LogOffset>> next;
  for (cluster::PartitionId t = 0; t < first.size(); ++t) {
    if (first[t] != 0 && t != token.partition && t != partition_) next.push_back({t, first[t]});
  }
  ASSIGN_OR_RETURN(const std::vector<std::vector<LogOffset>> second,
                   node_->AwaitDerivedAll(next, deadline));
  for (const std::vector<LogOffset>& derived : second) wait = std::max(wait, derived[partition_]);
  return wait;
}

}  // namespace roost::services
