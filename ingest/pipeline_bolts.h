// The pipeline's spout and bolts (see pipeline.h for how they connect and why).
// Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_BOLTS_H_
#define ROOST_INGEST_PIPELINE_BOLTS_H_

#include <memory>
#include <vector>

#include "common/metrics.h"
#include "graph/graph_store.h"
#include "ingest/log/log.h"
#include "ingest/log/log_reader.h"
#include "ingest/topology/component.h"
#include "timelines/home_timelines.h"
#include "tweetstore/tweet_store.h"

namespace roost::ingest {

// Reads durable log records from a start offset and emits each decoded event on the
// stream of the store that applies it.
class LogSpout : public topology::Spout {
 public:
  LogSpout(log::Log* log, LogOffset start) : log_(log), start_(start) {}
  absl::Status Open(const topology::TaskContext& context) override;
  absl::Status NextBatch(absl::Time deadline, topology::SpoutCollector& out) override;

 private:
  log::Log* const log_;
  const LogOffset start_;
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

// Applies edge changes (and a block's removal of follows both ways) to the graph,
// then hands the follows that started or ended to fanout.
class GraphBolt : public topology::Bolt {
 public:
  explicit GraphBolt(graph::GraphStore* store) : store_(store) {}
  absl::Status Prepare(const topology::TaskContext& context) override;
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;
  // Applies each run of edge writes in one store write (one WriteBatch, one pass of
  // the counters), which is what lets a rebuild or a follow storm go faster than one
  // RocksDB write per edge; a mass change is applied on its own, in its place.
  bool ExecutesBatches() const override { return true; }
  absl::Status ExecuteBatch(absl::Span<const topology::Tuple* const> inputs,
                            absl::Span<topology::Emitter* const> outs) override;

 private:
  // Applies the edge writes of inputs[begin, end) (none a mass change) in one call.
  absl::Status ApplyRun(absl::Span<const topology::Tuple* const> inputs,
                        absl::Span<topology::Emitter* const> outs, size_t begin, size_t end);

  graph::GraphStore* const store_;
  graph::SourceFilter owned_sources_;  // the sources fields grouping routes here
  std::vector<graph::EdgeWrite> run_writes_;  // ApplyRun's scratch: the run's writes
  std::vector<size_t> run_owner_;             // and the input each came from
};

// Turns FanoutWork into per-shard timeline batches, reading followers from the graph.
class FanoutBolt : public topology::Bolt {
 public:
  FanoutBolt(graph::GraphStore* graph, const timelines::HomeTimelines* timelines,
             MetricsRegistry* metrics);
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;

 private:
  graph::GraphStore* const graph_;
  const timelines::HomeTimelines* const timelines_;
  Counter* deliveries_ = nullptr;
};

// Applies timeline batches to the shards it owns.
class TimelineBolt : public topology::Bolt {
 public:
  explicit TimelineBolt(timelines::HomeTimelines* timelines) : timelines_(timelines) {}
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;

 private:
  timelines::HomeTimelines* const timelines_;
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_BOLTS_H_
