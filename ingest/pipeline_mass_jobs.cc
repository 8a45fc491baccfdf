#include "ingest/pipeline_mass_jobs.h"

#include <cstdio>
#include <utility>

#include "common/status_macros.h"

namespace roost::ingest {

absl::Status MassJobQueue::Resume(int index, int parallelism, graph::SourceFilter owned) {
  owned_ = std::move(owned);
  const auto writers = static_cast<uint32_t>(parallelism);
  owner_ = (writers << 16) | static_cast<uint32_t>(index);
  ASSIGN_OR_RETURN(std::vector<graph::MassJob> pending, store_->PendingMassJobs());
  for (const graph::MassJob& job : pending) {
    const bool orphan = (job.owner >> 16) != writers;
    if ((job.owner != owner_ && !orphan) || Has(job.offset)) continue;
    graph::MassJob mine = job;
    mine.owner = owner_;
    if (orphan) RETURN_IF_ERROR(store_->RecordMassJob(mine));
    jobs_.push_back(
        PendingJob{mine, {}, orphan ? std::optional<graph::MassJob>(job) : std::nullopt});
    if (listener_ != nullptr) listener_->MassJobStarted(job.offset);
  }
  return absl::OkStatus();
}

absl::Status MassJobQueue::Record(const graph::MassSpec& spec, LogOffset offset) {
  if (Has(offset)) return absl::OkStatus();  // resumed already
  graph::MassJob job;
  job.spec = spec;
  job.offset = offset;
  job.owner = owner_;
  // Recorded before the event is acknowledged: the committed offset that passes it is
  // persisted to the same store later, so a restart finds one or the other.
  RETURN_IF_ERROR(store_->RecordMassJob(job));
  jobs_.push_back(PendingJob{job, {}, std::nullopt});
  if (listener_ != nullptr) listener_->MassJobStarted(offset);
  return absl::OkStatus();
}

absl::Status MassJobQueue::ApplyToWrites(
    absl::Span<const graph::EdgeWrite> writes, absl::Span<const LogOffset> offsets,
    absl::FunctionRef<void(const graph::EdgeChange&, size_t)> on_change) {
  std::vector<std::pair<UserId, UserId>> pairs;
  std::vector<size_t> pair_write;
  for (const PendingJob& pending : jobs_) {  // in log order, as the jobs were asked
    const graph::MassSpec& spec = pending.job.spec;
    pairs.clear();
    pair_write.clear();
    for (size_t k = 0; k < writes.size(); ++k) {
      const graph::EdgeWrite& w = writes[k];
      if (w.graph != spec.graph || (w.source != spec.user && w.destination != spec.user)) continue;
      if (offsets[k] < pending.job.offset) continue;  // older than the job
      pairs.emplace_back(w.source, w.destination);
      pair_write.push_back(k);
    }
    if (pairs.empty()) continue;
    ASSIGN_OR_RETURN(std::vector<graph::EdgeChange> changes, store_->MassUpdatePairs(spec, pairs));
    for (const graph::EdgeChange& change : changes) on_change(change, pair_write[change.write]);
  }
  return absl::OkStatus();
}

bool MassJobQueue::Step(size_t max_edges, OnChange on_change) {
  if (jobs_.empty()) return false;
  PendingJob& pending = jobs_.front();
  const LogOffset offset = pending.job.offset;
  absl::StatusOr<bool> done =
      store_->MassUpdateSlice(pending.job.spec, owned_, max_edges, &pending.cursor,
                              [&](absl::Span<const graph::EdgeChange> changes) {
                                for (const graph::EdgeChange& change : changes)
                                  on_change(change, offset);
                              });
  if (!done.ok()) {
    // The cursor covers only what was committed; the next Step retries.
    std::fprintf(stderr, "roost graph: mass update of the event at log offset %llu: %s\n",
                 static_cast<unsigned long long>(offset), done.status().ToString().c_str());
    return false;
  }
  if (*done) Finish();
  return !jobs_.empty();
}

void MassJobQueue::Finish() {
  const PendingJob& pending = jobs_.front();
  // Should the record outlive the job, a restart runs the job again, which changes
  // nothing that later writes did not.
  absl::Status cleared = store_->FinishMassJob(pending.job);
  if (cleared.ok() && pending.split_from.has_value()) {
    cleared = store_->FinishMassJob(*pending.split_from);
  }
  if (!cleared.ok()) {
    std::fprintf(stderr, "roost graph: clearing a finished mass job: %s\n",
                 cleared.ToString().c_str());
  }
  const LogOffset offset = pending.job.offset;
  jobs_.erase(jobs_.begin());
  if (listener_ != nullptr) listener_->MassJobFinished(offset);
}

std::vector<LogOffset> MassJobQueue::offsets() const {
  std::vector<LogOffset> out;
  for (const PendingJob& pending : jobs_) out.push_back(pending.job.offset);
  return out;
}

bool MassJobQueue::Has(LogOffset offset) const {
  for (const PendingJob& pending : jobs_) {
    if (pending.job.offset == offset) return true;
  }
  return false;
}

}  // namespace roost::ingest
