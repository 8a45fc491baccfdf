// MassJobQueue: the mass changes (archive, unarchive, remove-all of a user's edges) one
// graph writer has in progress, carried out in slices between its other inputs.
// Internal to ingest/pipeline*.
//
// A mass change can touch millions of edges, so the graph writer does not apply it
// when it arrives: it records it in the graph store as a pending job (so a restart
// resumes it) and the queue carries it out a slice at a time, oldest job first. Every
// pair still sees its writes in log order: before a write reaches a pair that a
// pending, older job will reach, ApplyToWrites applies the job to that pair.
//
// Each writer owns the sources the pipeline's fields grouping routes to it, and
// carries out its share of every job: a job is recorded under the writer's owner id,
// (parallelism << 16) | index. A job a pipeline with another number of writers left
// is split anew among the writers, and its old record goes once a share is done.
//
// Not thread-safe: one graph writer owns each queue.
#ifndef ROOST_INGEST_PIPELINE_MASS_JOBS_H_
#define ROOST_INGEST_PIPELINE_MASS_JOBS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "graph/graph_store.h"

namespace roost::ingest {

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

class MassJobQueue {
 public:
  // What a change of a job's means to its caller; `job` is the job's log offset.
  using OnChange = absl::FunctionRef<void(const graph::EdgeChange& change, LogOffset job)>;

  // `store` is not owned; `listener` (may be null) hears of every job started and done.
  MassJobQueue(graph::GraphStore* store, MassJobListener* listener)
      : store_(store), listener_(listener) {}

  // Makes this the queue of writer `index` of `parallelism`, owning the sources
  // `owned` accepts, and resumes the jobs a previous run left pending for it (or for
  // a pipeline with another number of writers), in log order. Every writer's Resume
  // must run before any writer's Step, so that no share of a split job is missed.
  absl::Status Resume(int index, int parallelism, graph::SourceFilter owned);

  // Records the mass change `spec` at log offset `offset` as pending, before its event
  // is acknowledged. A job already pending (resumed) is not recorded twice.
  absl::Status Record(const graph::MassSpec& spec, LogOffset offset);

  // Before `writes` are applied: applies each pending job, in log order, to the pairs
  // of `writes` it touches whose write came at or after the job (writes[k] came at
  // offsets[k]). `on_change(change, k)` hears each change, k naming the write.
  absl::Status ApplyToWrites(absl::Span<const graph::EdgeWrite> writes,
                             absl::Span<const LogOffset> offsets,
                             absl::FunctionRef<void(const graph::EdgeChange&, size_t)> on_change);

  // Carries out up to `max_edges` list entries of the oldest job, telling `on_change`
  // what changed; finishes the job (clearing its record) when it is done. Returns
  // whether work remains. A failed slice is logged and retried at the next Step.
  bool Step(size_t max_edges, OnChange on_change);

  bool empty() const { return jobs_.empty(); }
  // The log offsets of the pending jobs, oldest first.
  std::vector<LogOffset> offsets() const;

 private:
  struct PendingJob {
    graph::MassJob job;
    graph::MassCursor cursor;
    // The record of a pipeline with another number of writers this share was split
    // from; cleared with the share.
    std::optional<graph::MassJob> split_from;
  };

  bool Has(LogOffset offset) const;
  void Finish();

  graph::GraphStore* const store_;
  MassJobListener* const listener_;
  graph::SourceFilter owned_;
  uint32_t owner_ = 0;
  std::vector<PendingJob> jobs_;  // in log order; the first is carried out
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_MASS_JOBS_H_
