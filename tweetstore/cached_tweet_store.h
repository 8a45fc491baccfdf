// CachedTweetStore is a TweetStore that reads through a memcached cache in front of
// another TweetStore (the store of record, RocksDB), for deployments where many API
// nodes read the same tweets. Get and MultiGet ask the cache first, with one
// multi-get; the ids it lacks are read from the store with one MultiGet and then
// cached with ADD, never SET, so a reader can never overwrite what a Delete wrote.
// Values are tweet_codec.h's encoding, tombstones included: a deleted tweet is cached
// as its tombstone, so a delete is a cache write rather than a cache miss. Ids the
// store does not know are not cached at all. Everything else goes to the store.
//
// The cache is an optimisation, never a source of errors: a read that cannot use it
// reads the store, and the failure is counted (tweets.cache.errors).
//
// While this process runs, no deleted tweet is served live, however memcached fails:
// - Delete SETs the tombstone in the cache *before* deleting in the store. A reader
//   that read the live tweet from the store just before the delete committed then
//   finds the key taken when it ADDs; and a crash between the two steps replays both
//   from the log. (A read that overlapped any Delete does not populate the cache at
//   all, which closes the remaining window: the tombstone evicted, or lost to a
//   memcached restart, between the SET and a late ADD.)
// - When the tombstone cannot be written (a server down, stopped or partitioned), the
//   Delete still goes ahead, and the id is remembered as a pending invalidation. An
//   unreachable memcached is not necessarily an empty one: a server that was only
//   SIGSTOPped or cut off by a partition comes back holding the live tweet. So while
//   any invalidation is pending, reads bypass the cache entirely, and each read first
//   tries to deliver the pending tombstones (one reader at a time, up to 1000 per
//   read); once they are all written, the cache is used again. Deletes meanwhile only add to the
//   set: reads ignore the cache until it is delivered anyway, and the pipeline thread applying the
//   delete should not wait on a server that just failed.
// - The set is bounded (max_pending_invalidations). Past that the ids are dropped,
//   reads keep bypassing, and at the next successful contact every server is flushed
//   before the cache is used again: a flush covers every id remembered before it.
//
// Limitation: pending invalidations live only in this process's memory. Those still
// pending when it exits are lost, so a server unreachable across a restart of the
// process can keep serving a tweet deleted meanwhile. (Persisting them beside the
// store's committed offset would close this.)
//
// Counters: tweets.cache.hits and .misses (ids asked of the cache), .errors (failed
// memcached calls), .bypassed (ids read past the cache while invalidations were
// pending), .flushes; gauges tweets.cache.pending_invalidations and
// tweets.cache.flush_pending (1 while a flush is owed).
//
// Thread-safe: reads come from many gRPC threads, writes from the pipeline's.
#ifndef ROOST_TWEETSTORE_CACHED_TWEET_STORE_H_
#define ROOST_TWEETSTORE_CACHED_TWEET_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics.h"
#include "tweetstore/memcached_client.h"
#include "tweetstore/tweet_store.h"

namespace roost::tweetstore {

struct CachedTweetStoreOptions {
  // Undelivered tombstones remembered one by one; past this, a flush is owed instead.
  size_t max_pending_invalidations = 100'000;
};

// The cache key of a tweet id.
std::string TweetCacheKey(TweetId id);

class CachedTweetStore : public TweetStore {
 public:
  // Owns `store` and `cache`. `metrics` (not owned) must outlive this.
  CachedTweetStore(std::unique_ptr<TweetStore> store, std::unique_ptr<MemcachedClient> cache,
                   MetricsRegistry* metrics, const CachedTweetStoreOptions& options = {});
  ~CachedTweetStore() override;

  absl::Status Put(const Tweet& tweet, absl::string_view request_id, LogOffset position) override {
    return store_->Put(tweet, request_id, position);
  }
  // Writes the tombstone to the cache (or remembers it as pending), then deletes in
  // the store.
  absl::Status Delete(TweetId id) override;

  absl::StatusOr<std::optional<Tweet>> Get(TweetId id) override;
  absl::StatusOr<std::vector<std::optional<Tweet>>> MultiGet(
      absl::Span<const TweetId> ids) override;

  absl::StatusOr<std::vector<TweetId>> AuthorTweets(UserId author, TweetId max_id, TweetId since_id,
                                                    size_t limit) override {
    return store_->AuthorTweets(author, max_id, since_id, limit);
  }
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(UserId author,
                                                           absl::string_view request_id) override {
    return store_->FindRequest(author, request_id);
  }
  absl::StatusOr<LogOffset> CommittedOffset() override { return store_->CommittedOffset(); }
  absl::Status SetCommittedOffset(LogOffset offset) override {
    return store_->SetCommittedOffset(offset);
  }

 private:
  // Whether reads may use the cache now: nothing pending, or everything pending just
  // delivered by this call.
  bool CacheIsCoherent() ABSL_LOCKS_EXCLUDED(mu_);
  // Remembers a tombstone the cache does not have.
  void RememberPending(TweetId id, std::string tombstone) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<TweetStore> store_;
  const std::unique_ptr<MemcachedClient> cache_;
  MetricsRegistry* const metrics_;
  const size_t max_pending_;
  Counter* const hits_;
  Counter* const misses_;
  Counter* const errors_;
  Counter* const bypassed_;
  Counter* const flushes_;
  // Deletes begun so far: a read that saw it change does not populate the cache.
  std::atomic<uint64_t> deletes_begun_{0};

  absl::Mutex mu_;
  // Tombstones (encoded) the cache has not accepted, by id.
  absl::flat_hash_map<TweetId, std::string> pending_ ABSL_GUARDED_BY(mu_);
  // Ids were dropped from pending_ when it was full: the servers must be flushed.
  bool flush_pending_ ABSL_GUARDED_BY(mu_) = false;
  // A reader is delivering pending tombstones (or flushing); others bypass meanwhile.
  bool delivering_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace roost::tweetstore

#endif  // ROOST_TWEETSTORE_CACHED_TWEET_STORE_H_
