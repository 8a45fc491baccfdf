// roostd with --tweet-cache: a real memcached and a real roostd, driven through gRPC.
// Tweets read through the cache (the second read of a tweet is a hit), a deleted tweet
// is gone at once, and a memcached that restarts holding the live tweet (written back
// by the test, as a server that kept it through a partition would) never serves it.
// Also how a malformed spec is refused, by roostd and by Roost::Open.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/roost.h"
#include "tests/common/memcached_process.h"
#include "tests/integration/roostd_client.h"
#include "tests/integration/roostd_process.h"
#include "tweetstore/cached_tweet_store.h"
#include "tweetstore/memcached_client.h"
#include "tweetstore/tweet_codec.h"

namespace roost {
namespace {

namespace v1 = ::roost::v1;
using testing::Client;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MemcachedProcess;
using testing::RoostdTest;

constexpr uint64_t kAlice = 1;

std::vector<std::string> Texts(const v1::GetResponse& response) {
  std::vector<std::string> texts;
  for (const v1::Tweet& tweet : response.tweets()) texts.push_back(tweet.text());
  return texts;
}

class RoostdTweetCacheTest : public RoostdTest {
 protected:
  void SetUp() override {
    const absl::Status started = memcached_.Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  // Tweets.Get of `ids`, failing the test on error.
  v1::GetResponse Get(const std::vector<uint64_t>& ids) {
    v1::GetResponse response;
    const grpc::Status status = client_->Get(ids, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  int64_t Stat(const std::string& name) {
    const v1::StatsResponse stats = client_->Stats();
    auto it = stats.counters().find(name);
    return it == stats.counters().end() ? 0 : it->second;
  }
  // Waits until roostd has applied `position` (a graph read that waits for it).
  void WaitApplied(uint64_t position) {
    client_->Count(v1::FOLLOWS, kAlice, v1::FORWARD, position);
  }

  MemcachedProcess memcached_;
};

TEST_F(RoostdTweetCacheTest, ReadsThroughTheCacheAndNeverServesADeletedTweet) {
  StartServer({"--tweet-cache=memcached:" + memcached_.address(), "--log-sync=none"});
  Client& c = *client_;
  const auto [t1, p1] = c.MustPost(kAlice, "one");
  const auto [t2, p2] = c.MustPost(kAlice, "two");
  const auto [t3, p3] = c.MustPost(kAlice, "three");
  WaitApplied(p3);

  EXPECT_THAT(Texts(Get({t1, t2, t3})), ElementsAre("one", "two", "three"));
  const int64_t hits = Stat("tweets.cache.hits");
  EXPECT_THAT(Texts(Get({t1, t2, t3})), ElementsAre("one", "two", "three"));
  EXPECT_EQ(Stat("tweets.cache.hits"), hits + 3);

  // Deleted: gone at once, and the cache holds its tombstone.
  uint64_t deleted_at = 0;
  ASSERT_TRUE(c.Delete(kAlice, t2, &deleted_at).ok());
  WaitApplied(deleted_at);
  EXPECT_THAT(Texts(Get({t1, t2, t3})), ElementsAre("one", "three"));
  tweetstore::MemcachedOptions peek_options;
  peek_options.servers = {{"127.0.0.1", memcached_.port()}};
  auto peek = tweetstore::MemcachedClient::Create(peek_options);
  ASSERT_TRUE(peek.ok()) << peek.status();
  std::vector<std::optional<std::string>> values;
  ASSERT_TRUE((*peek)->MultiGet({tweetstore::TweetCacheKey(t2)}, &values).ok());
  ASSERT_TRUE(values[0].has_value());
  tweetstore::Tweet cached;
  ASSERT_TRUE(tweetstore::DecodeTweet(t2, *values[0], &cached).ok());
  EXPECT_TRUE(cached.deleted);

  // memcached dies; t3 is deleted meanwhile; it comes back holding t3 live.
  tweetstore::Tweet live_t3;
  live_t3.id = t3;
  live_t3.author = kAlice;
  live_t3.text = "three";
  live_t3.created_at_ms = Get({t3}).tweets(0).created_at_ms();
  memcached_.Kill();
  EXPECT_THAT(Texts(Get({t1, t3})), ElementsAre("one", "three"));  // from the store
  ASSERT_TRUE(c.Delete(kAlice, t3, &deleted_at).ok());
  WaitApplied(deleted_at);
  EXPECT_THAT(Texts(Get({t1, t3})), ElementsAre("one"));
  ASSERT_TRUE(memcached_.Start(memcached_.port()).ok());
  peek = tweetstore::MemcachedClient::Create(peek_options);
  ASSERT_TRUE(peek.ok()) << peek.status();
  std::string stale;
  tweetstore::EncodeTweet(live_t3, &stale);
  ASSERT_TRUE((*peek)->Set(tweetstore::TweetCacheKey(t3), stale).ok());

  // Until the cache is used again (how soon depends on the client's retry timer),
  // and after, t3 stays deleted.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  bool cache_used = false;
  while (!cache_used && absl::Now() < deadline) {
    const int64_t before = Stat("tweets.cache.hits");
    ASSERT_THAT(Texts(Get({t1, t3})), ElementsAre("one"));
    cache_used = Stat("tweets.cache.hits") > before;
    if (!cache_used) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(cache_used);
  EXPECT_EQ(Stat("tweets.cache.pending_invalidations"), 0);
  EXPECT_THAT(Texts(Get({t1, t2, t3})), ElementsAre("one"));
}

TEST(RoostdTweetCacheFlagTest, AMalformedSpecStopsRoostdNamingTheFlag) {
  const std::string dir = testing::FreshDir("malformed_tweet_cache");
  std::string output;
  const int code = testing::RunRoostdToExit(
      {"--listen=127.0.0.1:0", "--data-dir=" + dir, "--tweet-cache=memcached:localhost"}, &output);
  EXPECT_NE(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("--tweet-cache"));
  EXPECT_THAT(output, HasSubstr("has no port"));
  EXPECT_FALSE(std::filesystem::exists(dir));  // refused before touching the data dir
}

TEST(RoostTweetCacheOptionTest, OpenRejectsAMalformedSpec) {
  services::RoostOptions options;
  options.data_dir = testing::FreshDir("open_malformed_tweet_cache");
  options.tweet_cache = "memcached:127.0.0.1:99999";
  absl::StatusOr<std::unique_ptr<services::Roost>> roost = services::Roost::Open(options);
  EXPECT_EQ(roost.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(roost.status().message(), HasSubstr("port must be 1..65535"));
  EXPECT_THAT(roost.status().message(), HasSubstr("memcached:HOST:PORT"));
  EXPECT_FALSE(std::filesystem::exists(options.data_dir));
}

}  // namespace
}  // namespace roost
