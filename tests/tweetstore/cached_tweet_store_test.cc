// CachedTweetStore over a real RocksDB store and real memcached servers: reading
// through, multi-gets, deletes, the races between readers and deletes, and keys
// spread over two servers. Outages are in cached_tweet_store_outage_test.cc.
#include "tweetstore/cached_tweet_store.h"

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tweetstore/cache_test_util.h"

namespace roost::tweetstore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(MemcachedSpecTest, ParsesServerLists) {
  absl::StatusOr<std::vector<MemcachedAddress>> one =
      ParseMemcachedSpec("memcached:127.0.0.1:11211");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_THAT(*one, ElementsAre(MemcachedAddress{"127.0.0.1", 11211}));

  absl::StatusOr<std::vector<MemcachedAddress>> three =
      ParseMemcachedSpec("memcached:cache-a:1,cache-b.example:65535,[::1]:11211");
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_THAT(*three, ElementsAre(MemcachedAddress{"cache-a", 1},
                                  MemcachedAddress{"cache-b.example", 65535},
                                  MemcachedAddress{"::1", 11211}));
}

TEST(MemcachedSpecTest, RejectsMalformedSpecsSayingWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not a memcached cache"},
      {"redis:127.0.0.1:6379", "not a memcached cache"},
      {"memcached:", "no servers"},
      {"memcached:127.0.0.1", "has no port"},
      {"memcached:127.0.0.1:", "port must be 1..65535"},
      {"memcached:127.0.0.1:0", "port must be 1..65535"},
      {"memcached:127.0.0.1:65536", "port must be 1..65535"},
      {"memcached:127.0.0.1:http", "port must be 1..65535"},
      {"memcached::11211", "has no host"},
      {"memcached:a:1,", "has no port"},
      {"memcached:::1:11211", "IPv6 address goes in brackets"},
      {"memcached:[::1:11211", "IPv6 address goes in brackets"},
      {"memcached:a:1,a:1", "listed twice"},
  };
  for (const auto& [spec, why] : cases) {
    absl::StatusOr<std::vector<MemcachedAddress>> parsed = ParseMemcachedSpec(spec);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(parsed.status().message(), HasSubstr(why)) << spec;
    EXPECT_THAT(parsed.status().message(), HasSubstr("memcached:HOST:PORT")) << spec;
  }
}

TEST_F(CachedTweetStoreTest, SecondReadIsServedFromTheCache) {
  Open();
  Tweet tweet = MakeTweet(1001, 7, "first \xE2\x9C\x93");
  tweet.reply_to = 900;
  tweet.retweet_of = 800;
  PutOk(tweet);

  EXPECT_EQ(GetOk(1001), tweet);
  EXPECT_EQ(Metric("tweets.cache.misses"), 1);
  EXPECT_EQ(Metric("tweets.cache.hits"), 0);
  EXPECT_EQ(Peek(1001), tweet);  // populated, every field

  EXPECT_EQ(GetOk(1001), tweet);
  EXPECT_EQ(Metric("tweets.cache.hits"), 1);
  EXPECT_EQ(Metric("tweets.cache.misses"), 1);
  EXPECT_EQ(Metric("tweets.cache.errors"), 0);
}

TEST_F(CachedTweetStoreTest, MultiGetOfAHundredIdsMixesHitsAndMissesInOrder) {
  Open();
  std::map<TweetId, Tweet> stored;
  for (TweetId id = 1000; id < 1090; ++id) {
    Tweet tweet = MakeTweet(id, id % 7 + 1, "tweet " + std::to_string(id));
    if (id % 3 == 0) tweet.reply_to = id - 1;
    PutOk(tweet);
    stored[id] = tweet;
  }
  // Half the stored ids are cached beforehand.
  std::vector<TweetId> warm;
  for (TweetId id = 1000; id < 1090; id += 2) warm.push_back(id);
  MultiGetOk(warm);
  const int64_t hits = Metric("tweets.cache.hits"), misses = Metric("tweets.cache.misses");

  // 90 stored ids and 10 unknown ones, shuffled.
  std::vector<TweetId> ids;
  for (const auto& entry : stored) ids.push_back(entry.first);
  for (TweetId id = 5000; id < 5010; ++id) ids.push_back(id);
  std::shuffle(ids.begin(), ids.end(), std::mt19937(42));
  ASSERT_EQ(ids.size(), 100u);

  for (int round = 0; round < 2; ++round) {
    const std::vector<std::optional<Tweet>> got = MultiGetOk(ids);
    ASSERT_EQ(got.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = stored.find(ids[i]);
      if (it == stored.end()) {
        EXPECT_EQ(got[i], std::nullopt) << ids[i];
      } else {
        EXPECT_EQ(got[i], it->second) << ids[i];
      }
    }
  }
  // First round: 45 hits, 55 misses (45 stored, 10 unknown); second: 90 hits and
  // the 10 unknown ids missing again.
  EXPECT_EQ(Metric("tweets.cache.hits") - hits, 45 + 90);
  EXPECT_EQ(Metric("tweets.cache.misses") - misses, 55 + 10);
  // A duplicated id is answered at each of its places.
  EXPECT_THAT(MultiGetOk({1001, 5000, 1001}),
              ElementsAre(stored[1001], std::nullopt, stored[1001]));
}

TEST_F(CachedTweetStoreTest, UnknownIdsAreNotCached) {
  Open();
  EXPECT_EQ(GetOk(404), std::nullopt);
  EXPECT_EQ(Peek(404), std::nullopt);
  EXPECT_EQ(store_->Delete(404).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Peek(404), std::nullopt);

  // Nothing remembered the id as missing: once posted, it reads at once.
  PutOk(MakeTweet(404, 2, "late"));
  EXPECT_EQ(GetOk(404), MakeTweet(404, 2, "late"));
  EXPECT_EQ(Peek(404), MakeTweet(404, 2, "late"));
}

TEST_F(CachedTweetStoreTest, DeleteCachesTheTombstoneWhichReadsThenServe) {
  Open();
  Tweet tweet = MakeTweet(20, 3, "regrettable");
  tweet.reply_to = 19;
  PutOk(tweet);
  PutOk(MakeTweet(21, 3));
  EXPECT_EQ(GetOk(20), tweet);
  ASSERT_EQ(Peek(20), tweet);

  ASSERT_TRUE(store_->Delete(20).ok());
  EXPECT_EQ(Peek(20), TombstoneOf(tweet));
  const int64_t hits = Metric("tweets.cache.hits");
  EXPECT_EQ(GetOk(20), TombstoneOf(tweet));
  EXPECT_EQ(Metric("tweets.cache.hits"), hits + 1);  // from the cache, not the store

  // A tweet deleted before it was ever read is cached as its tombstone too.
  ASSERT_TRUE(store_->Delete(21).ok());
  EXPECT_EQ(Peek(21), TombstoneOf(MakeTweet(21, 3)));
  EXPECT_THAT(MultiGetOk({21, 20}), ElementsAre(TombstoneOf(MakeTweet(21, 3)), TombstoneOf(tweet)));
  EXPECT_EQ(Metric("tweets.cache.pending_invalidations"), 0);
}

// A store whose MultiGet runs a hook once it has read: what other threads do between
// a reader's read of the store and its population of the cache.
class HookedStore : public TweetStore {
 public:
  HookedStore(std::unique_ptr<TweetStore> inner, std::function<void()> hook)
      : inner_(std::move(inner)), hook_(std::move(hook)) {}
  absl::StatusOr<std::vector<std::optional<Tweet>>> MultiGet(
      absl::Span<const TweetId> ids) override {
    auto read = inner_->MultiGet(ids);
    if (hook_) std::exchange(hook_, nullptr)();
    return read;
  }
  absl::Status Put(const Tweet& t, absl::string_view r, LogOffset p) override {
    return inner_->Put(t, r, p);
  }
  absl::Status Delete(TweetId id) override { return inner_->Delete(id); }
  absl::StatusOr<std::optional<Tweet>> Get(TweetId id) override { return inner_->Get(id); }
  absl::StatusOr<std::vector<TweetId>> AuthorTweets(UserId, TweetId, TweetId, size_t) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(UserId, absl::string_view) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<LogOffset> CommittedOffset() override { return inner_->CommittedOffset(); }
  absl::Status SetCommittedOffset(LogOffset o) override { return inner_->SetCommittedOffset(o); }

 private:
  std::unique_ptr<TweetStore> inner_;
  std::function<void()> hook_;
};

TEST_F(CachedTweetStoreTest, AReaderCannotOverwriteATombstoneWithWhatItReadBefore) {
  const Tweet tweet = MakeTweet(30, 4, "soon gone");
  // The tombstone lands between the reader's store read and its write to the cache,
  // as a concurrent Delete's SET would.
  Open({}, {}, std::make_unique<HookedStore>(OpenRocks(), [this, tweet] {
         ASSERT_TRUE(peek_->Set(TweetCacheKey(30), Encoded(TombstoneOf(tweet))).ok());
       }));
  PutOk(tweet);
  EXPECT_EQ(GetOk(30), tweet);  // what the store held when read
  EXPECT_EQ(Peek(30), TombstoneOf(tweet));
  EXPECT_EQ(GetOk(30), TombstoneOf(tweet));
}

TEST_F(CachedTweetStoreTest, AReadOverlappingADeleteDoesNotPopulate) {
  const Tweet tweet = MakeTweet(31, 4, "soon gone");
  // While the reader holds the live tweet, the tweet is deleted and then its tombstone
  // lost (evicted, or the server restarted): the reader must not cache what it read.
  Open({}, {}, std::make_unique<HookedStore>(OpenRocks(), [this] {
         ASSERT_TRUE(store_->Delete(31).ok());
         ASSERT_TRUE(peek_->FlushAll().ok());
       }));
  PutOk(tweet);
  EXPECT_EQ(GetOk(31), tweet);
  EXPECT_EQ(Peek(31), std::nullopt);
  EXPECT_EQ(GetOk(31), TombstoneOf(tweet));
  EXPECT_EQ(Peek(31), TombstoneOf(tweet));
}

TEST_F(CachedTweetStoreTest, KeysSpreadOverTwoServersByConsistentHashing) {
  testing::MemcachedProcess second;
  ASSERT_TRUE(second.Start().ok());
  Open({&memcached_, &second});
  std::vector<TweetId> ids;
  for (TweetId id = 1; id <= 200; ++id) {
    PutOk(MakeTweet(id, 9, "spread " + std::to_string(id)));
    ids.push_back(id);
  }
  MultiGetOk(ids);
  EXPECT_EQ(Metric("tweets.cache.misses"), 200);

  // Each key on exactly one server, and both servers used.
  std::unique_ptr<MemcachedClient> only_second = ClientOf({&second});
  int on_first = 0, on_second = 0;
  for (TweetId id : ids) {
    const bool first_has = Peek(*peek_, id).has_value();
    const bool second_has = Peek(*only_second, id).has_value();
    EXPECT_NE(first_has, second_has) << id;
    on_first += first_has;
    on_second += second_has;
  }
  EXPECT_EQ(on_first + on_second, 200);
  EXPECT_GT(on_first, 40);
  EXPECT_GT(on_second, 40);

  // Reads find them all where they were put; so does a client listing the servers in
  // the other order (the ring depends on the servers, not on their order).
  const std::vector<std::optional<Tweet>> got = MultiGetOk(ids);
  for (TweetId id : ids) EXPECT_EQ(got[id - 1], MakeTweet(id, 9, "spread " + std::to_string(id)));
  EXPECT_EQ(Metric("tweets.cache.hits"), 200);
  std::unique_ptr<MemcachedClient> reversed = ClientOf({&second, &memcached_});
  for (TweetId id : ids) {
    EXPECT_EQ(Peek(*reversed, id), MakeTweet(id, 9, "spread " + std::to_string(id))) << id;
  }
}

}  // namespace
}  // namespace roost::tweetstore
