// The pipeline's fanout (see pipeline.h). Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_FANOUT_BOLT_H_
#define ROOST_INGEST_PIPELINE_FANOUT_BOLT_H_

#include <vector>

#include "common/metrics.h"
#include "graph/graph_store.h"
#include "ingest/pipeline_tuples.h"
#include "timelines/home_timelines.h"
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
class FanoutBolt : public topology::Bolt {
 public:
  // `timeline_writers`: the parallelism of the timeline bolt, which batches are made for.
  FanoutBolt(graph::GraphStore* graph, timelines::HomeTimelines* timelines, int timeline_writers,
             uint64_t read_threshold, MetricsRegistry* metrics);
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;

 private:
  // A delivery batch holds at most this many users.
  static constexpr size_t kChunkUsers = 4096;

  // Emits `work`'s entry to `audience`, per timeline writer and in chunks.
  void Emit(const FanoutWork& work, absl::Span<const UserId> audience, bool mark_pulled,
            topology::Emitter& out);

  graph::GraphStore* const graph_;
  timelines::HomeTimelines* const timelines_;
  const int timeline_writers_;
  const uint64_t read_threshold_;
  Counter* deliveries_ = nullptr;
  std::vector<std::vector<UserId>> by_shard_;  // Emit's scratch
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_FANOUT_BOLT_H_
