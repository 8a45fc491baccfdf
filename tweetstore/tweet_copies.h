// TweetCopies: copies of other partitions' tweets, kept by a partition of a cluster
// so that hydrating its users' home timelines does not ask the tweets' owners for each
// read. A tweet arrives here with its delivery (or is kept after a read from its
// owner) and leaves with its retraction; a home timeline only ever holds ids that were
// delivered or merged here, so a copy is as fresh as the timeline that names it.
//
// Retracted ids are remembered, so a copy that arrives after its retraction (a
// delivery applied by another writer, a read from the owner that raced the delete) is
// not kept. In memory and bounded: past `max_bytes`, the oldest tweets (smallest ids)
// and the oldest retractions go first; a miss is read from the owner again.
//
// Thread-safe.
#ifndef ROOST_TWEETSTORE_TWEET_COPIES_H_
#define ROOST_TWEETSTORE_TWEET_COPIES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "tweetstore/tweet.h"

namespace roost::tweetstore {

class TweetCopies {
 public:
  explicit TweetCopies(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Keeps a copy of `tweet`, unless its id was retracted (or it is a tombstone).
  void Put(const Tweet& tweet);
  // Drops the copy of `id`, and remembers that it was retracted.
  void Retract(TweetId id);
  // The copy of each of `ids`, nullopt where there is none.
  std::vector<std::optional<Tweet>> Find(absl::Span<const TweetId> ids) const;

  struct Stats {
    size_t tweets = 0;
    size_t bytes = 0;      // copies and retractions, estimated
    uint64_t evicted = 0;  // copies dropped for room
    uint64_t found = 0;    // ids Find found, and
    uint64_t missed = 0;   // did not
  };
  Stats stats() const;

 private:
  static size_t BytesOf(const Tweet& tweet);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  absl::btree_map<TweetId, Tweet> copies_ ABSL_GUARDED_BY(mu_);
  absl::btree_set<TweetId> retracted_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t evicted_ ABSL_GUARDED_BY(mu_) = 0;
  mutable uint64_t found_ ABSL_GUARDED_BY(mu_) = 0;
  mutable uint64_t missed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace roost::tweetstore

#endif  // ROOST_TWEETSTORE_TWEET_COPIES_H_
