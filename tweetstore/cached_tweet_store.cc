#include "tweetstore/cached_tweet_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tweetstore/tweet_codec.h"

namespace roost::tweetstore {
namespace {

constexpr char kPendingGauge[] = "tweets.cache.pending_invalidations";
constexpr char kFlushPendingGauge[] = "tweets.cache.flush_pending";

// Tombstones one read delivers at most, so that no read carries a long backlog alone.
constexpr size_t kDeliveryBatch = 1000;

}  // namespace

std::string TweetCacheKey(TweetId id) { return absl::StrCat("roost:tweet:", id); }

CachedTweetStore::CachedTweetStore(std::unique_ptr<TweetStore> store,
                                   std::unique_ptr<MemcachedClient> cache, MetricsRegistry* metrics,
                                   const CachedTweetStoreOptions& options)
    : store_(std::move(store)),
      cache_(std::move(cache)),
      metrics_(metrics),
      max_pending_(options.max_pending_invalidations),
      hits_(metrics->GetCounter("tweets.cache.hits")),
      misses_(metrics->GetCounter("tweets.cache.misses")),
      errors_(metrics->GetCounter("tweets.cache.errors")),
      bypassed_(metrics->GetCounter("tweets.cache.bypassed")),
      flushes_(metrics->GetCounter("tweets.cache.flushes")) {
  metrics_->SetGauge(kPendingGauge, [this] {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(pending_.size());
  });
  metrics_->SetGauge(kFlushPendingGauge, [this] {
    absl::MutexLock lock(&mu_);
    return int64_t{flush_pending_};
  });
}

CachedTweetStore::~CachedTweetStore() {
  metrics_->RemoveGauge(kPendingGauge);
  metrics_->RemoveGauge(kFlushPendingGauge);
}

absl::Status CachedTweetStore::Delete(TweetId id) {
  deletes_begun_.fetch_add(1);
  ASSIGN_OR_RETURN(std::optional<Tweet> tweet, store_->Get(id));
  if (tweet.has_value()) {  // else the store answers NOT_FOUND, and nothing was cached
    // The tombstone exactly as the store keeps it.
    tweet->deleted = true;
    tweet->text.clear();
    std::string tombstone;
    EncodeTweet(*tweet, &tombstone);
    bool in_sync;
    {
      absl::MutexLock lock(&mu_);
      in_sync = pending_.empty() && !flush_pending_;
    }
    absl::Status written = absl::FailedPreconditionError("invalidations are pending");
    if (in_sync) {
      written = cache_->Set(TweetCacheKey(id), tombstone);
      if (!written.ok()) errors_->Add();
    }
    if (!written.ok()) {
      absl::MutexLock lock(&mu_);
      RememberPending(id, std::move(tombstone));
    }
  }
  return store_->Delete(id);
}

void CachedTweetStore::RememberPending(TweetId id, std::string tombstone) {
  if (pending_.size() >= max_pending_) {
    // Too many to track one by one: a flush of the servers covers them all.
    flush_pending_ = true;
    pending_.clear();
  }
  pending_.insert_or_assign(id, std::move(tombstone));
}

bool CachedTweetStore::CacheIsCoherent() {
  bool flush;
  std::vector<std::pair<TweetId, std::string>> batch;
  {
    absl::MutexLock lock(&mu_);
    if (pending_.empty() && !flush_pending_) return true;
    if (delivering_) return false;  // one reader retries; the others read the store
    delivering_ = true;
    flush = flush_pending_;
    if (flush) {
      // A flush that succeeds removes whatever these ids left in the cache; one that
      // fails stays owed, and covers them later.
      pending_.clear();
    } else {
      for (const auto& entry : pending_) {
        if (batch.size() == kDeliveryBatch) break;
        batch.push_back(entry);
      }
    }
  }

  bool delivered_all = true;
  size_t delivered = 0;
  if (flush) {
    delivered_all = cache_->FlushAll().ok();
    if (delivered_all) flushes_->Add();
  } else {
    // SET, not ADD: the live tweet may still be cached.
    for (; delivered < batch.size(); ++delivered) {
      const auto& [id, tombstone] = batch[delivered];
      if (!cache_->Set(TweetCacheKey(id), tombstone).ok()) {
        delivered_all = false;
        break;
      }
    }
  }
  if (!delivered_all) errors_->Add();

  absl::MutexLock lock(&mu_);
  delivering_ = false;
  if (flush && delivered_all) flush_pending_ = false;
  for (size_t i = 0; i < delivered; ++i) pending_.erase(batch[i].first);
  return pending_.empty() && !flush_pending_;
}

absl::StatusOr<std::optional<Tweet>> CachedTweetStore::Get(TweetId id) {
  ASSIGN_OR_RETURN(std::vector<std::optional<Tweet>> tweets, MultiGet(absl::MakeConstSpan(&id, 1)));
  return std::move(tweets[0]);
}

absl::StatusOr<std::vector<std::optional<Tweet>>> CachedTweetStore::MultiGet(
    absl::Span<const TweetId> ids) {
  if (ids.empty()) return std::vector<std::optional<Tweet>>();
  if (!CacheIsCoherent()) {
    bypassed_->Add(static_cast<int64_t>(ids.size()));
    return store_->MultiGet(ids);
  }

  // Each id once, in the cache and in the store.
  std::vector<TweetId> distinct(ids.begin(), ids.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<std::string> keys;
  keys.reserve(distinct.size());
  for (TweetId id : distinct) keys.push_back(TweetCacheKey(id));
  std::vector<std::optional<std::string>> values;
  const absl::Status cached = cache_->MultiGet(keys, &values);
  if (!cached.ok()) errors_->Add();

  absl::flat_hash_map<TweetId, Tweet> found;
  std::vector<TweetId> missing;
  for (size_t i = 0; i < distinct.size(); ++i) {
    Tweet tweet;
    if (values[i].has_value() && DecodeTweet(distinct[i], *values[i], &tweet).ok()) {
      found.emplace(distinct[i], std::move(tweet));
      continue;
    }
    // A value this version cannot read stays a miss (ADD leaves it alone).
    if (values[i].has_value()) errors_->Add();
    missing.push_back(distinct[i]);
  }
  hits_->Add(static_cast<int64_t>(found.size()));
  misses_->Add(static_cast<int64_t>(missing.size()));

  if (!missing.empty()) {
    const uint64_t deletes_before = deletes_begun_.load();
    ASSIGN_OR_RETURN(std::vector<std::optional<Tweet>> stored, store_->MultiGet(missing));
    // After a failure, each ADD would likely wait out the same timeout again.
    bool populate = cached.ok() && deletes_begun_.load() == deletes_before;
    std::string value;
    for (size_t i = 0; i < missing.size(); ++i) {
      if (!stored[i].has_value()) continue;  // unknown ids are not cached
      if (populate) {
        value.clear();
        EncodeTweet(*stored[i], &value);
        if (!cache_->Add(TweetCacheKey(missing[i]), value).ok()) {
          errors_->Add();
          populate = false;
        }
      }
      found.emplace(missing[i], *std::move(stored[i]));
    }
  }

  std::vector<std::optional<Tweet>> result(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto it = found.find(ids[i]); it != found.end()) result[i] = it->second;
  }
  return result;
}

}  // namespace roost::tweetstore
