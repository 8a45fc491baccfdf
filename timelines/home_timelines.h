// HomeTimelines holds every materialized home timeline in memory, split into shards.
// Each shard has one writer (the pipeline's timeline bolt instance that owns it) and
// any number of readers; a shard's lock guards its timelines.
//
// Only active users are materialized. Writes to a user without a timeline are
// dropped (the fanout skips them); a read of a missing timeline rebuilds it by a k-way
// merge of the recent tweets of the user and their followees, read from a
// TimelineSource, and says so (rebuilt = true). Writes that land while a rebuild is
// reading the source are applied to the new timeline, and removals are recorded and
// applied to the rebuilt entries before they are merged, so a rebuild racing a delete
// or an unfollow cannot bring a removed entry back. (Filtering the rebuilt entries,
// rather than removing again from the merged timeline, keeps what writes added after
// the removal: an unfollow then a re-follow during a rebuild keeps the author.)
//
// Memory is bounded by HomeTimelinesOptions::memory_limit_bytes: each shard keeps its
// share, and a shard over it evicts the timelines read least recently (a scan, then
// down to 90% of the share, so scans are rare). Writes do not count as use: a timeline
// that receives tweets but is never read is idle. An evicted timeline is rebuilt by
// its next read.
//
// One reader rebuilds a missing timeline; concurrent readers of the same user wait for
// it (and report rebuilt = true too) instead of reading the source again. If the source
// fails, the error is returned, the half-built timeline is dropped, and a waiting
// reader tries the rebuild itself.
//
// Thread-safe.
#ifndef ROOST_TIMELINES_HOME_TIMELINES_H_
#define ROOST_TIMELINES_HOME_TIMELINES_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "timelines/pulled_authors.h"
#include "timelines/timeline.h"

namespace roost::timelines {

// What a rebuild reads. Implemented by the wiring layer over the graph and tweet
// stores, so this module depends on neither. Must be thread-safe.
class TimelineSource {
 public:
  virtual ~TimelineSource() = default;
  // Whom `user` follows (state NORMAL).
  virtual absl::StatusOr<std::vector<UserId>> Followees(UserId user) = 0;
  // The author's newest undeleted tweets, newest first, at most `limit`.
  virtual absl::StatusOr<std::vector<Entry>> RecentTweets(UserId author, size_t limit) = 0;
};

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

struct UserTimeline;  // home_timelines.cc

class HomeTimelines {
 public:
  // `source` is not owned and must outlive this object.
  HomeTimelines(const HomeTimelinesOptions& options, TimelineSource* source);
  ~HomeTimelines();

  int shard_count() const;
  int ShardOf(UserId user) const;

  // Writer side. All calls for one shard must come from one thread at a time.
  // Each is a no-op for a user whose timeline is not materialized.
  void Insert(UserId user, const Entry& entry);
  void RemoveTweet(UserId user, TweetId id);
  void RemoveAuthor(UserId user, UserId author);
  // Inserts `entry` into the timelines of those of `users` (all of shard `shard`) that
  // are materialized; returns how many it landed in. One lock for the batch, and the
  // users' table slots and timeline tails are prefetched ahead of use: fanout's path.
  // With `mark_pulled`, the entry's author is also recorded as a pulled followee of
  // each of them (the first tweet of a newly pulled author is pushed so, to its whole
  // audience; see pulled_authors.h).
  size_t Deliver(int shard, const Entry& entry, absl::Span<const UserId> users,
                 bool mark_pulled = false);
  // Removes tweet `id` from the timelines of `users` (all of shard `shard`).
  void Retract(int shard, TweetId id, absl::Span<const UserId> users);
  // Merges `author`'s recent tweets (from the source) into `user`'s timeline: on follow.
  absl::Status MergeAuthor(UserId user, UserId author);

  // Hybrid fanout (pulled_authors.h), called by fanout, any thread: a tweet that was
  // not pushed to its author's followers, which reads of their timelines merge in
  // instead; and its deletion.
  void Pull(const Entry& entry);
  void Unpull(UserId author, TweetId id);
  bool IsPulled(UserId author) const;
  size_t pulled_author_count() const;

  // Reader side, any thread: a page of `user`'s timeline, rebuilding it first if it is
  // not materialized.
  absl::StatusOr<ReadResult> Read(UserId user, TweetId max_id, TweetId since_id,
                                  size_t limit, const AuthorSet* exclude);

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

 private:
  struct Shard;
  // The newest-first merge of the recent tweets of `user` and its followees, capped;
  // and the followees.
  absl::StatusOr<std::vector<Entry>> ReadSource(UserId user, std::vector<UserId>* followees);
  // A page of a ready timeline, with its pulled followees' tweets merged in. The
  // caller holds the shard's lock.
  void PageOf(const UserTimeline& state, TweetId max_id, TweetId since_id, size_t limit,
              const AuthorSet* exclude, std::vector<Entry>* out) const;
  // The sum of f(shard) over the shards, each read under its lock.
  template <typename F>
  size_t SumShards(F f) const;
  uint32_t NextReadTick() { return read_clock_.fetch_add(1, std::memory_order_relaxed) + 1; }
  // Evicts idle timelines of `shard` while it is over its share of the memory limit.
  // The caller holds shard.mu exclusively.
  void EvictIfOver(Shard& shard);

  const HomeTimelinesOptions options_;
  TimelineSource* const source_;
  size_t shard_limit_bytes_ = 0;  // 0: no limit
  std::atomic<uint32_t> read_clock_{0};  // orders reads, for eviction
  PulledAuthors pulled_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace roost::timelines

#endif  // ROOST_TIMELINES_HOME_TIMELINES_H_
