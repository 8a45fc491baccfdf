// HomeTimelines under the cap: hidden authors never count against it, and a timeline
// that removals left short is refilled from the source by the read that needs it.
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/timelines/fake_timeline_source.h"
#include "timelines/home_timelines.h"

namespace roost::timelines {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr UserId kReader = 1, kProlific = 2, kQuiet = 3, kStar = 9;

class RefillTest : public ::testing::Test {
 protected:
  RefillTest() : timelines_(HomeTimelinesOptions{2, 5}, &source_) {}

  // Every page, `limit` at a time.
  std::vector<TweetId> ReadAll(UserId user, size_t limit = 2) {
    std::vector<TweetId> ids;
    TweetId max_id = 0;
    for (int page = 0; page < 10; ++page) {
      absl::StatusOr<ReadResult> read = timelines_.Read(user, max_id, 0, limit);
      EXPECT_TRUE(read.ok()) << read.status();
      if (!read.ok()) return ids;
      for (const Entry& e : read->entries) ids.push_back(e.id);
      if (read->entries.size() < limit) return ids;
      max_id = read->entries.back().id;
    }
    ADD_FAILURE() << "more pages than the cap allows";
    return ids;
  }
  // Posts through the source and delivers to `users`, as fanout would.
  void Post(UserId author, TweetId id, std::vector<UserId> users) {
    source_.Post(author, id);
    for (UserId user : users) timelines_.Insert(user, {id, author, 0});
  }
  void Delete(UserId author, TweetId id, std::vector<UserId> users) {
    source_.Delete(author, id);
    for (UserId user : users) timelines_.RemoveTweet(user, id);
  }
  // The reader follows a prolific author (8 tweets, 40..110 by tens) and a quiet one
  // (3 older tweets); the timeline holds the prolific author's newest 5.
  void FollowBoth() {
    source_.Follow(kReader, kProlific);
    source_.Follow(kReader, kQuiet);
    for (TweetId id : {1, 2, 3}) source_.Post(kQuiet, id);
    for (TweetId id = 40; id <= 110; id += 10) source_.Post(kProlific, id);
    ASSERT_THAT(ReadAll(kReader), ElementsAre(110, 100, 90, 80, 70));
  }

  FakeSource source_;
  HomeTimelines timelines_;
};

TEST_F(RefillTest, DeletesInAFullTimelineAreRefilledByTheReadThatReachesTheEnd) {
  FollowBoth();
  Delete(kProlific, 100, {kReader});
  Delete(kProlific, 80, {kReader});
  const int reads_before = source_.recent_tweets_calls();
  // A first page above the hole needs nothing from the source.
  absl::StatusOr<ReadResult> first = timelines_.Read(kReader, 0, 0, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(Ids(first->entries), ElementsAre(110, 90));
  EXPECT_FALSE(first->rebuilt);
  EXPECT_EQ(source_.recent_tweets_calls(), reads_before);
  // Paged to its end: the newest 5, refilled from below the cut.
  EXPECT_THAT(ReadAll(kReader), ElementsAre(110, 90, 70, 60, 50));
  EXPECT_GT(source_.recent_tweets_calls(), reads_before);
  // Refilled once: the next full read takes nothing from the source.
  const int reads_after = source_.recent_tweets_calls();
  EXPECT_THAT(ReadAll(kReader, 5), ElementsAre(110, 90, 70, 60, 50));
  EXPECT_EQ(source_.recent_tweets_calls(), reads_after);
}

TEST_F(RefillTest, MutingAProlificAuthorLeavesTheQuietOnesTweets) {
  FollowBoth();
  source_.SetHidden(kReader, kProlific, true);
  timelines_.HideAuthor(kReader, kProlific);
  EXPECT_THAT(ReadAll(kReader), ElementsAre(3, 2, 1));
  // Its tweets delivered while hidden are dropped.
  Post(kProlific, 120, {kReader});
  Post(kQuiet, 4, {kReader});
  EXPECT_THAT(ReadAll(kReader), ElementsAre(4, 3, 2, 1));
  // Unmuted: its recent tweets merge back, as on a follow.
  source_.SetHidden(kReader, kProlific, false);
  ASSERT_TRUE(timelines_.ShowAuthor(kReader, kProlific).ok());
  EXPECT_THAT(ReadAll(kReader), ElementsAre(120, 110, 100, 90, 80));
  Post(kProlific, 130, {kReader});
  EXPECT_THAT(ReadAll(kReader), ElementsAre(130, 120, 110, 100, 90));
}

TEST_F(RefillTest, ARebuildHidesBeforeItCaps) {
  source_.Follow(kReader, kProlific);
  source_.Follow(kReader, kQuiet);
  for (TweetId id : {1, 2, 3}) source_.Post(kQuiet, id);
  for (TweetId id = 40; id <= 110; id += 10) source_.Post(kProlific, id);
  source_.SetHidden(kReader, kProlific, true);
  EXPECT_THAT(ReadAll(kReader), ElementsAre(3, 2, 1));
  // And the author it hid stays hidden for later deliveries.
  Post(kProlific, 120, {kReader});
  EXPECT_THAT(ReadAll(kReader), ElementsAre(3, 2, 1));
}

TEST_F(RefillTest, ShowingAnAuthorStillHiddenOrNotFollowedChangesNothing) {
  FollowBoth();
  source_.SetHidden(kReader, kProlific, true);
  timelines_.HideAuthor(kReader, kProlific);
  // Unmuted while still blocked: the source still hides it.
  ASSERT_TRUE(timelines_.ShowAuthor(kReader, kProlific).ok());
  EXPECT_THAT(ReadAll(kReader), ElementsAre(3, 2, 1));
  // An unblock of an author not followed merges nothing.
  source_.Post(7, 200);
  ASSERT_TRUE(timelines_.ShowAuthor(kReader, 7).ok());
  EXPECT_THAT(ReadAll(kReader), ElementsAre(3, 2, 1));
}

TEST_F(RefillTest, AnUnfollowIsRefilledFromTheOtherFollowees) {
  FollowBoth();
  source_.Unfollow(kReader, kProlific);
  timelines_.RemoveAuthor(kReader, kProlific);
  EXPECT_THAT(ReadAll(kReader), ElementsAre(3, 2, 1));
}

TEST_F(RefillTest, ADeleteDuringTheRefillIsNotUndone) {
  FollowBoth();
  Delete(kProlific, 110, {kReader});
  // The refill reads 60 before the delete of 60 reaches the timeline.
  source_.OnRecentTweets(kProlific, [this] { Delete(kProlific, 60, {kReader}); });
  EXPECT_THAT(ReadAll(kReader), ElementsAre(100, 90, 80, 70, 50));
}

TEST_F(RefillTest, AnEntryTheTimelineRefusedBelowItsCutDuringTheRefillGoesIn) {
  FollowBoth();
  Delete(kProlific, 110, {kReader});
  // A late delivery of 65, below the cut (60), lands while the refill is reading: the
  // refill read missed it, and the timeline refused it.
  source_.OnRecentTweets(kQuiet, [this] { timelines_.Insert(kReader, {65, kQuiet, 0}); });
  EXPECT_THAT(ReadAll(kReader), ElementsAre(100, 90, 80, 70, 65));
}

TEST_F(RefillTest, AFollowDuringTheRefillKeepsItsOlderTweets) {
  FollowBoth();
  Delete(kProlific, 110, {kReader});
  Delete(kProlific, 100, {kReader});
  source_.Post(5, 55);
  source_.Post(5, 45);
  // The refill read the followees before the follow of 5; its merge comes meanwhile.
  source_.OnRecentTweets(kProlific, [this] {
    source_.Follow(kReader, 5);
    ASSERT_TRUE(timelines_.ShowAuthor(kReader, 5).ok());
  });
  EXPECT_THAT(ReadAll(kReader), ElementsAre(90, 80, 70, 60, 55));
}

TEST_F(RefillTest, ARefillErrorIsReturnedAndTheTimelineStaysReadable) {
  FollowBoth();
  Delete(kProlific, 110, {kReader});
  source_.FailRecentTweets(true);
  absl::StatusOr<ReadResult> read = timelines_.Read(kReader, 0, 0, 10);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(timelines_.IsMaterialized(kReader));
  source_.FailRecentTweets(false);
  EXPECT_THAT(ReadAll(kReader), ElementsAre(100, 90, 80, 70, 60));
}

TEST_F(RefillTest, ARefillOvertakenByTheCapIsDropped) {
  FollowBoth();
  Delete(kProlific, 110, {kReader});
  // Enough new tweets arrive during the refill to fill the timeline and cut it higher.
  source_.OnRecentTweets(kProlific, [this] {
    for (TweetId id = 200; id <= 240; id += 10) Post(kQuiet, id, {kReader});
  });
  EXPECT_THAT(ReadAll(kReader, /*limit=*/10), ElementsAre(240, 230, 220, 210, 200));
}

TEST_F(RefillTest, APulledAuthorsDeletesAreRefilledFromTheSource) {
  // Cap 5: the star's list holds its newest 5 pulled tweets.
  source_.Follow(kReader, kStar);
  ReadAll(kReader);
  timelines_.Deliver(timelines_.ShardOf(kReader), {10, kStar, 0}, std::vector<UserId>{kReader},
                     /*mark_pulled=*/true);
  source_.Post(kStar, 10);
  for (TweetId id = 20; id <= 80; id += 10) {
    source_.Post(kStar, id);
    timelines_.Pull({id, kStar, 0});
  }
  timelines_.Pull({10, kStar, 0});
  EXPECT_THAT(ReadAll(kReader), ElementsAre(80, 70, 60, 50, 40));
  source_.Delete(kStar, 70);
  ASSERT_TRUE(timelines_.Unpull(kStar, 70).ok());
  source_.Delete(kStar, 50);
  ASSERT_TRUE(timelines_.Unpull(kStar, 50).ok());
  EXPECT_THAT(ReadAll(kReader), ElementsAre(80, 60, 40, 30, 20));
  // A failed refill is retried by the next call for the same delete.
  source_.Delete(kStar, 80);
  source_.FailRecentTweets(true);
  EXPECT_FALSE(timelines_.Unpull(kStar, 80).ok());
  source_.FailRecentTweets(false);
  ASSERT_TRUE(timelines_.Unpull(kStar, 80).ok());
  EXPECT_THAT(ReadAll(kReader), ElementsAre(60, 40, 30, 20, 10));
}

TEST_F(RefillTest, SinceIdPagesAboveTheCutNeedNoRefill) {
  FollowBoth();
  Delete(kProlific, 100, {kReader});
  const int reads_before = source_.recent_tweets_calls();
  absl::StatusOr<ReadResult> read = timelines_.Read(kReader, 0, /*since_id=*/75, 10);
  ASSERT_TRUE(read.ok());
  EXPECT_THAT(Ids(read->entries), ElementsAre(110, 90, 80));
  EXPECT_EQ(source_.recent_tweets_calls(), reads_before);
  read = timelines_.Read(kReader, 0, /*since_id=*/0, 10);
  ASSERT_TRUE(read.ok());
  EXPECT_THAT(Ids(read->entries), ElementsAre(110, 90, 80, 70, 60));
}

TEST_F(RefillTest, AnEmptiedTimelineWithNothingOlderIsNotRefilledAgain) {
  source_.Follow(kReader, kQuiet);
  for (TweetId id : {1, 2, 3}) source_.Post(kQuiet, id);
  ASSERT_THAT(ReadAll(kReader), ElementsAre(3, 2, 1));
  for (TweetId id : {1, 2, 3}) Delete(kQuiet, id, {kReader});
  const int reads_before = source_.recent_tweets_calls();
  EXPECT_THAT(ReadAll(kReader), IsEmpty());
  EXPECT_EQ(source_.recent_tweets_calls(), reads_before);
}

TEST_F(RefillTest, AFollowMergedDuringTheRefillKeepsTheFolloweesCut) {
  // The reader's timeline is empty, with a cut: it followed only P, whose 7 tweets
  // overflowed the cap, and unfollowed it.
  source_.Follow(kReader, kProlific);
  for (TweetId id = 100; id <= 160; id += 10) source_.Post(kProlific, id);
  ASSERT_THAT(ReadAll(kReader), ElementsAre(160, 150, 140, 130, 120));
  source_.Unfollow(kReader, kProlific);
  timelines_.RemoveAuthor(kReader, kProlific);
  // The refill reads no followees; meanwhile the reader follows Q, who has 8 tweets
  // below the cut, more than a timeline holds: its merge takes Q's newest 5, and Q's
  // older ones are left out, which the refill must not claim to have.
  for (TweetId id = 1; id <= 8; ++id) source_.Post(kQuiet, id);
  source_.OnRecentTweets(kReader, [this] {
    source_.Follow(kReader, kQuiet);
    ASSERT_TRUE(timelines_.ShowAuthor(kReader, kQuiet).ok());
  });
  EXPECT_THAT(ReadAll(kReader), ElementsAre(8, 7, 6, 5, 4));
  Delete(kQuiet, 8, {kReader});
  EXPECT_THAT(ReadAll(kReader), ElementsAre(7, 6, 5, 4, 3));
}

TEST_F(RefillTest, ARebuildDropsThePulledMarkOfAnAuthorItHides) {
  // The reader mutes the star; while its timeline is rebuilt, the star's first pulled
  // tweet is pushed to its followers, marking the star as one to pull for each.
  source_.Follow(kReader, kStar);
  source_.Follow(kReader, kQuiet);
  source_.SetHidden(kReader, kStar, true);
  source_.Post(kQuiet, 1);
  source_.OnRecentTweets(kQuiet, [this] {
    source_.Post(kStar, 50);
    timelines_.Deliver(timelines_.ShardOf(kReader), {50, kStar, 0}, std::vector<UserId>{kReader},
                       /*mark_pulled=*/true);
    timelines_.Pull({50, kStar, 0});
  });
  EXPECT_THAT(ReadAll(kReader), ElementsAre(1));
  timelines_.Pull({60, kStar, 0});
  EXPECT_THAT(ReadAll(kReader), ElementsAre(1));
}

}  // namespace
}  // namespace roost::timelines
