// ClusterNode: one roostd of a cluster (DESIGN.md, "Cluster"). It connects to the
// cluster's NATS servers, and runs one Roost for every partition the cluster file gives
// it, each over its partition's JetStream stream, in data_dir/p<partition>. It is the
// PartitionReads of its Roosts: tweets and authors' recent tweets of partitions it
// does not own are read from their owners over the internal Partitions service.
//
// Opening checks the cluster against the servers: the partition count a cluster was
// created with is kept in a JetStream KV bucket, and a cluster file that says another
// is refused (users would be looked for on the wrong partitions).
//
// Thread-safe once open, except Shutdown (and the destructor), which must come after
// the last call from outside (the server stopped) and not race with one.
#ifndef ROOST_SERVICES_CLUSTER_NODE_H_
#define ROOST_SERVICES_CLUSTER_NODE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cluster/cluster_map.h"
#include "common/thread_pool.h"
#include "jetstream/connection.h"
#include "jetstream/jetstream_log.h"
#include "roost/v1/partitions.grpc.pb.h"
#include "services/cluster_scope.h"
#include "services/cluster_tokens.h"
#include "services/consistency.h"
#include "services/partition_reads.h"
#include "services/roost.h"

namespace roost::services {

struct ClusterNodeOptions {
  // What every partition's Roost is opened with; data_dir is the node's, each
  // partition gets a directory in it. node_id, open_log, scope and remote are the
  // node's to set.
  RoostOptions roost;
  // Bound on a read from another node (PartitionReads) without a deadline of its own.
  absl::Duration peer_timeout = absl::Seconds(5);
  // JetStream API calls and publish acknowledgements.
  absl::Duration nats_timeout = absl::Seconds(5);
  // How long Open waits for JetStream to answer: servers started with the node are
  // still electing their leaders for a few seconds.
  absl::Duration start_timeout = absl::Seconds(60);
  // Optional: the on_recovery_progress of each partition's Roost.
  std::function<std::function<void(LogOffset, LogOffset, absl::Duration)>(cluster::PartitionId)>
      recovery_progress;
};

class ClusterNode : public PartitionReads, public Derivations {
 public:
  // INVALID_ARGUMENT when `node` is not in the map; UNAVAILABLE when no NATS server
  // answers; FAILED_PRECONDITION when the cluster exists with another partition count
  // or a data dir is in use; else what opening a partition's Roost returns.
  static absl::StatusOr<std::unique_ptr<ClusterNode>> Open(cluster::ClusterMap map,
                                                           cluster::NodeId node,
                                                           const ClusterNodeOptions& options);
  ~ClusterNode() override;  // Shutdown()s

  const cluster::ClusterMap& map() const { return map_; }
  const cluster::NodeInfo& self() const { return *map_.node(id_); }
  // The Roost of partition `p` when this node owns it, else null.
  Roost* local(cluster::PartitionId p) const { return parts_[p].roost.get(); }
  // The partitions this node owns, ascending.
  const std::vector<cluster::PartitionId>& owned() const { return owned_; }
  // The channel to another node (for forwarding calls to it).
  const std::shared_ptr<grpc::Channel>& channel(cluster::NodeId node) const;
  // "partition P's owner, node N at ADDR": for messages about an unreachable owner.
  std::string OwnerName(cluster::PartitionId p) const;
  // Runs reads that gather from several nodes, off gRPC's callback threads.
  ThreadPool* readers() { return readers_.get(); }
  // Runs other nodes' calls that wait on this node's partitions only (AwaitDerived, a
  // forwarded Stats): they must not queue behind reads that wait on other nodes,
  // which may be waiting for them.
  ThreadPool* local_work() { return local_work_.get(); }
  // The tweets of `ids` on the partitions this node owns, in no particular order
  // (what the Partitions service answers for).
  absl::StatusOr<std::vector<tweetstore::Tweet>> LocalTweets(absl::Span<const TweetId> ids);

  // The consistency tokens of partition p's services (owned here).
  Consistency consistency(cluster::PartitionId p) const { return Consistency(p, tokens_[p].get()); }
  // By partition, the position of its log a read there must wait for after the write
  // of `token` (empty: all 0), waited for on the calling thread. INVALID_ARGUMENT for
  // text that is not a token.
  absl::StatusOr<std::vector<LogOffset>> TokenPositions(absl::string_view token,
                                                        absl::Time deadline) const;
  // The Partitions service of another node.
  ::roost::v1::Partitions::Stub* peer(cluster::NodeId node) const { return peers_.at(node).get(); }
  // Derivations (cluster_tokens.h): AwaitDerived asks p's owner when it is another
  // node; AwaitDerivedAll asks the other nodes all at once; reads are scheduled on
  // readers().
  uint32_t partitions() const override { return map_.partitions(); }
  absl::StatusOr<std::vector<LogOffset>> AwaitDerived(cluster::PartitionId p, LogOffset position,
                                                      absl::Time deadline) override;
  absl::StatusOr<std::vector<std::vector<LogOffset>>> AwaitDerivedAll(
      absl::Span<const std::pair<cluster::PartitionId, LogOffset>> waits,
      absl::Time deadline) override;
  void ScheduleRead(absl::AnyInvocable<void()> work) override {
    readers_->Schedule(std::move(work));
  }

  // Counts a call this node forwarded to another's partition (a client that routes
  // by the partition map, Admin.Cluster, sends it none).
  void CountForward() const { forwarded_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t forwarded() const { return forwarded_.load(std::memory_order_relaxed); }

  // Drains every partition's Roost (Roost::Drain). True when no write is left.
  bool Drain(absl::Time deadline);
  // Stops the partitions, then the publishers, then the NATS connection. Idempotent.
  void Shutdown();

  // PartitionReads.
  absl::StatusOr<std::vector<tweetstore::Tweet>> GetTweets(absl::Span<const TweetId> ids) override;
  absl::StatusOr<std::vector<timelines::Entry>> RecentTweets(UserId author, TweetId before,
                                                             size_t limit) override;
  absl::StatusOr<std::vector<std::vector<timelines::Entry>>> RecentTweetsOfEach(
      absl::Span<const UserId> authors, TweetId before, size_t limit) override;

 private:
  struct Partition {
    std::unique_ptr<ClusterScope> scope;
    std::unique_ptr<Roost> roost;
  };

  ClusterNode(cluster::ClusterMap map, cluster::NodeId id, const ClusterNodeOptions& options)
      : map_(std::move(map)), id_(id), options_(options) {}
  // Open's steps.
  absl::Status Connect();
  absl::Status CheckPartitionCount();
  absl::Status OpenPublishers();
  absl::Status OpenPartition(cluster::PartitionId p);
  // Runs `step` until it is not UNAVAILABLE, or until start_timeout from `start`.
  absl::Status UntilAvailable(absl::Time start, absl::FunctionRef<absl::Status()> step);
  jetstream::JetStreamLogOptions LogOptions(cluster::PartitionId p) const;

  const cluster::ClusterMap map_;
  const cluster::NodeId id_;
  const ClusterNodeOptions options_;
  std::vector<cluster::PartitionId> owned_;
  std::unique_ptr<jetstream::Connection> connection_;
  // Every partition's stream, for the scopes' derived events.
  std::vector<std::unique_ptr<jetstream::JetStreamLog>> publishers_;
  std::vector<Partition> parts_;  // by partition; empty where another node owns it
  std::vector<std::unique_ptr<ClusterTokens>> tokens_;  // by partition
  // The other nodes'.
  absl::flat_hash_map<cluster::NodeId, std::shared_ptr<grpc::Channel>> channels_;
  absl::flat_hash_map<cluster::NodeId, std::unique_ptr<::roost::v1::Partitions::Stub>> peers_;
  std::unique_ptr<ThreadPool> readers_;
  std::unique_ptr<ThreadPool> local_work_;
  mutable std::atomic<uint64_t> forwarded_{0};
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_CLUSTER_NODE_H_
