// What the tests of CachedTweetStore share: a fixture with a real RocksDB tweet store
// in a temporary directory behind a cache on real memcached servers, a separate
// client to look at (and tamper with) what the servers hold, and the counters.
#ifndef ROOST_TESTS_TWEETSTORE_CACHE_TEST_UTIL_H_
#define ROOST_TESTS_TWEETSTORE_CACHE_TEST_UTIL_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "gtest/gtest.h"
#include "tests/common/memcached_process.h"
#include "tests/tweetstore/tweet_test_util.h"
#include "tweetstore/cached_tweet_store.h"
#include "tweetstore/memcached_client.h"
#include "tweetstore/tweet_codec.h"
#include "tweetstore/tweet_store.h"

namespace roost::tweetstore {

inline Tweet TombstoneOf(Tweet tweet) {
  tweet.deleted = true;
  tweet.text.clear();
  return tweet;
}

inline std::string Encoded(const Tweet& tweet) {
  std::string value;
  EncodeTweet(tweet, &value);
  return value;
}

// A client of the given servers only, with the cache's settings.
inline std::unique_ptr<MemcachedClient> ClientOf(
    const std::vector<const testing::MemcachedProcess*>& servers) {
  MemcachedOptions options;
  for (const testing::MemcachedProcess* server : servers) {
    options.servers.push_back({"127.0.0.1", server->port()});
  }
  absl::StatusOr<std::unique_ptr<MemcachedClient>> client = MemcachedClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

class CachedTweetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = FreshTestPath("cached_tweetstore_");
    const absl::Status started = memcached_.Start();
    ASSERT_TRUE(started.ok()) << started;
    peek_ = ClientOf({&memcached_});
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(path_);
  }

  std::unique_ptr<TweetStore> OpenRocks() {
    TweetStoreOptions options;
    options.block_cache_bytes = 1 << 20;
    absl::StatusOr<std::unique_ptr<TweetStore>> opened = TweetStore::Open(path_.string(), options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? *std::move(opened) : nullptr;
  }

  // Puts a cache on `servers` (default: memcached_) in front of `inner` (default: the
  // RocksDB store).
  void Open(std::vector<const testing::MemcachedProcess*> servers = {},
            const CachedTweetStoreOptions& options = {},
            std::unique_ptr<TweetStore> inner = nullptr) {
    if (servers.empty()) servers = {&memcached_};
    store_.reset();  // RocksDB allows one open per directory
    if (inner == nullptr) inner = OpenRocks();
    ASSERT_NE(inner, nullptr);
    std::unique_ptr<MemcachedClient> cache = ClientOf(servers);
    ASSERT_NE(cache, nullptr);
    store_ =
        std::make_unique<CachedTweetStore>(std::move(inner), std::move(cache), &metrics_, options);
  }

  void PutOk(const Tweet& tweet) {
    const absl::Status status = store_->Put(tweet, "", 1);
    ASSERT_TRUE(status.ok()) << status;
  }
  std::optional<Tweet> GetOk(TweetId id) {
    absl::StatusOr<std::optional<Tweet>> got = store_->Get(id);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::nullopt;
  }
  std::vector<std::optional<Tweet>> MultiGetOk(const std::vector<TweetId>& ids) {
    absl::StatusOr<std::vector<std::optional<Tweet>>> got = store_->MultiGet(ids);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::vector<std::optional<Tweet>>(ids.size());
  }

  // What `client`'s servers hold for the tweet: the decoded value, nullopt if nothing.
  static std::optional<Tweet> Peek(MemcachedClient& client, TweetId id) {
    std::vector<std::optional<std::string>> values;
    const absl::Status got = client.MultiGet({TweetCacheKey(id)}, &values);
    EXPECT_TRUE(got.ok()) << got;
    if (!got.ok() || !values[0].has_value()) return std::nullopt;
    Tweet tweet;
    const absl::Status decoded = DecodeTweet(id, *values[0], &tweet);
    EXPECT_TRUE(decoded.ok()) << decoded;
    return tweet;
  }
  std::optional<Tweet> Peek(TweetId id) { return Peek(*peek_, id); }

  int64_t Metric(const std::string& name) const {
    const std::map<std::string, int64_t> snapshot = metrics_.Snapshot();
    auto it = snapshot.find(name);
    return it == snapshot.end() ? 0 : it->second;
  }

  std::filesystem::path path_;
  testing::MemcachedProcess memcached_;
  MetricsRegistry metrics_;  // outlives store_
  std::unique_ptr<TweetStore> store_;
  // Looks at memcached_ past the cache under test.
  std::unique_ptr<MemcachedClient> peek_;
};

}  // namespace roost::tweetstore

#endif  // ROOST_TESTS_TWEETSTORE_CACHE_TEST_UTIL_H_
