// The pipeline's fanout (see pipeline.h). Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_FANOUT_BOLT_H_
#define ROOST_INGEST_PIPELINE_FANOUT_BOLT_H_

#include <vector>

#include "common/metrics.h"
#include "graph/graph_store.h"
#include "ingest/partition_scope.h"
#include "ingest/pipeline_mass_jobs.h"
#include "ingest/pipeline_tuples.h"
#include "timelines/home_timelines.h"
#include "timelines/timeline_source.h"
#include "topology/component.h"

namespace roost::ingest {

// Turns FanoutWork into per-shard timeline batches, reading followers from the graph.
// Counts pipeline.fanout.deliveries: the audience of each tweet (followers and author).
//
// Hybrid fanout: a tweet whose author has more than `read_threshold` followers (0: no
// limit) is not pushed to them; it goes to the author's own timeline and to
// HomeTimelines::Pull, and reads of the followers' timelines merge it in. The first
// such tweet of an author is still pushed to every follower, marking the author as one
// to pull in each follower's timeline; the author's follows come through this same
// instance (keyed by author), so a follower is marked by that push or by its follow's
// merge, whichever comes second.
//
// In a cluster (a `scope`), a home timeline is changed only on its user's partition,
// and an author's tweets are read only on the author's: a tweet goes to the followers
// of this partition and, as one home delivery per partition, to the others'; a follow
// (or unmute, unblock) of a local author by another partition's user sends that user's
// partition the author's newest tweets (an author shown). Every partition keeps the
// edge, so each does its part. Hybrid fanout is off in a cluster: every tweet is
// pushed (the pulled authors' lists are read on their own partition only).
class FanoutBolt : public topology::Bolt {
 public:
  struct Parts {
    graph::GraphStore* graph = nullptr;
    timelines::HomeTimelines* timelines = nullptr;
    // In a cluster, the partition's scope, and where an author's newest tweets are
    // read (its store); else null.
    PartitionScope* scope = nullptr;
    timelines::TimelineSource* source = nullptr;
    MassJobListener* listener = nullptr;  // may be null
    MetricsRegistry* metrics = nullptr;   // may be null
  };
  // `timeline_writers`: the parallelism of the timeline bolt, which batches are made for.
  FanoutBolt(const Parts& parts, int timeline_writers, uint64_t read_threshold);
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;

 private:
  // A delivery batch holds at most this many users.
  static constexpr size_t kChunkUsers = 4096;
  // A home delivery for another partition holds at most this many.
  static constexpr size_t kDerivedChunkUsers = 50'000;

  // A tweet (or its deletion) to its author's followers.
  absl::Status FanOut(const FanoutWork& work, LogOffset offset, topology::Emitter& out);
  // A show, unfollow or hide in one user's timeline.
  void EmitOp(const FanoutWork& work, topology::Emitter& out);
  // Cluster: publishes the home deliveries of `audience`'s users on other partitions
  // and keeps this partition's in it.
  void PublishDeliveries(const FanoutWork& work, LogOffset offset, std::vector<UserId>& audience);
  // Cluster: a change to the timeline of another partition's user.
  absl::Status DeriveForUser(const FanoutWork& work, LogOffset offset);
  // Work that emits nothing here: a background slice's share is done.
  void Done(const FanoutWork& work);

  // Emits `work`'s entry to `audience`, per timeline writer and in chunks.
  void Emit(const FanoutWork& work, absl::Span<const UserId> audience, bool mark_pulled,
            topology::Emitter& out);

  graph::GraphStore* const graph_;
  timelines::HomeTimelines* const timelines_;
  PartitionScope* const scope_;
  timelines::TimelineSource* const source_;
  MassJobListener* const listener_;
  const int timeline_writers_;
  const uint64_t read_threshold_;
  Counter* deliveries_ = nullptr;
  std::vector<std::vector<UserId>> by_shard_;  // Emit's scratch
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_FANOUT_BOLT_H_
