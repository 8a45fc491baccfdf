// A partition's copies of other partitions' tweets: kept until retracted, never kept
// after their retraction whatever the order, and bounded with the oldest going first.
#include "tweetstore/tweet_copies.h"

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace roost::tweetstore {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

Tweet T(TweetId id, std::string text = "hello") {
  Tweet tweet;
  tweet.id = id;
  tweet.author = 7;
  tweet.text = std::move(text);
  tweet.created_at_ms = 1000 + static_cast<int64_t>(id);
  return tweet;
}

TEST(TweetCopiesTest, KeepsCopiesUntilRetracted) {
  TweetCopies copies(1 << 20);
  copies.Put(T(1));
  copies.Put(T(2, "second"));
  EXPECT_THAT(copies.Find({2, 3, 1}),
              ElementsAre(Optional(T(2, "second")), std::nullopt, Optional(T(1))));
  copies.Retract(2);
  EXPECT_THAT(copies.Find({1, 2}), ElementsAre(Optional(T(1)), std::nullopt));
  EXPECT_EQ(copies.stats().tweets, 1u);
  EXPECT_EQ(copies.stats().found, 3u);
  EXPECT_EQ(copies.stats().missed, 2u);
}

TEST(TweetCopiesTest, ACopyArrivingAfterItsRetractionIsNotKept) {
  TweetCopies copies(1 << 20);
  copies.Retract(5);
  copies.Put(T(5));
  EXPECT_THAT(copies.Find({5}), ElementsAre(std::nullopt));
  Tweet tombstone = T(6);
  tombstone.deleted = true;
  copies.Put(tombstone);
  EXPECT_THAT(copies.Find({6}), ElementsAre(std::nullopt));
}

TEST(TweetCopiesTest, PastItsBoundTheOldestGoFirst) {
  const size_t one = [] {
    TweetCopies probe(1 << 20);
    probe.Put(T(1));
    return probe.stats().bytes;
  }();
  TweetCopies copies(3 * one);
  for (TweetId id : {4, 2, 3, 1, 5}) copies.Put(T(id));
  EXPECT_THAT(copies.Find({1, 2, 3, 4, 5}), ElementsAre(std::nullopt, std::nullopt, Optional(T(3)),
                                                        Optional(T(4)), Optional(T(5))));
  EXPECT_EQ(copies.stats().evicted, 2u);
  EXPECT_LE(copies.stats().bytes, 3 * one);
  // Retractions take room too, and the oldest of either goes.
  for (TweetId id = 100; id < 100 + 3 * one; ++id) copies.Retract(id);
  EXPECT_THAT(copies.Find({3, 4, 5}), ElementsAre(std::nullopt, std::nullopt, std::nullopt));
  EXPECT_LE(copies.stats().bytes, 3 * one);
}

TEST(TweetCopiesTest, RacingPutsAndRetractionsLeaveNoRetractedCopy) {
  TweetCopies copies(1 << 24);
  constexpr TweetId kTweets = 2000;
  std::thread putter([&] {
    for (TweetId id = 1; id <= kTweets; ++id) copies.Put(T(id));
  });
  std::thread retracter([&] {
    for (TweetId id = 2; id <= kTweets; id += 2) copies.Retract(id);
  });
  putter.join();
  retracter.join();
  std::vector<TweetId> ids;
  for (TweetId id = 1; id <= kTweets; ++id) ids.push_back(id);
  const std::vector<std::optional<Tweet>> found = copies.Find(ids);
  for (TweetId id = 1; id <= kTweets; ++id) {
    EXPECT_EQ(found[id - 1].has_value(), id % 2 == 1) << id;
  }
}

}  // namespace
}  // namespace roost::tweetstore
