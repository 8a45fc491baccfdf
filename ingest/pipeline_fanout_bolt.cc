#include "ingest/pipeline_fanout_bolt.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "topology/grouping.h"

namespace roost::ingest {

FanoutBolt::FanoutBolt(const Parts& parts, int timeline_writers, uint64_t read_threshold)
    : graph_(parts.graph),
      timelines_(parts.timelines),
      scope_(parts.scope),
      source_(parts.source),
      listener_(parts.listener),
      timeline_writers_(std::max(timeline_writers, 1)),
      read_threshold_(parts.scope != nullptr ? 0 : read_threshold) {
  if (parts.metrics != nullptr) {
    deliveries_ = parts.metrics->GetCounter("pipeline.fanout.deliveries");
  }
}

absl::Status FanoutBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const FanoutWork& work = kFanoutWork.Get(input);
  using Kind = FanoutWork::Kind;
  switch (work.kind) {
    case Kind::kDeliver:
    case Kind::kRetract:
      return FanOut(work, input.offset, out);
    case Kind::kDeliverTo:
    case Kind::kRetractTo:
      Emit(work, work.audience, false, out);
      return absl::OkStatus();
    case Kind::kShow:
    case Kind::kUnfollow:
    case Kind::kHide:
    case Kind::kShowWith:
      break;
  }
  if (scope_ != nullptr && !scope_->IsLocal(work.user)) return DeriveForUser(work, input.offset);
  if (scope_ != nullptr && work.kind == Kind::kShow && !scope_->IsLocal(work.author)) {
    Done(work);  // the author's partition sends its tweets (an author shown)
    return absl::OkStatus();
  }
  EmitOp(work, out);
  return absl::OkStatus();
}

void FanoutBolt::EmitOp(const FanoutWork& work, topology::Emitter& out) {
  TimelineOp op;
  switch (work.kind) {
    case FanoutWork::Kind::kShow:
      op.kind = TimelineOp::Kind::kShow;
      break;
    case FanoutWork::Kind::kUnfollow:
      op.kind = TimelineOp::Kind::kUnfollow;
      break;
    case FanoutWork::Kind::kShowWith:
      op.kind = TimelineOp::Kind::kShowWith;
      op.shown = work.shown;
      break;
    default:
      op.kind = TimelineOp::Kind::kHide;
      break;
  }
  op.user = work.user;
  op.author = work.author;
  TimelineBatch batch;
  batch.shard = timelines_->ShardOf(work.user);
  batch.ops.push_back(std::move(op));
  batch.mass_job = work.mass_job;
  kTimelineBatches.Emit(out, std::move(batch));
}

absl::Status FanoutBolt::FanOut(const FanoutWork& work, LogOffset offset, topology::Emitter& out) {
  bool mark_pulled = false;
  if (work.kind == FanoutWork::Kind::kDeliver && read_threshold_ > 0) {
    ASSIGN_OR_RETURN(const uint64_t followers,
                     graph_->Count(graph::kFollows, work.author, graph::Direction::kBackward,
                                   graph::kNormalOnly));
    if (followers > read_threshold_) {
      if (timelines_->IsPulled(work.author)) {
        timelines_->Pull(work.entry);
        Emit(work, absl::MakeConstSpan(&work.author, 1), false, out);
        return absl::OkStatus();
      }
      mark_pulled = true;  // the first: pushed to all, marking them
    }
  }
  if (work.kind == FanoutWork::Kind::kRetract) {
    RETURN_IF_ERROR(timelines_->Unpull(work.author, work.entry.id));
  }

  // The follower list is read now, after the tweet store holds the tweet (see
  // pipeline.h), and includes the author's own timeline. (A retraction goes to every
  // follower, pulled author or not: rebuilds and follows merge pulled tweets into
  // timelines too.)
  ASSIGN_OR_RETURN(std::vector<UserId> audience,
                   graph_->SelectAll(graph::kFollows, work.author, graph::Direction::kBackward,
                                     graph::kNormalOnly));
  audience.push_back(work.author);
  if (scope_ != nullptr) PublishDeliveries(work, offset, audience);
  Emit(work, audience, mark_pulled, out);
  // Only now, with nothing left to fail: a retried Execute must find the author not yet
  // pulled, or its followers would never be marked.
  if (mark_pulled) timelines_->Pull(work.entry);
  return absl::OkStatus();
}

void FanoutBolt::Emit(const FanoutWork& work, absl::Span<const UserId> audience, bool mark_pulled,
                      topology::Emitter& out) {
  // By shard, then one batch per timeline writer holding runs for each of its shards:
  // a tweet to 25 followers spread over 16 shards is 2 tuples, not 16. A large audience
  // is cut into batches of at most kChunkUsers, so it is spread over every writer and
  // no batch holds one long while other authors' tweets wait behind it.
  const int shards = timelines_->shard_count();
  by_shard_.resize(static_cast<size_t>(shards));
  for (UserId user : audience)
    by_shard_[static_cast<size_t>(timelines_->ShardOf(user))].push_back(user);
  std::vector<TimelineBatch> batches(static_cast<size_t>(timeline_writers_));
  const auto emit = [&](TimelineBatch& batch) {
    batch.retract =
        work.kind == FanoutWork::Kind::kRetract || work.kind == FanoutWork::Kind::kRetractTo;
    batch.mark_pulled = mark_pulled;
    batch.entry = work.entry;
    kTimelineBatches.Emit(out, std::move(batch));
    batch = TimelineBatch{};
  };
  for (int shard = 0; shard < shards; ++shard) {
    std::vector<UserId>& users = by_shard_[static_cast<size_t>(shard)];
    TimelineBatch& batch = batches[static_cast<size_t>(
        topology::FieldsInstance(static_cast<uint64_t>(shard), timeline_writers_))];
    for (size_t done = 0; done < users.size();) {
      if (batch.users.size() == kChunkUsers) emit(batch);
      const size_t n = std::min(users.size() - done, kChunkUsers - batch.users.size());
      if (batch.runs.empty()) batch.shard = shard;
      batch.runs.push_back({shard, static_cast<uint32_t>(n)});
      batch.users.insert(batch.users.end(), users.begin() + static_cast<ptrdiff_t>(done),
                         users.begin() + static_cast<ptrdiff_t>(done + n));
      done += n;
    }
    users.clear();
  }
  for (TimelineBatch& batch : batches) {
    if (!batch.users.empty()) emit(batch);
  }
  if (deliveries_ != nullptr) deliveries_->Add(static_cast<int64_t>(audience.size()));
}

}  // namespace roost::ingest
