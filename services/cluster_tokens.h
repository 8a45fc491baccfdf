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
// Thread-safe. The derivations (a ClusterNode) must outlive it.
#ifndef ROOST_SERVICES_CLUSTER_TOKENS_H_
#define ROOST_SERVICES_CLUSTER_TOKENS_H_

#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cluster/cluster_map.h"
#include "services/consistency.h"

namespace roost::services {

// What ClusterTokens asks of the cluster: how far each partition's derivations reach.
// Thread-safe.
class Derivations {
 public:
  virtual ~Derivations() = default;
  virtual uint32_t partitions() const = 0;
  // Waits until partition p has applied `position` and what it derived so far is
  // durable; then, by target partition, the highest sequence of the target's stream
  // it derived an event at (0: none).
  virtual absl::StatusOr<std::vector<LogOffset>> AwaitDerived(cluster::PartitionId p,
                                                              LogOffset position,
                                                              absl::Time deadline) = 0;
  // AwaitDerived of each (partition, position), all at once; the answers in the same
  // order, or the first error.
  virtual absl::StatusOr<std::vector<std::vector<LogOffset>>> AwaitDerivedAll(
      absl::Span<const std::pair<cluster::PartitionId, LogOffset>> waits, absl::Time deadline) = 0;
  // Runs `work` where it may wait on other partitions (never on gRPC's threads).
  virtual void ScheduleRead(absl::AnyInvocable<void()> work) = 0;
};

class ClusterTokens : public TokenResolver {
 public:
  // Resolves tokens for reads on partition `partition`.
  ClusterTokens(Derivations* derivations, cluster::PartitionId partition)
      : derivations_(derivations), partition_(partition) {}

  // Waits on the derivations' read threads.
  void Resolve(ConsistencyToken token, absl::Time deadline,
               absl::AnyInvocable<void(absl::StatusOr<LogOffset>)> done) override;
  // Resolve's answer, waited for on the calling thread (which may wait on other nodes).
  absl::StatusOr<LogOffset> ResolveNow(ConsistencyToken token, absl::Time deadline) const;
  // Where every partition's reads must wait for the token, by partition: for a read
  // that spans partitions. Waited for on the calling thread.
  absl::StatusOr<std::vector<LogOffset>> ResolveAll(ConsistencyToken token,
                                                    absl::Time deadline) const;

 private:
  // The waits of both steps, by partition; the second step leaves out partition
  // `read` (whose own derivations its reads need not wait for).
  absl::StatusOr<std::vector<LogOffset>> Waits(ConsistencyToken token, absl::Time deadline,
                                               cluster::PartitionId read) const;

  Derivations* const derivations_;
  const cluster::PartitionId partition_;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_CLUSTER_TOKENS_H_
