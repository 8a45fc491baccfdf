// HomeTimelines holds every materialized home timeline in memory, split into shards.
// Each shard has one writer (the pipeline's timeline bolt instance that owns it) and
// any number of readers; a shard's lock guards its timelines.
//
// The contract (DESIGN.md, "the home-timeline contract"): once the writer has applied
// every change up to a position, a user's timeline paged to its end is exactly the
// newest max_entries tweets its home shows (timeline_source.h says which), with the
// pulled authors' tweets (below) merged in.
//
// How it is kept, for each kind of change:
//  - A tweet is delivered to its author's and followers' timelines; a timeline drops
//    one by an author hidden from its user, so a hidden author never counts against
//    the cap. A delete retracts it.
//  - An unfollow drops the author's entries; a block or mute (either way round) also
//    marks the author hidden. A follow, unmute or unblock asks the source whether the
//    author is shown now and, if so, merges its recent tweets.
//  - What the cap drops is gone, and its place is the timeline's cut (timeline.h). A
//    removal can leave a timeline short: fewer than max_entries entries while older
//    tweets exist below the cut. It is refilled lazily, by the first read whose page
//    runs past its last entry: the read takes the next older tweets from the source
//    (timeline_source.h, as a rebuild does, below the cut) and extends the timeline
//    with them before it answers. So the removal itself costs only the removal, however
//    many timelines it touches (a delete by an author followed by millions), and only
//    timelines read to their end pay for the refill, once.
//
// Only active users are materialized. Writes to a user without a timeline are dropped
// (the fanout skips them); a read of a missing timeline rebuilds it from the source's
// newest tweets, and says so (rebuilt = true).
//
// A source read (a rebuild or a refill) runs outside the shard's lock, so writes land
// meanwhile: they are applied to the timeline as usual and recorded (SourceWork in
// home_timelines_shard.h), and the read is reconciled with them before it is merged
// in: removals filter what was read, authors shown meanwhile are not hidden, and
// entries a refilling timeline refused for being below its cut go in with the refill.
// So a source read racing a delete or an unfollow cannot bring a removed entry back.
// One reader reads the source for a timeline; concurrent readers of the same user wait
// for it instead of reading the source again. If the source fails, the error is
// returned and a half-built timeline is dropped (a waiting reader tries again itself).
//
// Memory is bounded by HomeTimelinesOptions::memory_limit_bytes: each shard keeps its
// share, and a shard over it evicts the timelines read least recently (a scan, then
// down to 90% of the share, so scans are rare). Writes do not count as use: a timeline
// that receives tweets but is never read is idle. An evicted timeline is rebuilt by
// its next read.
//
// Thread-safe.
#ifndef ROOST_TIMELINES_HOME_TIMELINES_H_
#define ROOST_TIMELINES_HOME_TIMELINES_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "timelines/home_timelines_shard.h"
#include "timelines/pulled_authors.h"
#include "timelines/timeline.h"
#include "timelines/timeline_source.h"

namespace roost::timelines {

struct HomeTimelinesOptions {
  int shards = 16;
  size_t max_entries = 800;
  // Bytes of memory the timelines may hold, all shards together; 0: no limit.
  size_t memory_limit_bytes = 0;
};

struct ReadResult {
  std::vector<Entry> entries;
  bool rebuilt = false;
};

class HomeTimelines {
 public:
  // `source` is not owned and must outlive this object.
  HomeTimelines(const HomeTimelinesOptions& options, TimelineSource* source);
  ~HomeTimelines();

  int shard_count() const;
  size_t max_entries() const { return options_.max_entries; }
  int ShardOf(UserId user) const;

  // Writer side. All calls for one shard must come from one thread at a time.
  // Each is a no-op for a user whose timeline is not materialized.
  void Insert(UserId user, const Entry& entry);
  void RemoveTweet(UserId user, TweetId id);
  // Inserts `entry` into the timelines of those of `users` (all of shard `shard`) that
  // are materialized and do not hide its author; returns how many it landed in. One
  // lock for the batch, and the users' table slots and timeline tails are prefetched
  // ahead of use: fanout's path. With `mark_pulled`, the entry's author is also
  // recorded as a pulled followee of each of them (the first tweet of a newly pulled
  // author is pushed so, to its whole audience; see pulled_authors.h).
  size_t Deliver(int shard, const Entry& entry, absl::Span<const UserId> users,
                 bool mark_pulled = false);
  // Removes tweet `id` from the timelines of `users` (all of shard `shard`).
  void Retract(int shard, TweetId id, absl::Span<const UserId> users);
  // `user` no longer follows `author`: drops the author's entries.
  void RemoveAuthor(UserId user, UserId author);
  // `author` is hidden from `user` now (a block or a mute, either way round): drops its
  // entries, and drops its tweets delivered from now on.
  void HideAuthor(UserId user, UserId author);
  // `author` may be shown to `user` now (a follow, an unmute, an unblock): asks the
  // source whether `user` follows it and nothing hides it; if so, merges its recent
  // tweets. An error from the source leaves the timeline as it was (retry it).
  absl::Status ShowAuthor(UserId user, UserId author);
  // ShowAuthor with the author's newest tweets given (newest first; one more than
  // max_entries when it has older ones) instead of read from the source: for an
  // author whose tweets are kept elsewhere (another partition of a cluster).
  absl::Status ShowAuthorWith(UserId user, UserId author, std::vector<Entry> recent);

  // Hybrid fanout (pulled_authors.h), called by fanout, from the thread that owns the
  // author: a tweet that was not pushed to its author's followers, which reads of their
  // timelines merge in instead; and its deletion, which refills the author's list from
  // the source when the list had been cut (an error leaves it short; retry it).
  void Pull(const Entry& entry);
  absl::Status Unpull(UserId author, TweetId id);
  bool IsPulled(UserId author) const;
  size_t pulled_author_count() const;

  // Reader side, any thread: a page of `user`'s timeline (ids in (since_id, max_id),
  // max_id 0: no bound, newest first, at most `limit`), rebuilding the timeline first
  // if it is not materialized, and refilling it first if it is short and the page
  // reaches past its last entry.
  absl::StatusOr<ReadResult> Read(UserId user, TweetId max_id, TweetId since_id, size_t limit);

  // True when `user` has a ready timeline (one being rebuilt does not count yet).
  bool IsMaterialized(UserId user) const;
  size_t materialized_count() const;
  // Entries held in memory, including those of timelines being rebuilt.
  size_t entry_count() const;
  // Bytes held: each timeline's encoded entries and dictionary, by capacity, and its
  // slot in the shard's table. (The table's empty slots and malloc's overhead are not
  // counted; loadgen's timeline_bench measures the whole process.)
  size_t memory_bytes() const;
  // Timelines evicted to stay within the memory limit, since construction.
  uint64_t evicted_count() const;
  // Refills of short timelines from the source, since construction.
  uint64_t refilled_count() const;

 private:
  using Shard = TimelineShard;
  struct PageQuery {
    TweetId max_id = 0;
    TweetId since_id = 0;
    size_t limit = 0;
  };
  // A source read to do for a timeline: a rebuild, or a refill below its cut.
  struct SourceJob {
    bool rebuild = false;
    TweetId before = 0;  // read ids below this (0: no bound)
    size_t count = 0;
  };

  // Read when the page needs the source: the timeline is missing, building, or short.
  absl::StatusOr<ReadResult> ReadFromSource(Shard& shard, UserId user, const PageQuery& query);
  // Starts a rebuild of the missing `user` or a refill of its short timeline, marking it
  // so other readers wait.
  SourceJob StartSourceJob(Shard& shard, UserId user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Merges what `job` read (or on an error, undoes StartSourceJob and returns it).
  absl::Status FinishSourceJob(Shard& shard, UserId user, const SourceJob& job,
                               absl::StatusOr<SourceRead> read)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void FinishRebuild(Shard& shard, UserId user, UserTimeline& state, SourceRead read)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Appends to *out a page of a ready timeline, with its pulled followees' tweets merged
  // in. False when the page could not be made exactly: it reaches below the
  // timeline's cut while the timeline is short (a refill is needed). `state` is one
  // of `shard`'s.
  bool PageOf(const Shard& shard, const UserTimeline& state, const PageQuery& query,
              std::vector<Entry>* out) const ABSL_SHARED_LOCKS_REQUIRED(shard.mu);
  bool PageWithPulled(const Shard& shard, const UserTimeline& state, const PageQuery& query,
                      std::vector<Entry>* out) const ABSL_SHARED_LOCKS_REQUIRED(shard.mu);
  // The sum of f(shard) over the shards, each read under its lock.
  template <typename F>
  size_t SumShards(F f) const;
  uint32_t NextReadTick() { return read_clock_.fetch_add(1, std::memory_order_relaxed) + 1; }
  // Evicts idle timelines of `shard` while it is over its share of the memory limit.
  void EvictIfOver(Shard& shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  // ShowAuthor's body: `given` (may be null) replaces the source's read of the author.
  absl::Status Show(UserId user, UserId author, std::vector<Entry>* given);

  const HomeTimelinesOptions options_;
  TimelineSource* const source_;
  size_t shard_limit_bytes_ = 0;         // 0: no limit
  std::atomic<uint32_t> read_clock_{0};  // orders reads, for eviction
  PulledAuthors pulled_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace roost::timelines

#endif  // ROOST_TIMELINES_HOME_TIMELINES_H_
