#include "ingest/pipeline_bolts.h"

#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "ingest/pipeline_tuples.h"
#include "ingest/topology/grouping.h"

namespace roost::ingest {
namespace {

// The proto enums share their numbers with the stores' (roost.proto), so a cast is
// exact once the value is known to be in range; the handlers validated it before the
// append.
graph::EdgeState ToState(roost::v1::EdgeState state) {
  return static_cast<graph::EdgeState>(state);
}

timelines::Entry EntryFor(const events::TweetPosted& post) {
  return timelines::Entry{post.tweet_id(), post.author_id(),
                          EntryFlags(post.reply_to_id(), post.retweet_of_id())};
}

}  // namespace

absl::Status LogSpout::Open(const topology::TaskContext& context) {
  ASSIGN_OR_RETURN(reader_, log_->NewReader(start_));
  return absl::OkStatus();
}

namespace {

// Splits a graph event into the tasks of the writer instances that own its sources.
std::vector<GraphTask> GraphTasksFor(const EventPtr& event) {
  const uint64_t time = event->event_id();
  const events::EdgeChanged& e = event->edge_changed();
  const graph::GraphId g = static_cast<graph::GraphId>(e.graph());
  GraphTask forward{e.source_id(), event,
                    {{g, e.source_id(), e.destination_id(), ToState(e.state()), time, time}}};
  if (g != graph::kBlocks || e.state() != roost::v1::NORMAL) return {std::move(forward)};
  // A block ends the follows between the two users, both ways, at the same time.
  forward.writes.push_back({graph::kFollows, e.source_id(), e.destination_id(),
                            graph::EdgeState::kRemoved, time, time});
  GraphTask backward{e.destination_id(), event,
                     {{graph::kFollows, e.destination_id(), e.source_id(),
                       graph::EdgeState::kRemoved, time, time}}};
  return {std::move(forward), std::move(backward)};
}

}  // namespace

absl::Status LogSpout::NextBatch(absl::Time deadline, topology::SpoutCollector& out) {
  batch_.clear();
  RETURN_IF_ERROR(reader_->ReadBatch(/*max_records=*/512, deadline, &batch_));
  for (log::LogRecord& record : batch_) {
    auto event = std::make_shared<events::Event>();
    if (!event->ParseFromString(record.payload)) {
      return absl::DataLossError(
          absl::StrCat("log record at offset ", record.offset, " is not a valid event"));
    }
    if (event->has_tweet_posted() || event->has_tweet_deleted()) {
      out.Emit(record.offset, kTweetEvents, EventPtr(std::move(event)));
    } else if (event->has_edges_mass_changed()) {
      const UserId user = event->edges_mass_changed().user_id();
      out.Emit(record.offset, kGraphMassEvents, GraphTask{user, std::move(event), {}});
    } else if (event->has_edge_changed()) {
      for (GraphTask& task : GraphTasksFor(std::move(event))) {
        out.Emit(record.offset, kGraphEvents, std::move(task));
      }
    } else {
      return absl::DataLossError(
          absl::StrCat("log record at offset ", record.offset, " holds an unknown event"));
    }
  }
  return absl::OkStatus();
}

absl::Status TweetBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const events::Event& event = *std::any_cast<const EventPtr&>(input.value);
  if (event.has_tweet_posted()) {
    const events::TweetPosted& post = event.tweet_posted();
    tweets::Tweet tweet;
    tweet.id = post.tweet_id();
    tweet.author = post.author_id();
    tweet.text = post.text();
    tweet.created_at_ms = post.created_at_ms();
    tweet.reply_to = post.reply_to_id();
    tweet.retweet_of = post.retweet_of_id();
    RETURN_IF_ERROR(store_->Put(tweet, post.request_id(), input.offset));
    // Delivered even when Put was a replayed no-op: timeline inserts are idempotent.
    out.Emit(0, FanoutWork{FanoutWork::Kind::kDeliver, post.author_id(), 0, EntryFor(post)});
  } else if (event.has_tweet_deleted()) {
    const events::TweetDeleted& del = event.tweet_deleted();
    const absl::Status status = store_->Delete(del.tweet_id());
    if (!status.ok() && !absl::IsNotFound(status)) return status;
    out.Emit(0, FanoutWork{FanoutWork::Kind::kRetract, del.author_id(), 0,
                           timelines::Entry{del.tweet_id(), del.author_id(), 0}});
  }
  return absl::OkStatus();
}

absl::Status GraphBolt::Prepare(const topology::TaskContext& context) {
  owned_sources_ = [index = context.task_index, parallelism = context.parallelism](UserId s) {
    return topology::FieldsInstance(s, parallelism) == index;
  };
  return absl::OkStatus();
}

namespace {

// Emits to fanout a FOLLOWS edge that started or ended. Only FOLLOWS edges feed
// timelines; blocks and mutes filter at read time, and a block's effect on follows
// arrives here as FOLLOWS changes.
void EmitFollowChange(const graph::EdgeChange& change, topology::Emitter& out) {
  if (change.after.graph != graph::kFollows) return;
  const bool was = change.before.has_value() && change.before->state == graph::EdgeState::kNormal;
  const bool is = change.after.state == graph::EdgeState::kNormal;
  if (was == is) return;
  out.Emit(0, FanoutWork{is ? FanoutWork::Kind::kFollow : FanoutWork::Kind::kUnfollow,
                         change.after.destination, change.after.source, {}});
}

}  // namespace

absl::Status GraphBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const GraphTask& task = std::any_cast<const GraphTask&>(input.value);
  if (!task.writes.empty()) {
    const topology::Tuple* const inputs[] = {&input};
    topology::Emitter* const outs[] = {&out};
    return ApplyRun(inputs, outs, 0, 1);
  }
  const events::EdgesMassChanged& m = task.event->edges_mass_changed();
  graph::StateMask from = 0;
  for (int s : m.from_states()) from |= graph::StateBit(ToState(roost::v1::EdgeState(s)));
  // Each committed chunk's changes go out at once: if a later chunk fails, the retry
  // finds those edges already moved and reports nothing for them.
  return store_->MassUpdate(static_cast<graph::GraphId>(m.graph()), m.user_id(), from,
                            ToState(m.to_state()), task.event->event_id(), owned_sources_,
                            [&out](absl::Span<const graph::EdgeChange> changes) {
                              for (const auto& change : changes) EmitFollowChange(change, out);
                            });
}

absl::Status GraphBolt::ExecuteBatch(absl::Span<const topology::Tuple* const> inputs,
                                     absl::Span<topology::Emitter* const> outs) {
  // Runs of edge writes between mass changes, each applied in order, keep every
  // pair's writes in arrival order (the store decides a later write against an
  // earlier one of the same call).
  size_t run_begin = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!std::any_cast<const GraphTask&>(inputs[i]->value).writes.empty()) continue;
    RETURN_IF_ERROR(ApplyRun(inputs, outs, run_begin, i));
    RETURN_IF_ERROR(Execute(*inputs[i], *outs[i]));
    run_begin = i + 1;
  }
  return ApplyRun(inputs, outs, run_begin, inputs.size());
}

absl::Status GraphBolt::ApplyRun(absl::Span<const topology::Tuple* const> inputs,
                                 absl::Span<topology::Emitter* const> outs, size_t begin,
                                 size_t end) {
  if (begin == end) return absl::OkStatus();
  run_writes_.clear();
  run_owner_.clear();
  for (size_t i = begin; i < end; ++i) {
    for (const graph::EdgeWrite& w : std::any_cast<const GraphTask&>(inputs[i]->value).writes) {
      run_writes_.push_back(w);
      run_owner_.push_back(i);
    }
  }
  ASSIGN_OR_RETURN(std::vector<graph::EdgeChange> changes, store_->Apply(run_writes_));
  for (const graph::EdgeChange& change : changes) {
    EmitFollowChange(change, *outs[run_owner_[change.write]]);
  }
  return absl::OkStatus();
}

FanoutBolt::FanoutBolt(graph::GraphStore* graph, const timelines::HomeTimelines* timelines,
                       MetricsRegistry* metrics)
    : graph_(graph), timelines_(timelines) {
  if (metrics != nullptr) deliveries_ = metrics->GetCounter("pipeline.fanout.deliveries");
}

absl::Status FanoutBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const FanoutWork& work = std::any_cast<const FanoutWork&>(input.value);
  if (work.kind == FanoutWork::Kind::kFollow || work.kind == FanoutWork::Kind::kUnfollow) {
    TimelineOp op;
    op.kind = work.kind == FanoutWork::Kind::kFollow ? TimelineOp::Kind::kMergeAuthor
                                                     : TimelineOp::Kind::kRemoveAuthor;
    op.user = work.follower;
    op.author = work.author;
    out.Emit(0, TimelineBatch{timelines_->ShardOf(work.follower), {op}});
    return absl::OkStatus();
  }

  // The follower list is read now, after the tweet store holds the tweet (see
  // pipeline.h), and includes the author's own timeline.
  ASSIGN_OR_RETURN(std::vector<UserId> audience,
                   graph_->SelectAll(graph::kFollows, work.author, graph::Direction::kBackward,
                                     graph::kNormalOnly));
  audience.push_back(work.author);

  absl::flat_hash_map<int, TimelineBatch> by_shard;
  TimelineOp op;
  op.kind = work.kind == FanoutWork::Kind::kDeliver ? TimelineOp::Kind::kInsert
                                                    : TimelineOp::Kind::kRemoveTweet;
  op.entry = work.entry;
  for (UserId user : audience) {
    const int shard = timelines_->ShardOf(user);
    TimelineBatch& batch = by_shard[shard];
    batch.shard = shard;
    op.user = user;
    batch.ops.push_back(op);
  }
  for (auto& [shard, batch] : by_shard) out.Emit(0, std::move(batch));
  if (deliveries_ != nullptr) deliveries_->Add(static_cast<int64_t>(audience.size()));
  return absl::OkStatus();
}

absl::Status TimelineBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const TimelineBatch& batch = std::any_cast<const TimelineBatch&>(input.value);
  // Every operation is idempotent, so a retried batch may safely re-apply its prefix.
  for (const TimelineOp& op : batch.ops) {
    switch (op.kind) {
      case TimelineOp::Kind::kInsert:
        timelines_->Insert(op.user, op.entry);
        break;
      case TimelineOp::Kind::kRemoveTweet:
        timelines_->RemoveTweet(op.user, op.entry.id);
        break;
      case TimelineOp::Kind::kRemoveAuthor:
        timelines_->RemoveAuthor(op.user, op.author);
        break;
      case TimelineOp::Kind::kMergeAuthor:
        RETURN_IF_ERROR(timelines_->MergeAuthor(op.user, op.author));
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace roost::ingest
