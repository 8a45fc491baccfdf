// Roost is the composition root: it owns the data directory, the log, the three
// stores and the pipeline that feeds them, and offers the operations the API serves,
// on plain C++ types (the gRPC handlers and embedded drivers are thin layers on top).
//
// Writes validate their input (INVALID_ARGUMENT changes nothing), append one event to
// the log, and complete only once it is durable, with its position. Reads come
// straight from the stores; a caller wanting read-your-writes first calls WhenApplied
// with the position its write returned.
//
// Data directory layout: LOCK (held while open), log/, tweets/, graph/.
//
// Thread-safe.
#ifndef ROOST_SERVICES_ROOST_H_
#define ROOST_SERVICES_ROOST_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/thread_pool.h"
#include "graph/graph_store.h"
#include "ingest/pipeline.h"
#include "log/log_reader.h"
#include "log/segmented_log.h"
#include "services/block_tracker.h"
#include "services/partition_reads.h"
#include "services/request_deduper.h"
#include "timelines/home_timelines.h"
#include "tweetstore/memcached_client.h"
#include "tweetstore/tweet_copies.h"
#include "tweetstore/tweet_store.h"

namespace roost::ingest {
class PartitionScope;
class StoreTimelineSource;
}  // namespace roost::ingest

namespace roost::services {

struct RoostOptions {
  std::string data_dir;
  // Opens the log Roost appends every write to and the pipeline reads (log.h); null:
  // the segmented log in data_dir/log, configured by the log_* options below. Another
  // implementation (a replicated one, or a test's) plugs in here.
  std::function<absl::StatusOr<std::unique_ptr<log::Log>>()> open_log;
  log::SyncPolicy log_sync = log::SyncPolicy::kAlways;
  // The file system the log (and the data dir's lock) is reached through; not owned.
  // nullptr: the real one. Tests inject faults through it.
  log::Env* log_env = nullptr;
  log::RecoverMode log_recover = log::RecoverMode::kFail;
  uint64_t log_segment_bytes = uint64_t{128} << 20;
  absl::Duration log_segment_max_age = absl::ZeroDuration();  // 0: roll by size only
  // Old log segments are deleted once past this, checked every retention_interval,
  // and only below what every store has committed (see Log::ApplyRetention).
  log::RetentionPolicy log_retention;
  absl::Duration retention_interval = absl::Seconds(10);
  uint32_t node_id = 0;  // Snowflake node id, 0..1023
  // In a cluster (DESIGN.md, "Cluster"), one Roost serves one partition: `scope` says
  // which users are its own and carries what it derives for the others; `remote` reads
  // what the others keep (tweets, for hydration and timeline rebuilds). node_id is then
  // the partition, so a tweet's id names its author's partition. Both or neither; not
  // owned; they must outlive the Roost.
  ingest::PartitionScope* scope = nullptr;
  PartitionReads* remote = nullptr;
  // In a cluster: memory for copies of other partitions' tweets, which deliveries
  // carry and home reads hydrate from (tweetstore/tweet_copies.h); 0: none, every
  // hydration asks the tweets' owners.
  size_t tweet_copy_bytes = size_t{64} << 20;
  timelines::HomeTimelinesOptions timelines;
  // The graph store's (its follower cache; the path is data_dir/graph).
  graph::GraphStoreOptions graph;
  // A memcached read-through cache in front of the tweet store,
  // "memcached:HOST:PORT[,HOST:PORT...]" (tweetstore/cached_tweet_store.h); empty: none.
  std::string tweet_cache;
  ingest::PipelineOptions pipeline;
  absl::Duration request_id_window = absl::Hours(24);
  // Writes that may wait for the log at once; more are refused with RESOURCE_EXHAUSTED
  // so that overload costs clients a retry, not this process its memory.
  int max_pending_writes = 16384;
  // Drop the derived stores (tweets, graph; timelines live in memory) and rebuild them
  // by replaying the whole log through the pipeline, as live traffic is applied.
  bool rebuild = false;
  // Called about once a second while Open applies the log (recovery or rebuild), on
  // the thread calling Open: events applied so far, the log's end, time spent.
  std::function<void(LogOffset applied, LogOffset end, absl::Duration elapsed)>
      on_recovery_progress;
  Clock* clock = nullptr;  // not owned; nullptr: the real clock
  // Threads that run reads handed to ReadWhenApplied; 0: twice the machine's cores
  // (reads may wait on disk).
  int read_threads = 0;
};

struct PostArgs {
  UserId author = 0;
  std::string text;
  TweetId reply_to = 0;
  TweetId retweet_of = 0;
  std::string request_id;  // empty: no deduplication
};

struct TimelineQuery {
  UserId user = 0;
  TweetId max_id = 0;    // exclusive; 0: newest
  TweetId since_id = 0;  // exclusive
  uint32_t limit = 0;    // 0: default; clamped to the maximum
  bool hydrate = false;
};

struct TimelineResult {
  std::vector<TweetId> ids;
  std::vector<tweetstore::Tweet> tweets;  // when hydrated
  TweetId next_max_id = 0;                // 0 at the end
  bool rebuilt = false;
};

class Roost {
 public:
  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // Opens (creating if needed) the data directory and recovers from it: the log's
  // unapplied tail (all of it with options.rebuild) is applied before Open returns.
  // FAILED_PRECONDITION when another process has the directory open, or for a rebuild
  // when the log no longer starts at offset 1.
  static absl::StatusOr<std::unique_ptr<Roost>> Open(const RoostOptions& options);
  ~Roost();  // Shutdown()s

  // The first step of a clean shutdown: new writes fail with UNAVAILABLE, pending and
  // future position waits too, and it waits (until `deadline`) for the writes already
  // appending to become durable and be answered. True when none is left.
  bool Drain(absl::Time deadline);
  // Applies everything durable, persists, closes the log. Idempotent.
  void Shutdown();

  // ---- Writes. `done` runs once, on some internal thread; it must not block.
  void Post(PostArgs args, Done<PostResult> done);
  // PERMISSION_DENIED for another author's tweet, NOT_FOUND for an unknown or deleted
  // one. Waits (until `deadline`) for earlier writes to be applied before checking.
  void Delete(UserId author, TweetId id, absl::Time deadline, Done<LogOffset> done);
  // Sets one edge (Add: NORMAL, Remove: REMOVED). A BLOCKS edge set NORMAL also
  // removes the FOLLOWS edges between the two users, both ways. A FOLLOWS edge set
  // NORMAL while the destination blocks the source is refused with
  // FAILED_PRECONDITION and logs nothing; the check sees every block appended before
  // the follow, waiting (until `deadline`) for those not yet applied.
  void SetEdge(graph::GraphId graph, UserId source, UserId destination, graph::EdgeState state,
               absl::Time deadline, Done<LogOffset> done);
  // The same without a deadline.
  void SetEdge(graph::GraphId graph, UserId source, UserId destination, graph::EdgeState state,
               Done<LogOffset> done);
  // Moves all of the user's edges in `graph` (both directions) in `from` to `to`.
  void MassChange(graph::GraphId graph, UserId user, graph::StateMask from, graph::EdgeState to,
                  Done<LogOffset> done);

  // ---- Consistency. done(OK) once `position` is applied; DEADLINE_EXCEEDED at the
  // deadline; OUT_OF_RANGE for a position beyond the log's end; UNAVAILABLE when
  // shutting down. Runs inline when already applied, else on an internal pool.
  void WhenApplied(LogOffset position, absl::Time deadline,
                   absl::AnyInvocable<void(absl::Status)> done);
  // As WhenApplied, but `read` always runs on Roost's read pool, never on the calling
  // thread: for callers (gRPC's callback threads) that must not be held by a slow read
  // such as a timeline rebuild.
  void ReadWhenApplied(LogOffset position, absl::Time deadline,
                       absl::AnyInvocable<void(absl::Status)> read);

  // ---- Reads.
  // In request order; missing and deleted ids omitted. At most kMaxGetIds ids. In a
  // cluster, only this partition's tweets are found.
  absl::StatusOr<std::vector<tweetstore::Tweet>> GetTweets(absl::Span<const TweetId> ids);
  // `author`'s newest tweets below `before` (0: the newest), at most `limit`, as home
  // timeline entries: what another partition's timelines are built from.
  absl::StatusOr<std::vector<timelines::Entry>> RecentTweets(UserId author, TweetId before,
                                                             size_t limit);
  absl::StatusOr<TimelineResult> UserTimeline(const TimelineQuery& query);
  // The user's own tweets and their followees', newest first, without the authors the
  // user blocks or mutes or who block the user; paged to its end, the newest
  // max_entries of them (DESIGN.md, "the home-timeline contract").
  absl::StatusOr<TimelineResult> HomeTimeline(const TimelineQuery& query);
  // A page of edges newest first; with a time range (Unix ms; 0: unbounded), only
  // edges created in [created_after_ms, created_before_ms).
  absl::StatusOr<graph::Page> Select(graph::GraphId graph, UserId user, graph::Direction direction,
                                     graph::StateMask states, int64_t cursor, uint32_t limit,
                                     int64_t created_after_ms = 0, int64_t created_before_ms = 0);
  absl::StatusOr<uint64_t> Count(graph::GraphId graph, UserId user, graph::Direction direction,
                                 graph::StateMask states);
  absl::StatusOr<std::vector<bool>> Contains(graph::GraphId graph, UserId source,
                                             absl::Span<const UserId> destinations);
  absl::StatusOr<graph::Page> Query(graph::SetOp op, absl::Span<const graph::QueryTerm> terms,
                                    int64_t cursor, uint32_t limit);
  // The exact number of ids of the whole result of Query.
  absl::StatusOr<uint64_t> QueryCount(graph::SetOp op, absl::Span<const graph::QueryTerm> terms);
  // Each candidate's position in the NORMAL list of `term`, 0 where it is not there:
  // how a query over users of several partitions probes the terms of this one.
  absl::StatusOr<std::vector<uint64_t>> TermPositions(const graph::QueryTerm& term,
                                                      absl::Span<const UserId> candidates);

  // ---- The change feed.
  // A reader of the log's durable events from `from` (0: from the end, i.e. only what
  // is appended later). OUT_OF_RANGE beyond the end + 1 or below the oldest retained
  // offset. The reader must be destroyed before the Roost.
  absl::StatusOr<std::unique_ptr<log::LogReader>> NewChangeReader(LogOffset from);

  // ---- Administration.
  // OK while the pipeline applies the log; else why it stopped applying it.
  absl::Status status() const;
  LogOffset appended_position() const;
  LogOffset applied_position() const;
  // At or above applied_position: mass changes may still be running below it.
  LogOffset processed_position() const;
  std::map<std::string, int64_t> Counters() const;
  MetricsRegistry* metrics() { return &metrics_; }

 private:
  explicit Roost(const RoostOptions& options);
  // `cache_servers`: the parsed tweet_cache option (empty: no cache).
  absl::Status Init(std::vector<tweetstore::MemcachedAddress> cache_servers);
  // WhenApplied's and ReadWhenApplied's wait: the answer when it is known at once;
  // otherwise nullopt, `done` is taken and runs on `pool` once `position` is applied
  // or the wait ends.
  std::optional<absl::Status> ReadyOrWait(LogOffset position, absl::Time deadline, ThreadPool* pool,
                                          absl::AnyInvocable<void(absl::Status)>& done);
  // Runs `done` on `pool` once `position` is applied or the wait ends.
  void AwaitApplied(LogOffset position, absl::Time deadline, ThreadPool* pool,
                    absl::AnyInvocable<void(absl::Status)> done);
  // Appends `event` (a serialized events::Event) and calls `done` when durable.
  void Append(std::string event, Done<LogOffset> done);
  // Gives an event its id and appends it in one critical section, so that the log's
  // order is its ids' order. Ids are the events' times, which last-write-wins
  // compares; were a write logged after another but with an older id, a replay in log
  // order and one by time could disagree (a mass change carried out in the background
  // would catch the older write or not depending on timing). `event` is called with
  // the id and returns the serialized event and its `done`.
  void AppendWithId(absl::FunctionRef<std::pair<std::string, Done<LogOffset>>(uint64_t id)> event);
  // Open's steps: the data dir's lock and the log (dropping the stores for a
  // rebuild); the stores; the id generator, above the log's newest event; gauges; and
  // applying the log's unapplied tail.
  absl::Status OpenLog();
  absl::Status OpenStores(std::vector<tweetstore::MemcachedAddress> cache_servers);
  absl::Status StartIds();
  void RegisterGauges();
  absl::Status Recover();
  absl::StatusOr<TimelineResult> Finish(std::vector<TweetId> ids, uint32_t limit, bool hydrate,
                                        bool rebuilt);
  // The tweets of `ids`, in order, missing and deleted ones omitted: from the tweet
  // store, and in a cluster from their partitions' owners.
  absl::StatusOr<std::vector<tweetstore::Tweet>> Hydrate(absl::Span<const TweetId> ids);
  // The same from this Roost's tweet store only.
  absl::StatusOr<std::vector<tweetstore::Tweet>> LocalTweets(absl::Span<const TweetId> ids);
  // Appends a follow unless the followee blocks the follower (SetEdge).
  void Follow(UserId follower, UserId followee, absl::Time deadline, Done<LogOffset> done);
  // For a BLOCKS event touching `users` (none: any other event), called where the
  // event gets its place in the log: records it in blocks_ and returns `done` wrapped
  // to record its end.
  Done<LogOffset> TrackBlocks(std::vector<UserId> users, Done<LogOffset> done)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_order_mu_);

  const RoostOptions options_;
  Clock* const clock_;
  MetricsRegistry metrics_;
  Counter* const writes_refused_ = metrics_.GetCounter("server.writes_refused");
  std::unique_ptr<log::FileLock> lock_;
  std::unique_ptr<SnowflakeGenerator> ids_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<tweetstore::TweetStore> tweets_;
  std::unique_ptr<graph::GraphStore> graph_;
  std::unique_ptr<ingest::StoreTimelineSource> source_;
  // What the timelines read: source_, or in a cluster source_ with remote authors' tweets.
  std::unique_ptr<timelines::TimelineSource> timeline_source_;
  std::unique_ptr<timelines::HomeTimelines> timelines_;
  std::unique_ptr<tweetstore::TweetCopies> copies_;  // in a cluster
  std::unique_ptr<ingest::Pipeline> pipeline_;
  std::atomic<bool> releasing_{false};

  // Applies options_.log_retention every retention_interval until stop_retention_.
  void RetentionLoop();
  absl::Notification stop_retention_;
  std::thread retention_;

  absl::Mutex append_order_mu_;  // see AppendWithId
  BlockTracker blocks_;          // blocks appended, for follows' checks
  absl::Mutex writes_mu_;
  bool draining_ ABSL_GUARDED_BY(writes_mu_) = false;
  int writes_in_flight_ ABSL_GUARDED_BY(writes_mu_) = 0;

  std::unique_ptr<RequestDeduper> requests_;  // posts with a request id

  // Runs what ReadWhenApplied is given. Destroyed after continuations_, which may
  // still hand it reads, and before the stores the reads use.
  std::unique_ptr<ThreadPool> readers_;
  // Runs the continuations of position waits (reads, deletes' checks), which may be
  // slow (a timeline rebuild), off the pipeline's notifier thread. Declared last so
  // that it is destroyed first, running what it holds and joining its threads, while
  // everything a continuation touches (the stores, the mutexes above) still exists: a
  // delete's continuation unlocks append_order_mu_, for one.
  std::unique_ptr<ThreadPool> continuations_;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_ROOST_H_
