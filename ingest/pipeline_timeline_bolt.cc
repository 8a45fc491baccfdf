#include "ingest/pipeline_timeline_bolt.h"

#include "common/status_macros.h"
#include "ingest/pipeline_tuples.h"

namespace roost::ingest {

TimelineBolt::TimelineBolt(timelines::HomeTimelines* timelines, MassJobListener* listener,
                           MetricsRegistry* metrics)
    : timelines_(timelines), listener_(listener) {
  if (metrics != nullptr) inserted_ = metrics->GetCounter("pipeline.timelines.inserted");
}

absl::Status TimelineBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const TimelineBatch& batch = kTimelineBatches.Get(input);
  // Every operation is idempotent, so a retried batch may safely re-apply its prefix.
  absl::Span<const UserId> users = batch.users;
  size_t inserted = 0;
  for (const TimelineBatch::Run& run : batch.runs) {
    const absl::Span<const UserId> run_users = users.subspan(0, run.users);
    users.remove_prefix(run.users);
    if (batch.retract) {
      timelines_->Retract(run.shard, batch.entry.id, run_users);
    } else {
      inserted += timelines_->Deliver(run.shard, batch.entry, run_users, batch.mark_pulled);
    }
  }
  if (inserted_ != nullptr && inserted > 0) inserted_->Add(static_cast<int64_t>(inserted));
  for (const TimelineOp& op : batch.ops) {
    switch (op.kind) {
      case TimelineOp::Kind::kShow:
        RETURN_IF_ERROR(timelines_->ShowAuthor(op.user, op.author));
        break;
      case TimelineOp::Kind::kUnfollow:
        timelines_->RemoveAuthor(op.user, op.author);
        break;
      case TimelineOp::Kind::kHide:
        timelines_->HideAuthor(op.user, op.author);
        break;
      case TimelineOp::Kind::kShowWith:
        RETURN_IF_ERROR(timelines_->ShowAuthorWith(op.user, op.author, op.shown));
        break;
    }
  }
  if (batch.mass_job != 0 && listener_ != nullptr) listener_->MassWorkDone(batch.mass_job);
  return absl::OkStatus();
}

}  // namespace roost::ingest
