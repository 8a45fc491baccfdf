// The pipeline's spout (see pipeline.h). Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_LOG_SPOUT_H_
#define ROOST_INGEST_PIPELINE_LOG_SPOUT_H_

#include <memory>
#include <vector>

#include "common/metrics.h"
#include "ingest/partition_scope.h"
#include "ingest/pipeline_tuples.h"
#include "log/log.h"
#include "log/log_reader.h"
#include "topology/component.h"

namespace roost::ingest {

// Reads durable log records from a start offset and emits each decoded event on the
// stream of the store that applies it.
//
// A read that fails with UNAVAILABLE (EIO: the device failed, perhaps for a moment)
// is retried every 10 ms rather than stopping the pipeline: the records are durable
// and the reader resumes where it was. Corruption (DATA_LOSS) stops the pipeline.
class LogSpout : public topology::Spout {
 public:
  // `metrics` (may be null) gets the counter pipeline.log_read_errors. In a cluster,
  // `scope` (else null) is this partition's: the spout copies each client's edge and
  // mass change to the other partitions that keep those edges, and splits derived home
  // events among the `graph_writers` by the users they are for.
  LogSpout(log::Log* log, LogOffset start, MetricsRegistry* metrics,
           PartitionScope* scope = nullptr, int graph_writers = 1)
      : log_(log),
        start_(start),
        read_errors_(metrics != nullptr ? metrics->GetCounter("pipeline.log_read_errors")
                                        : nullptr),
        scope_(scope),
        graph_writers_(graph_writers) {}
  absl::Status Open(const topology::TaskContext& context) override;
  absl::Status NextBatch(absl::Time deadline, topology::SpoutCollector& out) override;

 private:
  // Publishes what a client's event at `offset` changes on other partitions.
  void Derive(LogOffset offset, const roost::v1::events::Event& event);
  void EmitDerivedHome(LogOffset offset, EventPtr event, topology::SpoutCollector& out);

  log::Log* const log_;
  const LogOffset start_;
  Counter* const read_errors_;
  PartitionScope* const scope_;
  const int graph_writers_;
  bool reported_read_error_ = false;  // since the last good read
  std::unique_ptr<log::LogReader> reader_;
  std::vector<log::LogRecord> batch_;
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_LOG_SPOUT_H_
