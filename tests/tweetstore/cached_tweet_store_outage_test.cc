// CachedTweetStore when memcached fails: reads keep working from the store, and a
// tweet deleted while the cache could not be told is never served live afterwards,
// whether the server was killed (and comes back) or only stopped (and comes back
// still holding the live tweet).
//
// A server that comes back holding the live tweet is the case the pending
// invalidations exist for. The tests make it so explicitly, writing the live tweet to
// the server with a separate client once it is back: that stands for a tombstone
// lost on the way (a partition) or a server that kept its data, and makes each test
// fail if reads used the cache before the tombstone was delivered.
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tweetstore/cache_test_util.h"
#include "tweetstore/cached_tweet_store.h"

namespace roost::tweetstore {
namespace {

using ::testing::ElementsAre;

// Generous next to the cache's timeouts (100 ms per call, 1 s before a server that
// refused a connection is tried again).
constexpr absl::Duration kPatience = absl::Seconds(20);

class CacheOutageTest : public CachedTweetStoreTest {
 protected:
  // Reads `id` until the cache serves it again (a hit) or kPatience passes, checking
  // every read returns `expected`; true once it was a hit. Polls: how soon the cache
  // recovers depends on the client's retry timer.
  bool ReadUntilServedFromCache(TweetId id, const Tweet& expected) {
    const absl::Time deadline = absl::Now() + kPatience;
    while (absl::Now() < deadline) {
      const int64_t hits = Metric("tweets.cache.hits");
      const std::optional<Tweet> got = GetOk(id);
      EXPECT_EQ(got, expected);
      if (got != expected) return false;
      if (Metric("tweets.cache.hits") > hits) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }
};

TEST_F(CacheOutageTest, AKilledServerFailsNoReadAndComesBackWithoutStaleTweets) {
  Open();
  const Tweet doomed = MakeTweet(10, 1, "doomed"), kept = MakeTweet(11, 1, "kept");
  PutOk(doomed);
  PutOk(kept);
  EXPECT_THAT(MultiGetOk({10, 11}), ElementsAre(doomed, kept));
  ASSERT_EQ(Peek(10), doomed);

  memcached_.Kill();
  EXPECT_THAT(MultiGetOk({10, 11}), ElementsAre(doomed, kept));  // from RocksDB
  EXPECT_GT(Metric("tweets.cache.errors"), 0);

  ASSERT_TRUE(store_->Delete(10).ok());  // the tombstone cannot be written
  EXPECT_EQ(Metric("tweets.cache.pending_invalidations"), 1);
  const int64_t bypassed = Metric("tweets.cache.bypassed");
  EXPECT_EQ(GetOk(10), TombstoneOf(doomed));
  EXPECT_GT(Metric("tweets.cache.bypassed"), bypassed);

  ASSERT_TRUE(memcached_.Start(memcached_.port()).ok());
  peek_ = ClientOf({&memcached_});  // not one whose connection died with the server
  ASSERT_TRUE(peek_->Set(TweetCacheKey(10), Encoded(doomed)).ok());  // stale, see the top

  EXPECT_TRUE(ReadUntilServedFromCache(10, TombstoneOf(doomed)));
  EXPECT_EQ(Metric("tweets.cache.pending_invalidations"), 0);
  EXPECT_EQ(Peek(10), TombstoneOf(doomed));
  EXPECT_EQ(GetOk(11), kept);
}

TEST_F(CacheOutageTest, AStoppedServerKeepsTheLiveTweetButNeverServesIt) {
  Open();
  const Tweet doomed = MakeTweet(20, 2, "doomed"), kept = MakeTweet(21, 2, "kept");
  PutOk(doomed);
  PutOk(kept);
  EXPECT_EQ(GetOk(20), doomed);
  ASSERT_EQ(Peek(20), doomed);

  memcached_.Pause();
  // A read waits out one timeout, then reads the store.
  const int64_t errors = Metric("tweets.cache.errors");
  const absl::Time start = absl::Now();
  EXPECT_EQ(GetOk(21), kept);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_GT(Metric("tweets.cache.errors"), errors);

  ASSERT_TRUE(store_->Delete(20).ok());  // the tombstone's SET times out
  EXPECT_EQ(Metric("tweets.cache.pending_invalidations"), 1);
  EXPECT_EQ(GetOk(20), TombstoneOf(doomed));

  memcached_.Resume();
  // The timed-out SET was still in the server's socket and now lands; wait for it,
  // then put the live tweet back, as if that SET had been lost.
  const absl::Time deadline = absl::Now() + kPatience;
  while (Peek(20) != TombstoneOf(doomed) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(peek_->Set(TweetCacheKey(20), Encoded(doomed)).ok());

  EXPECT_TRUE(ReadUntilServedFromCache(20, TombstoneOf(doomed)));
  EXPECT_EQ(Metric("tweets.cache.pending_invalidations"), 0);
  EXPECT_EQ(Peek(20), TombstoneOf(doomed));
  EXPECT_TRUE(ReadUntilServedFromCache(21, kept));
}

TEST_F(CacheOutageTest, TooManyPendingInvalidationsFlushTheServers) {
  CachedTweetStoreOptions options;
  options.max_pending_invalidations = 2;
  Open({}, options);
  std::vector<Tweet> doomed;
  for (TweetId id = 30; id < 33; ++id) {
    doomed.push_back(MakeTweet(id, 3, "doomed " + std::to_string(id)));
    PutOk(doomed.back());
    EXPECT_EQ(GetOk(id), doomed.back());
  }

  memcached_.Kill();
  for (const Tweet& tweet : doomed) ASSERT_TRUE(store_->Delete(tweet.id).ok());
  EXPECT_EQ(Metric("tweets.cache.flush_pending"), 1);

  ASSERT_TRUE(memcached_.Start(memcached_.port()).ok());
  peek_ = ClientOf({&memcached_});
  for (const Tweet& tweet : doomed) {
    ASSERT_TRUE(peek_->Set(TweetCacheKey(tweet.id), Encoded(tweet)).ok());  // stale
  }
  ASSERT_TRUE(peek_->Set("unrelated", "x").ok());

  EXPECT_TRUE(ReadUntilServedFromCache(30, TombstoneOf(doomed[0])));
  EXPECT_EQ(Metric("tweets.cache.flushes"), 1);
  EXPECT_EQ(Metric("tweets.cache.flush_pending"), 0);
  for (const Tweet& tweet : doomed) EXPECT_EQ(GetOk(tweet.id), TombstoneOf(tweet));
  std::vector<std::optional<std::string>> unrelated;
  ASSERT_TRUE(peek_->MultiGet({"unrelated"}, &unrelated).ok());
  EXPECT_EQ(unrelated[0], std::nullopt);  // the servers were flushed
}

}  // namespace
}  // namespace roost::tweetstore
