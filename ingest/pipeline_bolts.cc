#include "ingest/pipeline_bolts.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "ingest/event_codec.h"
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
  const absl::Status read = reader_->ReadBatch(/*max_records=*/512, deadline, &batch_);
  if (!read.ok() && !absl::IsUnavailable(read)) return read;
  // Records read before a failure are good; they are emitted, then the read retried.
  for (log::LogRecord& record : batch_) {
    auto event = std::make_shared<events::Event>();
    if (absl::Status decoded = DecodeEvent(record.payload, event.get()); !decoded.ok()) {
      return absl::DataLossError(
          absl::StrCat("log record at offset ", record.offset, ": ", decoded.message()));
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
  if (read.ok()) {
    reported_read_error_ = false;
    return absl::OkStatus();
  }
  if (read_errors_ != nullptr) read_errors_->Add();
  if (!reported_read_error_) {
    reported_read_error_ = true;
    std::fprintf(stderr, "roost: reading the log failed, retrying every 10 ms: %s\n",
                 std::string(read.message()).c_str());
  }
  absl::SleepFor(std::max(absl::ZeroDuration(),
                          std::min(absl::Milliseconds(10), deadline - absl::Now())));
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
  const auto parallelism = static_cast<uint32_t>(context.parallelism);
  owner_ = (parallelism << 16) | static_cast<uint32_t>(context.task_index);
  // Resume the jobs a previous run left pending, in log order. A job recorded by a
  // pipeline with another number of writers is split anew: every writer records its
  // own share (its sources), so each pair still has one writer applying its jobs in
  // order, and the old record goes once a share is done. Every writer's Prepare runs
  // before any Background step, so no share is missed.
  ASSIGN_OR_RETURN(std::vector<graph::MassJob> pending, store_->PendingMassJobs());
  for (const graph::MassJob& job : pending) {
    const bool orphan = (job.owner >> 16) != parallelism;
    if (job.owner != owner_ && !orphan) continue;
    bool have = false;
    for (const PendingJob& p : jobs_) have = have || p.job.offset == job.offset;
    if (have) continue;
    graph::MassJob mine = job;
    mine.owner = owner_;
    if (orphan) RETURN_IF_ERROR(store_->RecordMassJob(mine));
    jobs_.push_back(PendingJob{mine, {}, orphan ? std::optional<graph::MassJob>(job)
                                               : std::nullopt});
    if (listener_ != nullptr) listener_->MassJobStarted(job.offset);
  }
  return absl::OkStatus();
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
    out.Emit(0, FanoutWork{kind, author, user, {}, mass_job});
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
  const GraphTask& task = std::any_cast<const GraphTask&>(input.value);
  if (task.writes.empty()) return RecordJob(input);
  const topology::Tuple* const inputs[] = {&input};
  topology::Emitter* const outs[] = {&out};
  return ApplyRun(inputs, outs, 0, 1);
}

absl::Status GraphBolt::RecordJob(const topology::Tuple& input) {
  const GraphTask& task = std::any_cast<const GraphTask&>(input.value);
  const events::EdgesMassChanged& m = task.event->edges_mass_changed();
  graph::MassJob job;
  job.spec.graph = static_cast<graph::GraphId>(m.graph());
  job.spec.user = m.user_id();
  for (int s : m.from_states()) job.spec.from |= graph::StateBit(ToState(roost::v1::EdgeState(s)));
  job.spec.to = ToState(m.to_state());
  job.spec.updated_at = task.event->event_id();
  job.offset = input.offset;
  job.owner = owner_;
  for (const PendingJob& pending : jobs_) {
    if (pending.job.offset == job.offset) return absl::OkStatus();  // resumed already
  }
  // Recorded before the event is acknowledged: the committed offset that passes it is
  // persisted to the same store later, so a restart finds one or the other.
  RETURN_IF_ERROR(store_->RecordMassJob(job));
  jobs_.push_back(PendingJob{job, {}, std::nullopt});
  if (listener_ != nullptr) listener_->MassJobStarted(job.offset);
  return absl::OkStatus();
}

bool GraphBolt::Background(topology::Emitter& out) {
  if (jobs_.empty()) return false;
  PendingJob& pending = jobs_.front();
  absl::StatusOr<bool> done = store_->MassUpdateSlice(
      pending.job.spec, owned_sources_, kMassSliceEdges,
      &pending.cursor, [this, &out, offset = pending.job.offset](
                           absl::Span<const graph::EdgeChange> changes) {
        for (const auto& change : changes) EmitHomeChanges(change, out, offset, listener_);
      });
  if (!done.ok()) {
    // The cursor covers only what was committed; the next input or tick retries.
    std::fprintf(stderr, "roost graph: mass update of the event at log offset %llu: %s\n",
                 static_cast<unsigned long long>(pending.job.offset),
                 done.status().ToString().c_str());
    return false;
  }
  if (!*done) return true;
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
  return !jobs_.empty();
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
    RETURN_IF_ERROR(RecordJob(*inputs[i]));
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
  RETURN_IF_ERROR(ApplyPendingJobsToRun(inputs, outs));
  ASSIGN_OR_RETURN(std::vector<graph::EdgeChange> changes, store_->Apply(run_writes_));
  for (const graph::EdgeChange& change : changes) {
    EmitHomeChanges(change, *outs[run_owner_[change.write]]);
  }
  return absl::OkStatus();
}

absl::Status GraphBolt::ApplyPendingJobsToRun(absl::Span<const topology::Tuple* const> inputs,
                                              absl::Span<topology::Emitter* const> outs) {
  std::vector<std::pair<UserId, UserId>> pairs;
  std::vector<size_t> pair_owner;
  for (const PendingJob& pending : jobs_) {  // in log order, as the jobs were asked
    const graph::MassSpec& spec = pending.job.spec;
    pairs.clear();
    pair_owner.clear();
    for (size_t k = 0; k < run_writes_.size(); ++k) {
      const graph::EdgeWrite& w = run_writes_[k];
      if (w.graph != spec.graph || (w.source != spec.user && w.destination != spec.user)) continue;
      if (inputs[run_owner_[k]]->offset < pending.job.offset) continue;  // older than the job
      pairs.emplace_back(w.source, w.destination);
      pair_owner.push_back(run_owner_[k]);
    }
    if (pairs.empty()) continue;
    ASSIGN_OR_RETURN(std::vector<graph::EdgeChange> changes, store_->MassUpdatePairs(spec, pairs));
    for (const graph::EdgeChange& change : changes) {
      EmitHomeChanges(change, *outs[pair_owner[change.write]]);
    }
  }
  return absl::OkStatus();
}

FanoutBolt::FanoutBolt(graph::GraphStore* graph, timelines::HomeTimelines* timelines,
                       int timeline_writers, uint64_t read_threshold, MetricsRegistry* metrics)
    : graph_(graph),
      timelines_(timelines),
      timeline_writers_(std::max(timeline_writers, 1)),
      read_threshold_(read_threshold) {
  if (metrics != nullptr) deliveries_ = metrics->GetCounter("pipeline.fanout.deliveries");
}

absl::Status FanoutBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const FanoutWork& work = std::any_cast<const FanoutWork&>(input.value);
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
    out.Emit(0, std::move(batch));
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

void FanoutBolt::Emit(const FanoutWork& work, absl::Span<const UserId> audience,
                      bool mark_pulled, topology::Emitter& out) {
  // By shard, then one batch per timeline writer holding runs for each of its shards:
  // a tweet to 25 followers spread over 16 shards is 2 tuples, not 16. A large audience
  // is cut into batches of at most kChunkUsers, so it is spread over every writer and
  // no batch holds one long while other authors' tweets wait behind it.
  const int shards = timelines_->shard_count();
  by_shard_.resize(static_cast<size_t>(shards));
  for (UserId user : audience) by_shard_[static_cast<size_t>(timelines_->ShardOf(user))].push_back(user);
  std::vector<TimelineBatch> batches(static_cast<size_t>(timeline_writers_));
  const auto emit = [&](TimelineBatch& batch) {
    batch.retract = work.kind == FanoutWork::Kind::kRetract;
    batch.mark_pulled = mark_pulled;
    batch.entry = work.entry;
    out.Emit(0, std::move(batch));
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

TimelineBolt::TimelineBolt(timelines::HomeTimelines* timelines, MassJobListener* listener,
                           MetricsRegistry* metrics)
    : timelines_(timelines), listener_(listener) {
  if (metrics != nullptr) inserted_ = metrics->GetCounter("pipeline.timelines.inserted");
}

absl::Status TimelineBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const TimelineBatch& batch = std::any_cast<const TimelineBatch&>(input.value);
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
    }
  }
  if (batch.mass_job != 0 && listener_ != nullptr) listener_->MassWorkDone(batch.mass_job);
  return absl::OkStatus();
}

}  // namespace roost::ingest
