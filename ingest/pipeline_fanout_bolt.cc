#include "ingest/pipeline_fanout_bolt.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "topology/grouping.h"

namespace roost::ingest {

FanoutBolt::FanoutBolt(graph::GraphStore* graph, timelines::HomeTimelines* timelines,
                       int timeline_writers, uint64_t read_threshold, MetricsRegistry* metrics)
    : graph_(graph),
      timelines_(timelines),
      timeline_writers_(std::max(timeline_writers, 1)),
      read_threshold_(read_threshold) {
  if (metrics != nullptr) deliveries_ = metrics->GetCounter("pipeline.fanout.deliveries");
}

absl::Status FanoutBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const FanoutWork& work = kFanoutWork.Get(input);
  if (work.kind == FanoutWork::Kind::kShow || work.kind == FanoutWork::Kind::kUnfollow ||
      work.kind == FanoutWork::Kind::kHide) {
    TimelineOp op;
    op.kind = work.kind == FanoutWork::Kind::kShow       ? TimelineOp::Kind::kShow
              : work.kind == FanoutWork::Kind::kUnfollow ? TimelineOp::Kind::kUnfollow
                                                         : TimelineOp::Kind::kHide;
    op.user = work.user;
    op.author = work.author;
    TimelineBatch batch;
    batch.shard = timelines_->ShardOf(work.user);
    batch.ops.push_back(op);
    batch.mass_job = work.mass_job;
    kTimelineBatches.Emit(out, std::move(batch));
    return absl::OkStatus();
  }

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
    batch.retract = work.kind == FanoutWork::Kind::kRetract;
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
