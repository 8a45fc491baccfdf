// ClusterScope: a partition's PartitionScope (ingest/partition_scope.h) in a cluster on
// JetStream. The cluster map says which partition every user is on; what the pipeline
// derives for another partition is appended to that partition's stream with the
// derivation's id as its JetStream dedup id, so a replay after a restart (or a retry)
// stores nothing twice within the stream's duplicate window.
//
// A publish the servers do not acknowledge (no leader during an election, a server
// gone) is retried with its id, every retry_interval, until it is stored; Flush waits
// for all. Retried publishes may land after later ones: the receiving pipelines do not
// depend on the order of derived events between two partitions.
//
// Thread-safe. The map and the logs must outlive the scope.
#ifndef ROOST_SERVICES_CLUSTER_SCOPE_H_
#define ROOST_SERVICES_CLUSTER_SCOPE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cluster/cluster_map.h"
#include "ingest/partition_scope.h"
#include "jetstream/jetstream_log.h"

namespace roost::services {

class ClusterScope : public ingest::PartitionScope {
 public:
  // `streams[p]` appends to partition p's stream (this partition's is not used).
  ClusterScope(const cluster::ClusterMap* map, cluster::PartitionId partition,
               std::vector<jetstream::JetStreamLog*> streams,
               absl::Duration retry_interval = absl::Milliseconds(100));
  // Stops retrying and waits for the answers of the publishes in flight; what was not
  // stored is published again by the pipeline's replay after a restart.
  ~ClusterScope() override;

  uint32_t partition() const override { return partition_; }
  uint32_t partitions() const override { return map_->partitions(); }
  uint32_t PartitionOf(UserId user) const override { return map_->PartitionOf(user); }

  void Publish(uint32_t target, std::string id, std::string event) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Flush(absl::Time deadline) override ABSL_LOCKS_EXCLUDED(mu_);

  // By target partition, the highest sequence of its stream that a publish of this
  // scope was stored at. After Flush, it covers every publish before the Flush.
  std::vector<LogOffset> HighWater() const ABSL_LOCKS_EXCLUDED(mu_);
  // Publishes not yet stored.
  int64_t outstanding() const ABSL_LOCKS_EXCLUDED(mu_);
  // Publishes sent again after a failure.
  int64_t retries() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Derived {
    uint32_t target = 0;
    uint64_t ticket = 0;  // its place among the publishes, for Flush
    std::string id;
    std::string event;
  };
  void Send(Derived derived) ABSL_LOCKS_EXCLUDED(mu_);
  void RetryLoop() ABSL_LOCKS_EXCLUDED(mu_);

  const cluster::ClusterMap* const map_;
  const cluster::PartitionId partition_;
  const std::vector<jetstream::JetStreamLog*> streams_;
  const absl::Duration retry_interval_;

  mutable absl::Mutex mu_;
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  absl::btree_set<uint64_t> pending_ ABSL_GUARDED_BY(mu_);  // tickets not yet stored
  std::vector<LogOffset> high_water_ ABSL_GUARDED_BY(mu_);   // by target
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;    // sent, not yet answered
  int64_t retries_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Derived> retry_ ABSL_GUARDED_BY(mu_);
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread retrier_;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_CLUSTER_SCOPE_H_
