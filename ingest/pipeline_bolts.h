// The pipeline's spout and bolts (see pipeline.h for how they connect and why).
// Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_BOLTS_H_
#define ROOST_INGEST_PIPELINE_BOLTS_H_

#include <memory>
#include <optional>
#include <vector>

#include "common/metrics.h"
#include "graph/graph_store.h"
#include "ingest/log/log.h"
#include "ingest/log/log_reader.h"
#include "ingest/pipeline_tuples.h"
#include "ingest/topology/component.h"
#include "timelines/home_timelines.h"
#include "tweetstore/tweet_store.h"

namespace roost::ingest {

// Reads durable log records from a start offset and emits each decoded event on the
// stream of the store that applies it.
//
// A read that fails with UNAVAILABLE (EIO: the device failed, perhaps for a moment)
// is retried every 10 ms rather than stopping the pipeline: the records are durable
// and the reader resumes where it was. Corruption (DATA_LOSS) stops the pipeline.
class LogSpout : public topology::Spout {
 public:
  // `metrics` (may be null) gets the counter pipeline.log_read_errors.
  LogSpout(log::Log* log, LogOffset start, MetricsRegistry* metrics)
      : log_(log),
        start_(start),
        read_errors_(metrics != nullptr ? metrics->GetCounter("pipeline.log_read_errors")
                                        : nullptr) {}
  absl::Status Open(const topology::TaskContext& context) override;
  absl::Status NextBatch(absl::Time deadline, topology::SpoutCollector& out) override;

 private:
  log::Log* const log_;
  const LogOffset start_;
  Counter* const read_errors_;
  bool reported_read_error_ = false;  // since the last good read
  std::unique_ptr<log::LogReader> reader_;
  std::vector<log::LogRecord> batch_;
};

// Writes posts and deletes to the tweet store, then hands them to fanout.
class TweetBolt : public topology::Bolt {
 public:
  explicit TweetBolt(tweets::TweetStore* store) : store_(store) {}
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;

 private:
  tweets::TweetStore* const store_;
};

// Told which mass updates are in progress, so that the pipeline's applied offset
// stays below each until it is done, home timelines included. Called on the bolts'
// threads: each graph writer starts and finishes its own share of a mass update, and
// the timeline work its slices emit (which is anchored to no input) is counted out by
// the graph writer before it is emitted and back in by the timeline writers.
class MassJobListener {
 public:
  virtual ~MassJobListener() = default;
  virtual void MassJobStarted(LogOffset offset) = 0;
  virtual void MassJobFinished(LogOffset offset) = 0;
  virtual void MassWorkEmitted(LogOffset offset) = 0;
  virtual void MassWorkDone(LogOffset offset) = 0;
};

// Applies edge changes (and a block's removal of follows both ways) to the graph,
// then hands what they change in home timelines to fanout (follows, blocks and mutes
// that started or ended).
//
// A mass change (archive, unarchive, remove-all of a user's edges) can touch millions
// of edges, so it is not applied in Execute: Execute records it in the store as a
// pending job and acknowledges it, and Background carries it out in slices between
// other inputs, so other users' writes wait for a slice, never for the whole job. A
// restart resumes recorded jobs. Every pair still sees its writes in log order: a
// write to a pair that a pending job will reach first applies the job to that pair.
class GraphBolt : public topology::Bolt {
 public:
  // `listener` may be null.
  GraphBolt(graph::GraphStore* store, MassJobListener* listener)
      : store_(store), listener_(listener) {}
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
  struct PendingJob {
    graph::MassJob job;
    graph::MassCursor cursor;
    // The record of a pipeline with another number of writers this share was split
    // from; cleared with the share.
    std::optional<graph::MassJob> split_from;
  };

  // Applies the edge writes of inputs[begin, end) (none a mass change) in one call.
  absl::Status ApplyRun(absl::Span<const topology::Tuple* const> inputs,
                        absl::Span<topology::Emitter* const> outs, size_t begin, size_t end);
  // Applies, ahead of run_writes_, each pending job to the pairs of the run it touches.
  absl::Status ApplyPendingJobsToRun(absl::Span<const topology::Tuple* const> inputs,
                                     absl::Span<topology::Emitter* const> outs);
  absl::Status RecordJob(const topology::Tuple& input);

  graph::GraphStore* const store_;
  MassJobListener* const listener_;
  graph::SourceFilter owned_sources_;  // the sources fields grouping routes here
  uint32_t owner_ = 0;                 // names this writer's share of mass jobs
  std::vector<PendingJob> jobs_;       // in log order; the first is carried out
  std::vector<graph::EdgeWrite> run_writes_;  // ApplyRun's scratch: the run's writes
  std::vector<size_t> run_owner_;             // and the input each came from
};

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
  FanoutBolt(graph::GraphStore* graph, timelines::HomeTimelines* timelines,
             int timeline_writers, uint64_t read_threshold, MetricsRegistry* metrics);
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

// Applies timeline batches to the shards it owns.
class TimelineBolt : public topology::Bolt {
 public:
  // `listener` and `metrics` may be null.
  TimelineBolt(timelines::HomeTimelines* timelines, MassJobListener* listener,
               MetricsRegistry* metrics);
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;

 private:
  timelines::HomeTimelines* const timelines_;
  MassJobListener* const listener_;
  Counter* inserted_ = nullptr;  // entries that landed in materialized timelines
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_BOLTS_H_
