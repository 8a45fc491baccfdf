#include "ingest/pipeline_graph_bolt.h"

#include <optional>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "ingest/pipeline_tuples.h"
#include "topology/grouping.h"

namespace roost::ingest {

absl::Status GraphBolt::Prepare(const topology::TaskContext& context) {
  return jobs_.Resume(context.task_index, context.parallelism,
                      [index = context.task_index, parallelism = context.parallelism](UserId s) {
                        return topology::FieldsInstance(s, parallelism) == index;
                      });
}

namespace {

// Emits to fanout what an edge that entered or left state NORMAL changes in home
// timelines (timelines/home_timelines.h): a follow shows the followee to the follower,
// an unfollow drops it; a mute hides the muted from the muter; a block hides each of
// the two users from the other (the follows it ends come as FOLLOWS changes too). The
// opposite changes show again. Each is keyed by the author, so that fanout orders it
// with the author's tweets.
// A background slice of the mass change at log offset `mass_job` (0: none) counts
// its work out through `listener` first.
void EmitHomeChanges(const graph::EdgeChange& change, topology::Emitter& out,
                     LogOffset mass_job = 0, MassJobListener* listener = nullptr) {
  const graph::Edge& edge = change.after;
  const bool was = change.before.has_value() && change.before->state == graph::EdgeState::kNormal;
  const bool is = edge.state == graph::EdgeState::kNormal;
  if (was == is) return;
  using Kind = FanoutWork::Kind;
  const auto emit = [&](Kind kind, UserId user, UserId author) {
    if (mass_job != 0 && listener != nullptr) listener->MassWorkEmitted(mass_job);
    kFanoutWork.Emit(out, FanoutWork{kind, author, user, {}, mass_job});
  };
  if (edge.graph == graph::kFollows) {
    emit(is ? Kind::kShow : Kind::kUnfollow, edge.source, edge.destination);
    return;
  }
  const Kind kind = is ? Kind::kHide : Kind::kShow;
  emit(kind, edge.source, edge.destination);
  if (edge.graph == graph::kBlocks) emit(kind, edge.destination, edge.source);
}

}  // namespace

absl::Status GraphBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const GraphTask& task = kGraphEvents.Get(input);
  if (task.is_derived_home()) return EmitDerivedHome(task, input.offset, out);
  if (task.writes.empty()) return RecordJob(input);
  const topology::Tuple* const inputs[] = {&input};
  topology::Emitter* const outs[] = {&out};
  return ApplyRun(inputs, outs, 0, 1);
}

absl::Status GraphBolt::RecordJob(const topology::Tuple& input) {
  const GraphTask& task = kGraphEvents.Get(input);
  const events::EdgesMassChanged& m = task.event->edges_mass_changed();
  graph::MassSpec spec;
  spec.graph = static_cast<graph::GraphId>(m.graph());
  spec.user = m.user_id();
  for (int s : m.from_states()) spec.from |= graph::StateBit(ToState(roost::v1::EdgeState(s)));
  spec.to = ToState(m.to_state());
  spec.updated_at = task.event->event_id();
  return jobs_.Record(spec, input.offset);
}

bool GraphBolt::Background(topology::Emitter& out) {
  return jobs_.Step(kMassSliceEdges, [this, &out](const graph::EdgeChange& change, LogOffset job) {
    EmitHomeChanges(change, out, job, listener_);
  });
}

absl::Status GraphBolt::ExecuteBatch(absl::Span<const topology::Tuple* const> inputs,
                                     absl::Span<topology::Emitter* const> outs) {
  // Runs of edge writes between mass changes, each applied in order, keep every
  // pair's writes in arrival order (the store decides a later write against an
  // earlier one of the same call).
  size_t run_begin = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const GraphTask& task = kGraphEvents.Get(*inputs[i]);
    if (!task.writes.empty()) continue;
    RETURN_IF_ERROR(ApplyRun(inputs, outs, run_begin, i));
    RETURN_IF_ERROR(task.is_derived_home() ? EmitDerivedHome(task, inputs[i]->offset, *outs[i])
                                           : RecordJob(*inputs[i]));
    run_begin = i + 1;
  }
  return ApplyRun(inputs, outs, run_begin, inputs.size());
}

absl::Status GraphBolt::CatchUpPairs(const GraphTask& task, LogOffset offset,
                                     topology::Emitter& out) {
  if (jobs_.empty()) return absl::OkStatus();  // the common case: every delivery comes here
  // The pairs whose state decides what the event does here and whose source this
  // writer owns (every pair keeps one writer, which orders its changes): whether each
  // user follows the author, and for a shown author whether the user hides them. (The
  // author's block of the user is the author's writer's: a mass change of the author's
  // blocks still pending here can hide an author shown meanwhile until the next show.)
  pair_writes_.clear();
  const auto pair = [this](graph::GraphId graph, UserId source, UserId destination) {
    pair_writes_.push_back({graph, source, destination});
  };
  if (task.event->has_author_shown()) {
    const events::AuthorShown& shown = task.event->author_shown();
    for (graph::GraphId graph : {graph::kFollows, graph::kMutes, graph::kBlocks}) {
      pair(graph, shown.user_id(), shown.author_id());
    }
  } else {
    const UserId author = task.event->home_delivery().author_id();
    for (UserId user : task.users) pair(graph::kFollows, user, author);
  }
  pair_offsets_.assign(pair_writes_.size(), offset);
  return jobs_.ApplyToWrites(pair_writes_, pair_offsets_,
                             [&](const graph::EdgeChange& change, size_t) {
                               EmitHomeChanges(change, out);
                             });
}

absl::Status GraphBolt::EmitDerivedHome(const GraphTask& task, LogOffset offset,
                                        topology::Emitter& out) {
  RETURN_IF_ERROR(CatchUpPairs(task, offset, out));
  if (task.event->has_author_shown()) {
    const events::AuthorShown& shown = task.event->author_shown();
    ASSIGN_OR_RETURN(const std::vector<bool> retracted, Retracted(shown.tweet_ids()));
    FanoutWork work{FanoutWork::Kind::kShowWith, shown.author_id(), shown.user_id()};
    for (int i = 0; i < shown.tweet_ids_size(); ++i) {
      if (!retracted[i]) {
        work.shown.push_back({shown.tweet_ids(i), shown.author_id(), shown.flags(i)});
      }
    }
    kFanoutWork.Emit(out, std::move(work));
    return absl::OkStatus();
  }
  const events::HomeDelivery& delivery = task.event->home_delivery();
  if (delivery.retract()) {
    tweetstore::Tweet tombstone;
    tombstone.id = delivery.tweet_id();
    tombstone.author = delivery.author_id();
    tombstone.deleted = true;
    RETURN_IF_ERROR(tweets_->Put(tombstone, /*request_id=*/"", /*position=*/0));
    if (copies_ != nullptr) copies_->Retract(tombstone.id);
  } else {
    const TweetId id = delivery.tweet_id();
    ASSIGN_OR_RETURN(const std::vector<bool> retracted, Retracted(absl::MakeConstSpan(&id, 1)));
    if (retracted[0]) return absl::OkStatus();
    if (copies_ != nullptr && delivery.has_tweet() && delivery.tweet().tweet_id() == id) {
      copies_->Put(TweetOf(delivery.tweet()));
    }
  }
  FanoutWork work;
  work.kind = delivery.retract() ? FanoutWork::Kind::kRetractTo : FanoutWork::Kind::kDeliverTo;
  work.author = delivery.author_id();
  work.entry = {delivery.tweet_id(), delivery.author_id(), delivery.flags()};
  if (delivery.retract()) {
    work.audience = task.users;
  } else {
    // Fanned out from the author's follower list as the author's partition had it,
    // which may still hold a user whose unfollow this partition applied before.
    ASSIGN_OR_RETURN(const std::vector<bool> following,
                     store_->SourcesContain(graph::kFollows, task.users, delivery.author_id()));
    for (size_t i = 0; i < task.users.size(); ++i) {
      if (following[i]) work.audience.push_back(task.users[i]);
    }
  }
  if (!work.audience.empty()) kFanoutWork.Emit(out, std::move(work));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<bool>> GraphBolt::Retracted(absl::Span<const TweetId> ids) {
  ASSIGN_OR_RETURN(const std::vector<std::optional<tweetstore::Tweet>> found,
                   tweets_->MultiGet(ids));
  std::vector<bool> retracted(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    retracted[i] = found[i].has_value() && found[i]->deleted;
  }
  return retracted;
}

absl::Status GraphBolt::ApplyRun(absl::Span<const topology::Tuple* const> inputs,
                                 absl::Span<topology::Emitter* const> outs, size_t begin,
                                 size_t end) {
  if (begin == end) return absl::OkStatus();
  run_writes_.clear();
  run_owner_.clear();
  run_offsets_.clear();
  for (size_t i = begin; i < end; ++i) {
    for (const graph::EdgeWrite& w : kGraphEvents.Get(*inputs[i]).writes) {
      run_writes_.push_back(w);
      run_owner_.push_back(i);
      run_offsets_.push_back(inputs[i]->offset);
    }
  }
  // Pending jobs reach the run's pairs first: each pair sees its writes in log order.
  RETURN_IF_ERROR(jobs_.ApplyToWrites(run_writes_, run_offsets_,
                                      [&](const graph::EdgeChange& change, size_t write) {
                                        EmitHomeChanges(change, *outs[run_owner_[write]]);
                                      }));
  ASSIGN_OR_RETURN(std::vector<graph::EdgeChange> changes, store_->Apply(run_writes_));
  for (const graph::EdgeChange& change : changes) {
    EmitHomeChanges(change, *outs[run_owner_[change.write]]);
  }
  return absl::OkStatus();
}

}  // namespace roost::ingest
