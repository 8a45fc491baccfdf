// The pipeline's graph writer (see pipeline.h). Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_GRAPH_BOLT_H_
#define ROOST_INGEST_PIPELINE_GRAPH_BOLT_H_

#include <vector>

#include "graph/graph_store.h"
#include "ingest/pipeline_mass_jobs.h"
#include "ingest/pipeline_tuples.h"
#include "topology/component.h"
#include "tweetstore/tweet_copies.h"
#include "tweetstore/tweet_store.h"

namespace roost::ingest {

// Applies edge changes (and a block's removal of follows both ways) to the graph,
// then hands what they change in home timelines to fanout (follows, blocks and mutes
// that started or ended).
//
// A mass change (archive, unarchive, remove-all of a user's edges) is not applied in
// Execute: Execute records it as a pending job of the writer's MassJobQueue
// (pipeline_mass_jobs.h) and acknowledges it, and Background carries it out in slices
// between other inputs, so other users' writes wait for a slice, never for the whole
// job.
//
// In a cluster, events other partitions derived for this one's users (GraphTask) come
// here too, in their place among the writes: a delivery goes on to fanout for those of
// its users who follow its author now, an author shown as it is (the timelines check it),
// both once the pending mass jobs have reached the pairs they depend on.
// A retraction leaves a tombstone of the tweet in this partition's tweet store, and
// deliveries and authors shown leave out tweets with one: what another partition
// derives may arrive after the retraction of the same tweet (derived again when that
// partition replays its stream, and decided against its stores as they are then).
// A delivery's copy of its tweet is kept in `copies`, and a retraction drops it, so
// the partition hydrates its users' homes from its own memory.
class GraphBolt : public topology::Bolt {
 public:
  // `listener` may be null; so may `tweets` and `copies` on a single node (no derived
  // events).
  GraphBolt(graph::GraphStore* store, tweetstore::TweetStore* tweets,
            tweetstore::TweetCopies* copies, MassJobListener* listener)
      : store_(store),
        tweets_(tweets),
        copies_(copies),
        listener_(listener),
        jobs_(store, listener) {}
  absl::Status Prepare(const topology::TaskContext& context) override;
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;
  // Applies each run of edge writes in one store write (one WriteBatch, one pass of
  // the counters), which is what lets a rebuild or a follow storm go faster than one
  // RocksDB write per edge; a mass change is recorded in its place.
  bool ExecutesBatches() const override { return true; }
  absl::Status ExecuteBatch(absl::Span<const topology::Tuple* const> inputs,
                            absl::Span<topology::Emitter* const> outs) override;
  // One slice of the oldest pending mass job.
  bool Background(topology::Emitter& out) override;

  // List entries one Background call handles: about 2 ms of work (a mass change
  // runs at about 50k edges/s, timeline work included), which is what other input
  // to this writer may wait. Measured with pipeline_bench's BM_MassArchive at 50k
  // followers (the paced writes' lag to processed while it runs, p50/p99): 200
  // entries 5.4/11.1 ms, 100 3.3/7.3 ms, at the same mass rate within noise.
  static constexpr size_t kMassSliceEdges = 100;

 private:
  // Applies the edge writes of inputs[begin, end) (none a mass change) in one call.
  absl::Status ApplyRun(absl::Span<const topology::Tuple* const> inputs,
                        absl::Span<topology::Emitter* const> outs, size_t begin, size_t end);
  absl::Status RecordJob(const topology::Tuple& input);
  // `task`, a derived event at `offset`, after CatchUpPairs.
  absl::Status EmitDerivedHome(const GraphTask& task, LogOffset offset, topology::Emitter& out);
  // Applies the pending mass jobs older than `offset` to the pairs whose state `task`
  // depends on, as they are applied to an edge write's pair: the partition where the
  // event was derived may have finished the same mass change already (its tweets or
  // its follower list reflect it), and the event must be judged against the state the
  // log's order gives, not against how far this partition's job has got.
  absl::Status CatchUpPairs(const GraphTask& task, LogOffset offset, topology::Emitter& out);
  // Whether this partition holds a tombstone of each tweet of `ids`.
  absl::StatusOr<std::vector<bool>> Retracted(absl::Span<const TweetId> ids);

  graph::GraphStore* const store_;
  tweetstore::TweetStore* const tweets_;
  tweetstore::TweetCopies* const copies_;
  MassJobListener* const listener_;
  MassJobQueue jobs_;
  std::vector<graph::EdgeWrite> run_writes_;  // ApplyRun's scratch: the run's writes,
  std::vector<size_t> run_owner_;             // the input each came from
  std::vector<LogOffset> run_offsets_;        // and that input's offset
  std::vector<graph::EdgeWrite> pair_writes_;  // CatchUpPairs' scratch
  std::vector<LogOffset> pair_offsets_;
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_GRAPH_BOLT_H_
