#include "ingest/pipeline.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "ingest/pipeline_fanout_bolt.h"
#include "ingest/pipeline_graph_bolt.h"
#include "ingest/pipeline_log_spout.h"
#include "ingest/pipeline_timeline_bolt.h"
#include "ingest/pipeline_tuples.h"
#include "ingest/pipeline_tweet_bolt.h"

namespace roost::ingest {
namespace {

uint64_t TweetKey(const EventPtr& event) {
  return event->has_tweet_posted() ? event->tweet_posted().tweet_id()
                                   : event->tweet_deleted().tweet_id();
}

uint64_t GraphKey(const GraphTask& task) { return task.key; }

uint64_t AuthorKey(const FanoutWork& work) { return work.author; }

uint64_t ShardKey(const TimelineBatch& batch) { return static_cast<uint64_t>(batch.shard); }

}  // namespace

Pipeline::Pipeline(const PipelineParts& parts, const PipelineOptions& options)
    : parts_(parts), options_(options) {}

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Start(const PipelineParts& parts,
                                                          const PipelineOptions& options) {
  if (parts.log == nullptr || parts.tweets == nullptr || parts.graph == nullptr ||
      parts.timelines == nullptr) {
    return absl::InvalidArgumentError("pipeline: every part must be set");
  }
  ASSIGN_OR_RETURN(const LogOffset tweets_committed, parts.tweets->CommittedOffset());
  ASSIGN_OR_RETURN(const LogOffset graph_committed, parts.graph->CommittedOffset());
  const LogOffset committed = std::min(tweets_committed, graph_committed);
  if (const LogOffset end = parts.log->durable_offset(); committed > end) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the stores have applied the log up to offset ", committed, " but the log ends at ", end,
        ": the log lost its tail (possible after a machine crash with --log-sync=interval "
        "or none), so the stores no longer match it and must be rebuilt from the log"));
  }

  std::unique_ptr<Pipeline> pipeline(new Pipeline(parts, options));
  {
    absl::MutexLock lock(&pipeline->mu_);
    pipeline->applied_ = committed;
    pipeline->persisted_ = committed;
  }
  RETURN_IF_ERROR(pipeline->Build(committed + 1));
  pipeline->notifier_ = std::thread([p = pipeline.get()] { p->NotifierLoop(); });
  if (parts.metrics != nullptr) {
    parts.metrics->SetGauge("pipeline.graph.mass_jobs_pending", [p = pipeline.get()] {
      return static_cast<int64_t>(p->mass_jobs_pending());
    });
  }
  RETURN_IF_ERROR(pipeline->topology_->Start());
  return pipeline;
}

absl::Status Pipeline::Build(LogOffset start) {
  const PipelineParts parts = parts_;
  topology::TopologyBuilder builder;
  builder.AddSpout("log", [parts, start, graph_writers = options_.graph_writers] {
    return std::make_unique<LogSpout>(parts.log, start, parts.metrics, parts.scope, graph_writers);
  });
  builder
      .AddBolt(
          "tweets", [parts] { return std::make_unique<TweetBolt>(parts.tweets); },
          options_.tweet_writers)
      .Fields("log", kTweetEvents, TweetKey);
  builder
      .AddBolt(
          "graph",
          [parts, listener = static_cast<MassJobListener*>(this)] {
            return std::make_unique<GraphBolt>(parts.graph, parts.tweets, parts.copies, listener);
          },
          options_.graph_writers)
      .Fields("log", kGraphEvents, GraphKey)
      .All("log", kGraphMassEvents.id());
  builder
      .AddBolt(
          "fanout",
          [parts, writers = options_.timeline_writers, threshold = options_.fanout_read_threshold,
           listener = static_cast<MassJobListener*>(this)] {
            FanoutBolt::Parts fanout{parts.graph,  parts.timelines, parts.scope,
                                     parts.source, listener,        parts.metrics};
            return std::make_unique<FanoutBolt>(fanout, writers, threshold);
          },
          options_.fanout_workers)
      .Fields("tweets", kFanoutWork, AuthorKey)
      .Fields("graph", kFanoutWork, AuthorKey);
  builder
      .AddBolt(
          "timelines",
          [parts, listener = static_cast<MassJobListener*>(this)] {
            return std::make_unique<TimelineBolt>(parts.timelines, listener, parts.metrics);
          },
          options_.timeline_writers)
      .Fields("fanout", kTimelineBatches, ShardKey);

  topology::TopologyOptions topology_options;
  topology_options.worker_threads = options_.worker_threads;
  topology_options.metrics = parts_.metrics;
  topology_options.on_commit = [this](LogOffset offset) { OnCommit(offset); };
  topology_options.dead_letter = [this](const std::string& component, const topology::Tuple& tuple,
                                        const absl::Status& error) {
    OnDeadLetter(component, tuple, error);
  };
  ASSIGN_OR_RETURN(topology_,
                   topology::Topology::Create(std::move(builder), std::move(topology_options)));
  return absl::OkStatus();
}

Pipeline::~Pipeline() {
  Stop();
  if (parts_.metrics != nullptr) parts_.metrics->RemoveGauge("pipeline.graph.mass_jobs_pending");
}

void Pipeline::Stop() {
  if (topology_ != nullptr) topology_->Stop();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (notifier_.joinable()) notifier_.join();
  LogOffset applied;
  {
    absl::MutexLock lock(&mu_);
    applied = applied_;
  }
  PersistCommitted(applied);
}

void Pipeline::OnCommit(LogOffset offset) {
  absl::MutexLock lock(&mu_);
  // The engine has counted a dead-lettered event as processed; the stores have not
  // applied it, so nothing at or after it may count as applied.
  if (failed_offset_ != 0) offset = std::min(offset, failed_offset_ - 1);
  if (offset > applied_) applied_ = offset;
}

// Runs on the failing bolt's worker before the tuple is acked, so failed_offset_ is set
// before any commit that covers the tuple.
void Pipeline::OnDeadLetter(const std::string& component, const topology::Tuple& tuple,
                            const absl::Status& error) {
  std::fprintf(stderr,
               "roost pipeline: %s could not apply the event at log offset %llu: %s; "
               "the applied offset stops below it until a restart replays it\n",
               component.c_str(), static_cast<unsigned long long>(tuple.offset),
               error.ToString().c_str());
  absl::MutexLock lock(&mu_);
  if (failed_offset_ == 0 || tuple.offset < failed_offset_) {
    failed_offset_ = tuple.offset;
    failure_ = absl::Status(error.code(), absl::StrCat(component, " failed at log offset ",
                                                       tuple.offset, ": ", error.message()));
  }
}

LogOffset Pipeline::VisibleApplied() const {
  if (mass_jobs_.empty()) return applied_;
  return std::min(applied_, mass_jobs_.begin()->first - 1);
}

LogOffset Pipeline::applied_offset() const {
  absl::MutexLock lock(&mu_);
  return VisibleApplied();
}

LogOffset Pipeline::processed_offset() const {
  absl::MutexLock lock(&mu_);
  return applied_;
}

size_t Pipeline::mass_jobs_pending() const {
  absl::MutexLock lock(&mu_);
  return mass_jobs_.size();
}

// Releasing mu_ re-evaluates the waiters' conditions, so a finished job wakes them.
void Pipeline::UpdateMassJob(LogOffset offset, int writers, int64_t work) {
  MassProgress& progress = mass_jobs_[offset];
  progress.writers += writers;
  progress.work += work;
  if (progress.writers <= 0 && progress.work <= 0) mass_jobs_.erase(offset);
}

void Pipeline::MassJobStarted(LogOffset offset) {
  absl::MutexLock lock(&mu_);
  UpdateMassJob(offset, 1, 0);
}

void Pipeline::MassJobFinished(LogOffset offset) {
  absl::MutexLock lock(&mu_);
  UpdateMassJob(offset, -1, 0);
}

void Pipeline::MassWorkEmitted(LogOffset offset) {
  absl::MutexLock lock(&mu_);
  UpdateMassJob(offset, 0, 1);
}

void Pipeline::MassWorkDone(LogOffset offset) {
  absl::MutexLock lock(&mu_);
  UpdateMassJob(offset, 0, -1);
}

bool Pipeline::WaitForApplied(LogOffset offset, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, offset]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return VisibleApplied() >= offset; };
  mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
  return VisibleApplied() >= offset;
}

void Pipeline::WhenApplied(LogOffset offset, absl::Time deadline,
                           absl::AnyInvocable<void(bool)> done) {
  {
    absl::MutexLock lock(&mu_);
    if (VisibleApplied() < offset && !stopping_ && !released_) {
      waiters_.emplace(offset, Waiter{deadline, std::move(done)});
      waiters_changed_ = true;  // its deadline may be the nearest
      return;
    }
  }
  done(applied_offset() >= offset);
}

void Pipeline::ReleaseWaiters() {
  absl::MutexLock lock(&mu_);
  released_ = true;  // the notifier wakes on it and resolves every waiter
}

absl::Status Pipeline::status() const {
  {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
  }
  return topology_ != nullptr ? topology_->status() : absl::OkStatus();
}

void Pipeline::PersistApplied() {
  LogOffset applied;
  {
    absl::MutexLock lock(&mu_);
    applied = applied_;  // pending mass jobs are recorded in the graph store
  }
  PersistCommitted(applied);
}

void Pipeline::PersistCommitted(LogOffset offset) {
  {
    absl::MutexLock lock(&mu_);
    if (offset <= persisted_) return;
  }
  // A failure here only means more of the log is replayed after a restart. In a
  // cluster, what was derived below `offset` for other partitions must be durable
  // first, or a restart would resume past events whose derivations were lost.
  absl::Status status = parts_.scope != nullptr
                            ? parts_.scope->Flush(absl::Now() + absl::Seconds(1))
                            : absl::OkStatus();
  if (status.ok()) status = parts_.tweets->SetCommittedOffset(offset);
  if (status.ok()) status = parts_.graph->SetCommittedOffset(offset);
  absl::MutexLock lock(&mu_);
  if (!status.ok()) {
    // Said once per run of failures: a full disk would repeat it every 200 ms.
    if (!persist_failing_) {
      std::fprintf(stderr, "roost pipeline: persisting committed offset %llu failed: %s\n",
                   static_cast<unsigned long long>(offset), status.ToString().c_str());
    }
    persist_failing_ = true;
    return;
  }
  if (persist_failing_) {
    std::fprintf(stderr, "roost pipeline: persisting committed offsets works again (%llu)\n",
                 static_cast<unsigned long long>(offset));
  }
  persist_failing_ = false;
  persisted_ = std::max(persisted_, offset);
}

// Runs waiter callbacks off the engine's threads (OnCommit must stay cheap) and
// persists the committed offset every commit_interval.
void Pipeline::NotifierLoop() {
  NameThisThread("roost-notify");
  absl::Time next_persist = absl::Now() + options_.commit_interval;
  std::vector<std::pair<absl::AnyInvocable<void(bool)>, bool>> ready;
  while (true) {
    LogOffset to_persist = 0;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || waiters_changed_ || (released_ && !waiters_.empty()) ||
               (!waiters_.empty() && waiters_.begin()->first <= VisibleApplied());
      };
      absl::Time until = next_persist;
      for (const auto& [offset, waiter] : waiters_) until = std::min(until, waiter.deadline);
      mu_.AwaitWithDeadline(absl::Condition(&wake), until);
      waiters_changed_ = false;

      const absl::Time now = absl::Now();
      const LogOffset visible = VisibleApplied();
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        const bool reached = it->first <= visible;
        if (reached || it->second.deadline <= now || stopping_ || released_) {
          ready.emplace_back(std::move(it->second.done), reached);
          it = waiters_.erase(it);
        } else {
          ++it;
        }
      }
      if (now >= next_persist) {
        to_persist = applied_;
        next_persist = now + options_.commit_interval;
      }
      stop = stopping_;
    }
    for (auto& [done, reached] : ready) done(reached);
    ready.clear();
    if (to_persist != 0) PersistCommitted(to_persist);
    if (stop) return;
  }
}

}  // namespace roost::ingest
