// ClusterTokens: where a read on one partition of a cluster waits for a consistency
// token (consistency.h). A write at position S of partition p causes events on other
// partitions in at most two steps: p derives events for others (copies of edge writes,
// deliveries, retractions), and their partitions derive events from those (an author
// shown to a new follower's home, on the follower's partition). So the read's
// partition q waits for the highest of: S when q is p; where p's derivations for q
// were stored, once p has applied S and what it derived is durable; and likewise
// where each partition p derived for put its own derivations for q, once it has
// applied those (asked of all those partitions at once). A partition keeps only the
// high-water mark of what it derived for each other, so the second step waits for
// every partition p ever derived for, and needs their owners up.
//
// Thread-safe. The node must outlive it.
#ifndef ROOST_SERVICES_CLUSTER_TOKENS_H_
#define ROOST_SERVICES_CLUSTER_TOKENS_H_

#include "cluster/cluster_map.h"
#include "services/consistency.h"

namespace roost::services {

class ClusterNode;

class ClusterTokens : public TokenResolver {
 public:
  // Resolves tokens for reads on partition `partition` of `node`.
  ClusterTokens(ClusterNode* node, cluster::PartitionId partition)
      : node_(node), partition_(partition) {}

  // Runs on the node's read threads: it waits on other partitions, maybe other nodes.
  void Resolve(ConsistencyToken token, absl::Time deadline,
               absl::AnyInvocable<void(absl::StatusOr<LogOffset>)> done) override;

 private:
  absl::StatusOr<LogOffset> ResolveNow(ConsistencyToken token, absl::Time deadline) const;

  ClusterNode* const node_;
  const cluster::PartitionId partition_;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_CLUSTER_TOKENS_H_
