// TweetStore keeps tweets in RocksDB (T-Bird) with a per-author index (T-Flock):
//   tweets:    big-endian id -> encoded Tweet
//   by_author: (author, ~id) -> empty, so a prefix scan is newest first
//   requests:  (author, request_id) -> (tweet id, log offset, created_at) for
//              deduplicating retried posts across restarts
//   meta:      the committed log offset
// (layouts in tweet_keys.h, values in tweet_codec.h).
//
// Each keyspace is a RocksDB column family rather than a key-type prefix in one
// keyspace: the families share one WAL, so a WriteBatch across them is still atomic,
// while each gets the options its access pattern wants — Bloom filters for the point
// reads on tweets and requests, none for by_author, which is only scanned, and a merge
// operator on requests that keeps the latest post of a request id.
//
// Writes are idempotent, so replaying the log is safe: Put of an existing or deleted id
// changes nothing; Delete leaves a tombstone (text cleared) and removes the index entry.
//
// Thread-safe. The pipeline partitions writes by tweet id, so one id has one writer.
#ifndef ROOST_TWEETSTORE_TWEET_STORE_H_
#define ROOST_TWEETSTORE_TWEET_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tweetstore/tweet.h"

namespace roost::tweetstore {

struct TweetStoreOptions {
  bool create_if_missing = true;
  size_t block_cache_bytes = size_t{128} << 20;
};

// The latest post made with a request id (by log position).
struct RequestRecord {
  TweetId tweet_id = 0;
  LogOffset position = 0;
  int64_t created_at_ms = 0;
};

class TweetStore {
 public:
  static absl::StatusOr<std::unique_ptr<TweetStore>> Open(const std::string& path,
                                                          const TweetStoreOptions& options);
  virtual ~TweetStore() = default;

  // Stores `tweet` and its index entry, and the request record when request_id is not
  // empty, in one WriteBatch. No-op when the id exists (live or deleted).
  virtual absl::Status Put(const Tweet& tweet, absl::string_view request_id,
                           LogOffset position) = 0;
  // Marks the tweet deleted. NOT_FOUND when the id was never stored; OK (no-op) when
  // already deleted.
  virtual absl::Status Delete(TweetId id) = 0;

  // The tweet, including tombstones (deleted = true); nullopt when unknown.
  virtual absl::StatusOr<std::optional<Tweet>> Get(TweetId id) = 0;
  // One RocksDB MultiGet; result[i] answers ids[i].
  virtual absl::StatusOr<std::vector<std::optional<Tweet>>> MultiGet(
      absl::Span<const TweetId> ids) = 0;

  // The author's undeleted tweet ids, newest first, with since_id < id < max_id
  // (max_id 0: no upper bound), at most `limit`.
  virtual absl::StatusOr<std::vector<TweetId>> AuthorTweets(UserId author, TweetId max_id,
                                                            TweetId since_id, size_t limit) = 0;

  // The latest post (by log position) the author made with `request_id`, whatever
  // order the pipeline applied the posts in; nullopt when none.
  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(
      UserId author, absl::string_view request_id) = 0;

  // The log offset through which the pipeline has applied events to this store.
  virtual absl::StatusOr<LogOffset> CommittedOffset() = 0;
  virtual absl::Status SetCommittedOffset(LogOffset offset) = 0;
};

}  // namespace roost::tweetstore

#endif  // ROOST_TWEETSTORE_TWEET_STORE_H_
