// Pipeline is Roost's own topology: it tails the log and keeps the three stores
// current, on the generic engine of topology/.
//
//   log spout ──fields(tweet id)──► tweets ──fields(author)──┐
//             └─fields(source)───► graph  ──fields(author)──►├► fanout ──fields(shard)──► timelines
//
// Ordering, and why the chain has this shape. Every change that reaches a home
// timeline passes through the fanout instance that owns the tweet's author, after the
// store write it depends on:
//  - a post is written to the tweet store before fanout reads the author's followers;
//  - a follow, unfollow, block or mute is written to the graph before fanout sees it,
//    and fanout turns it into a show, hide or removal of the author in the user's
//    timeline shard (timelines/home_timelines.h), keyed like the author's tweets.
// Each fanout instance sends to a shard in FIFO order, so at the shard a removal for
// (follower, author) can never be overtaken by an insert fanned out earlier from a
// follower list that still held the follower; and an insert fanned out from a list
// that lacked a new follower is covered by the follow's merge, which reads the tweet
// store after the tweet was written. Deletes travel the same road as posts. A hide
// (block, mute) drops what was fanned out before it and marks the author hidden in the
// timeline, which drops its later deliveries; a show reads the author's recent tweets
// from the store, which holds every tweet fanned out before it.
//
// Reliability: the engine's committed offset (every event at or below it fully applied
// to every store) is persisted in the tweet and graph stores periodically and on
// Stop; Start resumes from the lower of the two plus one. Every sink is idempotent, so
// the replayed tail leaves no trace. Home timelines live in memory and are rebuilt on
// first read after a restart.
//
// A store write that still fails after the engine's retries is never skipped: the
// applied offset stops below it for good, status() reports the error, and the next
// start replays from there. (An acknowledged write is in the log, so it is applied
// once the cause, e.g. a full disk, is cleared.)
//
// Mass changes (archive, unarchive, remove-all) run as background jobs of the graph
// writers (see GraphBolt): the engine commits past them at once, so other writes are
// not held up, and the committed offset persisted to the stores moves on (the stores
// record pending jobs themselves). applied_offset() stays below a pending job until
// it is finished, its home-timeline work included, so a read that waits for a
// position sees every mass change at or before it whole.
//
// In a cluster (PipelineParts::scope, partition_scope.h) the pipeline applies one
// partition's log: the client writes of its users and what other partitions derived for
// them. The spout copies an edge change to the destination's partition and a mass
// change to every other; fanout sends a tweet (or its deletion) to the other
// partitions' followers as one home delivery each, and a local author's newest tweets
// to a remote follower's partition when it is shown there. Those derived events enter
// through the graph writers (GraphTask), so each is decided against its users' edges
// after every earlier write to them, and the offset persisted as applied never passes
// a derivation that is not yet durable (PartitionScope::Flush).
//
// Thread-safe.
#ifndef ROOST_INGEST_PIPELINE_H_
#define ROOST_INGEST_PIPELINE_H_

#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/types.h"
#include "graph/graph_store.h"
#include "ingest/partition_scope.h"
#include "ingest/pipeline_fanout_bolt.h"
#include "ingest/pipeline_graph_bolt.h"
#include "ingest/pipeline_log_spout.h"
#include "ingest/pipeline_timeline_bolt.h"
#include "ingest/pipeline_tweet_bolt.h"
#include "log/log.h"
#include "timelines/home_timelines.h"
#include "topology/topology.h"
#include "tweetstore/tweet_store.h"

namespace roost::ingest {

struct PipelineOptions {
  int tweet_writers = 2;
  int graph_writers = 2;
  int fanout_workers = 2;
  int timeline_writers = 2;  // each owns a subset of the timeline shards
  // Tweets of authors with more followers than this are pulled into their followers'
  // timelines at read time instead of pushed (FanoutBolt); 0: always pushed.
  uint64_t fanout_read_threshold = 100'000;
  int worker_threads = 0;  // 0: the machine's hardware concurrency
  // How often the committed offset is persisted to the stores.
  absl::Duration commit_interval = absl::Milliseconds(200);
};

// The parts the pipeline feeds. Not owned; all must outlive the pipeline.
struct PipelineParts {
  log::Log* log = nullptr;
  tweetstore::TweetStore* tweets = nullptr;
  graph::GraphStore* graph = nullptr;
  timelines::HomeTimelines* timelines = nullptr;
  MetricsRegistry* metrics = nullptr;  // may be null
  // In a cluster, this partition's scope (partition_scope.h) and where the fanout
  // reads a local author's newest tweets for another partition; null on a single node.
  PartitionScope* scope = nullptr;
  timelines::TimelineSource* source = nullptr;
  // In a cluster, where deliveries' copies of other partitions' tweets are kept.
  tweetstore::TweetCopies* copies = nullptr;
};

class Pipeline : private MassJobListener {
 public:
  // Starts applying the log from the stores' committed offset.
  static absl::StatusOr<std::unique_ptr<Pipeline>> Start(const PipelineParts& parts,
                                                         const PipelineOptions& options);
  ~Pipeline() override;  // Stop()s

  // Applies everything already read, persists the committed offset, and stops.
  // Idempotent.
  void Stop();

  // Persists applied_offset() to the stores now, rather than at the next
  // commit_interval: after a long recovery, so that a crash right after it does not
  // replay the same stretch again.
  void PersistApplied();

  // Every event at or below this offset is applied to every store.
  LogOffset applied_offset() const;
  // Every event at or below this offset has been processed: applied_offset(), except
  // that mass changes may still be in progress below it.
  LogOffset processed_offset() const;
  // Mass changes in progress.
  size_t mass_jobs_pending() const;
  // Waits until applied_offset() >= offset or `deadline`; true when reached.
  bool WaitForApplied(LogOffset offset, absl::Time deadline) const;
  // Calls done(true) once applied_offset() >= offset, or done(false) at `deadline`;
  // immediately when already applied. `done` runs on the caller's thread or on the
  // pipeline's notifier thread, so it must not block for long.
  void WhenApplied(LogOffset offset, absl::Time deadline, absl::AnyInvocable<void(bool)> done);

  // Resolves every pending WhenApplied with false, and later ones at once unless
  // already applied: lets a server stop without waiting out its readers' deadlines.
  void ReleaseWaiters();

  // OK while healthy; the error that stopped the pipeline otherwise.
  absl::Status status() const;

 private:
  Pipeline(const PipelineParts& parts, const PipelineOptions& options);
  absl::Status Build(LogOffset start);
  void OnCommit(LogOffset offset);
  void OnDeadLetter(const std::string& component, const topology::Tuple& tuple,
                    const absl::Status& error);
  void NotifierLoop();
  void PersistCommitted(LogOffset offset);
  void MassJobStarted(LogOffset offset) override;
  void MassJobFinished(LogOffset offset) override;
  void MassWorkEmitted(LogOffset offset) override;
  void MassWorkDone(LogOffset offset) override;
  void UpdateMassJob(LogOffset offset, int writers, int64_t work)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // applied_ lowered below the oldest pending mass job.
  LogOffset VisibleApplied() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PipelineParts parts_;
  const PipelineOptions options_;
  std::unique_ptr<topology::Topology> topology_;

  mutable absl::Mutex mu_;
  // Committed by the engine (and no store failure below): persisted for restarts.
  LogOffset applied_ ABSL_GUARDED_BY(mu_) = 0;
  // Mass changes in progress by log offset: graph writers with their share left, and
  // timeline work emitted and not yet applied. An entry goes once both are 0.
  struct MassProgress {
    int writers = 0;
    int64_t work = 0;
  };
  std::map<LogOffset, MassProgress> mass_jobs_ ABSL_GUARDED_BY(mu_);
  LogOffset persisted_ ABSL_GUARDED_BY(mu_) = 0;
  bool persist_failing_ ABSL_GUARDED_BY(mu_) = false;  // the last attempt failed
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  // Set when a waiter is added, so the notifier recomputes its wake-up time.
  bool waiters_changed_ ABSL_GUARDED_BY(mu_) = false;
  // The first event a store failed to apply, and why; 0 / OK while healthy.
  LogOffset failed_offset_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  struct Waiter {
    absl::Time deadline;
    absl::AnyInvocable<void(bool)> done;
  };
  std::multimap<LogOffset, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  std::thread notifier_;
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_H_
