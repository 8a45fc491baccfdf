#include "tweetstore/tweet_store.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tweetstore/tweet_test_util.h"

namespace roost::tweetstore {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class TweetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = FreshTestPath("tweetstore_");
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(path_);
  }

  void Reopen() {
    store_.reset();  // RocksDB allows one open per directory
    TweetStoreOptions options;
    options.block_cache_bytes = 1 << 20;
    auto opened = TweetStore::Open(path_.string(), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
  }

  void PutOk(const Tweet& tweet, absl::string_view request_id = "", LogOffset position = 1) {
    const absl::Status status = store_->Put(tweet, request_id, position);
    ASSERT_TRUE(status.ok()) << status;
  }

  std::optional<Tweet> GetOk(TweetId id) {
    auto got = store_->Get(id);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::nullopt;
  }

  std::vector<TweetId> AuthorTweets(UserId author, TweetId max_id, TweetId since_id, size_t limit) {
    auto ids = store_->AuthorTweets(author, max_id, since_id, limit);
    EXPECT_TRUE(ids.ok()) << ids.status();
    return ids.ok() ? *ids : std::vector<TweetId>{};
  }

  std::optional<RequestRecord> FindRequestOk(UserId author, absl::string_view request_id) {
    auto found = store_->FindRequest(author, request_id);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? *found : std::nullopt;
  }

  std::filesystem::path path_;
  std::unique_ptr<TweetStore> store_;
};

TEST_F(TweetStoreTest, PutGetRoundTripsEveryField) {
  Tweet tweet = MakeTweet(1001, 7, "first \xE2\x9C\x93");
  tweet.reply_to = 900;
  tweet.retweet_of = 800;
  PutOk(tweet);
  EXPECT_EQ(GetOk(1001), tweet);
  EXPECT_EQ(GetOk(1002), std::nullopt);
}

TEST_F(TweetStoreTest, SecondPutOfAnIdIsANoOp) {
  PutOk(MakeTweet(5, 1, "original"), "req-a", 10);
  PutOk(MakeTweet(5, 2, "replayed with other fields"), "req-b", 11);
  EXPECT_EQ(GetOk(5), MakeTweet(5, 1, "original"));
  EXPECT_THAT(AuthorTweets(1, 0, 0, 10), ElementsAre(5));
  EXPECT_THAT(AuthorTweets(2, 0, 0, 10), IsEmpty());
  EXPECT_EQ(FindRequestOk(2, "req-b"), std::nullopt);
}

TEST_F(TweetStoreTest, DeleteLeavesATombstoneThatStaysDeleted) {
  Tweet tweet = MakeTweet(20, 3, "regrettable");
  tweet.reply_to = 19;
  PutOk(tweet);
  PutOk(MakeTweet(21, 3));
  ASSERT_TRUE(store_->Delete(20).ok());

  Tweet tombstone = tweet;
  tombstone.deleted = true;
  tombstone.text.clear();
  EXPECT_EQ(GetOk(20), tombstone);
  EXPECT_THAT(AuthorTweets(3, 0, 0, 10), ElementsAre(21));

  // Deleting again is fine; a replayed Put does not resurrect.
  EXPECT_TRUE(store_->Delete(20).ok());
  PutOk(tweet);
  EXPECT_EQ(GetOk(20), tombstone);
  EXPECT_THAT(AuthorTweets(3, 0, 0, 10), ElementsAre(21));
}

TEST_F(TweetStoreTest, DeleteOfUnknownIdIsNotFound) {
  EXPECT_EQ(store_->Delete(404).code(), absl::StatusCode::kNotFound);
}

TEST_F(TweetStoreTest, MultiGetAnswersInOrderWithMissingIds) {
  PutOk(MakeTweet(1, 10));
  PutOk(MakeTweet(2, 11));
  PutOk(MakeTweet(3, 12));
  ASSERT_TRUE(store_->Delete(2).ok());

  const std::vector<TweetId> ids = {3, 99, 1, 2, 3};
  auto got = store_->MultiGet(ids);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), ids.size());
  EXPECT_EQ((*got)[0], MakeTweet(3, 12));
  EXPECT_EQ((*got)[1], std::nullopt);
  EXPECT_EQ((*got)[2], MakeTweet(1, 10));
  ASSERT_TRUE((*got)[3].has_value());
  EXPECT_TRUE((*got)[3]->deleted);
  EXPECT_EQ((*got)[4], MakeTweet(3, 12));

  auto none = store_->MultiGet({});
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(TweetStoreTest, AuthorTweetsNewestFirstWithExclusiveBoundsAndLimit) {
  // Authors 4, 5 and 6 have adjacent index keys; ids interleave, and puts are out of
  // order.
  for (TweetId id : {50, 10, 40, 20, 30}) PutOk(MakeTweet(id, 5));
  for (TweetId id : {11, 41, 51, 61}) PutOk(MakeTweet(id, 4));
  for (TweetId id : {9, 31, 55}) PutOk(MakeTweet(id, 6));

  EXPECT_THAT(AuthorTweets(5, 0, 0, 100), ElementsAre(50, 40, 30, 20, 10));
  EXPECT_THAT(AuthorTweets(4, 0, 0, 100), ElementsAre(61, 51, 41, 11));
  EXPECT_THAT(AuthorTweets(6, 0, 0, 100), ElementsAre(55, 31, 9));
  EXPECT_THAT(AuthorTweets(5, 0, 0, 2), ElementsAre(50, 40));
  // max_id and since_id are exclusive, whether or not they are ids of the author.
  EXPECT_THAT(AuthorTweets(5, 40, 0, 100), ElementsAre(30, 20, 10));
  EXPECT_THAT(AuthorTweets(5, 41, 0, 100), ElementsAre(40, 30, 20, 10));
  EXPECT_THAT(AuthorTweets(5, 0, 20, 100), ElementsAre(50, 40, 30));
  EXPECT_THAT(AuthorTweets(5, 0, 19, 100), ElementsAre(50, 40, 30, 20));
  EXPECT_THAT(AuthorTweets(5, 50, 20, 100), ElementsAre(40, 30));
  EXPECT_THAT(AuthorTweets(5, 50, 10, 2), ElementsAre(40, 30));
  EXPECT_THAT(AuthorTweets(5, 30, 20, 100), IsEmpty());
  EXPECT_THAT(AuthorTweets(5, 31, 29, 100), ElementsAre(30));
  EXPECT_THAT(AuthorTweets(5, 0, 0, 0), IsEmpty());
  EXPECT_THAT(AuthorTweets(5, 10, 0, 100), IsEmpty());
  EXPECT_THAT(AuthorTweets(7, 0, 0, 100), IsEmpty());
  EXPECT_THAT(AuthorTweets(3, 0, 0, 100), IsEmpty());
}

TEST_F(TweetStoreTest, AuthorTweetsAtTheEdgesOfTheIdSpace) {
  const TweetId top = ~TweetId{0};
  PutOk(MakeTweet(top, 8));
  PutOk(MakeTweet(1, 8));
  PutOk(MakeTweet(5, 9));  // the next author's first key follows (8, ~1)
  EXPECT_THAT(AuthorTweets(8, 0, 0, 10), ElementsAre(top, 1));
  EXPECT_THAT(AuthorTweets(8, top, 0, 10), ElementsAre(1));
  EXPECT_THAT(AuthorTweets(8, 0, 1, 10), ElementsAre(top));
}

TEST_F(TweetStoreTest, FindRequestReturnsTheLatestPostInLogOrder) {
  // A request id reused after the deduplication window: the later post counts.
  PutOk(MakeTweet(100, 1), "in-order", 7);
  PutOk(MakeTweet(101, 1), "in-order", 9);
  // Different tweet ids go to different pipeline writers, so the later log entry may
  // be applied first.
  PutOk(MakeTweet(201, 1), "reordered", 12);
  PutOk(MakeTweet(200, 1), "reordered", 11);

  const std::optional<RequestRecord> in_order = FindRequestOk(1, "in-order");
  ASSERT_TRUE(in_order.has_value());
  EXPECT_EQ(in_order->tweet_id, 101u);
  EXPECT_EQ(in_order->position, 9u);
  const std::optional<RequestRecord> reordered = FindRequestOk(1, "reordered");
  ASSERT_TRUE(reordered.has_value());
  EXPECT_EQ(reordered->tweet_id, 201u);
  EXPECT_EQ(reordered->position, 12u);

  EXPECT_EQ(FindRequestOk(2, "in-order"), std::nullopt);
  EXPECT_EQ(FindRequestOk(1, "never"), std::nullopt);
}

TEST_F(TweetStoreTest, CommittedOffsetPersistsAcrossReopen) {
  auto initial = store_->CommittedOffset();
  ASSERT_TRUE(initial.ok());
  EXPECT_EQ(*initial, 0u);
  ASSERT_TRUE(store_->SetCommittedOffset(41).ok());
  ASSERT_TRUE(store_->SetCommittedOffset(42).ok());
  Reopen();
  auto offset = store_->CommittedOffset();
  ASSERT_TRUE(offset.ok()) << offset.status();
  EXPECT_EQ(*offset, 42u);
}

TEST_F(TweetStoreTest, DataPersistsAcrossReopen) {
  Tweet kept = MakeTweet(300, 2, "kept");
  kept.retweet_of = 12;
  PutOk(kept, "req", 5);
  PutOk(MakeTweet(301, 2, "gone"));
  ASSERT_TRUE(store_->Delete(301).ok());
  Reopen();

  EXPECT_EQ(GetOk(300), kept);
  auto gone = GetOk(301);
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(gone->deleted);
  EXPECT_THAT(AuthorTweets(2, 0, 0, 10), ElementsAre(300));
  const std::optional<RequestRecord> request = FindRequestOk(2, "req");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->tweet_id, 300u);
}

TEST(TweetStoreOpenTest, MissingDirectoryFailsWithoutCreateIfMissing) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "tweetstore_never_created").string();
  std::filesystem::remove_all(path);
  TweetStoreOptions options;
  options.create_if_missing = false;
  EXPECT_FALSE(TweetStore::Open(path, options).ok());
}

}  // namespace
}  // namespace roost::tweetstore
