#include "timelines/home_timelines.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/timelines/fake_timeline_source.h"

namespace roost::timelines {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

class HomeTimelinesTest : public ::testing::Test {
 protected:
  explicit HomeTimelinesTest(size_t max_entries = 5)
      : timelines_(HomeTimelinesOptions{4, max_entries}, &source_) {}

  ReadResult ReadOk(UserId user, TweetId max_id = 0, size_t limit = 100) {
    auto result = timelines_.Read(user, max_id, 0, limit);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ReadResult{};
  }

  FakeSource source_;
  HomeTimelines timelines_;
};

TEST_F(HomeTimelinesTest, ShardOfIsStableAndInRange) {
  EXPECT_EQ(timelines_.shard_count(), 4);
  std::set<int> seen;
  for (UserId user = 1; user <= 64; ++user) {
    const int shard = timelines_.ShardOf(user);
    EXPECT_GE(shard, 0);
    EXPECT_LT(shard, 4);
    EXPECT_EQ(shard, timelines_.ShardOf(user));
    seen.insert(shard);
  }
  EXPECT_EQ(seen.size(), 4u);  // sequential ids spread over every shard
}

TEST(HomeTimelinesMemoryTest, OverTheLimitTheLeastRecentlyReadAreEvictedAndRebuiltOnRead) {
  FakeSource source;
  for (UserId user = 1; user <= 5; ++user) {
    for (TweetId i = 1; i <= 5; ++i) source.Post(user, user * 100 + i);
  }
  // What one such timeline costs, from a store without a limit.
  size_t per_timeline = 0;
  {
    HomeTimelines unlimited(HomeTimelinesOptions{1, 5}, &source);
    ASSERT_TRUE(unlimited.Read(1, 0, 0, 10).ok());
    per_timeline = unlimited.memory_bytes();
    ASSERT_GT(per_timeline, 0u);
    ASSERT_TRUE(unlimited.Read(2, 0, 0, 10).ok());
    ASSERT_EQ(unlimited.memory_bytes(), 2 * per_timeline);
  }
  // Room for four and a half.
  HomeTimelines timelines(HomeTimelinesOptions{1, 5, per_timeline * 9 / 2}, &source);
  const auto read = [&timelines](UserId user) {
    auto result = timelines.Read(user, 0, 0, 10);
    EXPECT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->entries.size(), 5u);
    return result->rebuilt;
  };
  for (UserId user = 1; user <= 4; ++user) EXPECT_TRUE(read(user));
  EXPECT_EQ(timelines.materialized_count(), 4u);
  EXPECT_FALSE(read(1));             // 2 is now the least recently read
  timelines.Insert(2, {299, 2, 0});  // a write is not a read
  EXPECT_TRUE(read(5));
  EXPECT_EQ(timelines.evicted_count(), 1u);
  EXPECT_FALSE(timelines.IsMaterialized(2));
  for (UserId user : {1, 3, 4, 5}) EXPECT_TRUE(timelines.IsMaterialized(user)) << user;
  EXPECT_LE(timelines.memory_bytes(), per_timeline * 9 / 2);

  EXPECT_TRUE(read(2));  // rebuilt on read; 3 goes now
  EXPECT_FALSE(timelines.IsMaterialized(3));
  EXPECT_EQ(timelines.evicted_count(), 2u);
  // Writes to an evicted user are dropped, as for any user without a timeline.
  timelines.Insert(3, {399, 3, 0});
  EXPECT_FALSE(timelines.IsMaterialized(3));
}

TEST(HomeTimelinesMemoryTest, MemoryBytesFollowsEntriesAndReturnsToZero) {
  FakeSource source;
  HomeTimelines timelines(HomeTimelinesOptions{2, 800}, &source);
  EXPECT_EQ(timelines.memory_bytes(), 0u);
  ASSERT_TRUE(timelines.Read(7, 0, 0, 10).ok());  // empty, but materialized
  const size_t empty = timelines.memory_bytes();
  EXPECT_GT(empty, 0u);
  for (TweetId i = 1; i <= 800; ++i) timelines.Insert(7, {(i + 1000) << 22, 1 + i % 20, 0});
  const size_t full = timelines.memory_bytes();
  // 800 entries a millisecond apart: a few bytes each, far below an Entry's 24.
  EXPECT_LT(full - empty, 800u * 6);
  EXPECT_GT(full - empty, 800u * 2);
  for (UserId author = 1; author <= 20; ++author) timelines.RemoveAuthor(7, author);
  EXPECT_EQ(timelines.entry_count(), 0u);
  EXPECT_EQ(timelines.memory_bytes(), empty);
}

TEST(HomeTimelinesDeliverTest, DeliverReachesExactlyTheMaterializedUsersOfABatch) {
  FakeSource source;
  HomeTimelines timelines(HomeTimelinesOptions{1, 10}, &source);
  // Every third of 100 users is materialized; a batch names all of them, some twice.
  std::vector<UserId> batch;
  for (UserId user = 1; user <= 100; ++user) {
    if (user % 3 == 0) {
      ASSERT_TRUE(timelines.Read(user, 0, 0, 1).ok());
    }
    batch.push_back(user);
    if (user % 10 == 0) batch.push_back(user);
  }
  EXPECT_EQ(timelines.Deliver(0, {500, 7, kReply}, batch), 33u);
  EXPECT_EQ(timelines.Deliver(0, {500, 7, kReply}, batch), 0u);  // already there
  for (UserId user = 1; user <= 100; ++user) {
    if (user % 3 != 0) {
      EXPECT_FALSE(timelines.IsMaterialized(user));
      continue;
    }
    auto read = timelines.Read(user, 0, 0, 10);
    ASSERT_TRUE(read.ok());
    EXPECT_THAT(read->entries, ElementsAre(Entry{500, 7, kReply})) << user;
  }
  EXPECT_EQ(timelines.Deliver(0, {400, 8, 0}, absl::MakeConstSpan(batch).subspan(0, 5)), 1u);
  timelines.Retract(0, 500, batch);
  EXPECT_EQ(timelines.entry_count(), 1u);  // user 3's 400
}

TEST(HomeTimelinesDeliverTest, DeliverMatchesInsertingOneByOne) {
  FakeSource source;
  HomeTimelines batched(HomeTimelinesOptions{4, 50}, &source);
  HomeTimelines single(HomeTimelinesOptions{4, 50}, &source);
  std::mt19937_64 rng(5);
  for (UserId user = 1; user <= 3000; ++user) {
    if (rng() % 2 == 0) continue;
    ASSERT_TRUE(batched.Read(user, 0, 0, 1).ok());
    ASSERT_TRUE(single.Read(user, 0, 0, 1).ok());
  }
  for (int round = 0; round < 200; ++round) {
    const Entry entry{(1000 + rng() % 100000) << 22, 1 + rng() % 30, 0};
    std::vector<std::vector<UserId>> by_shard(4);
    const size_t n = rng() % 3000;
    for (size_t i = 0; i < n; ++i) {
      const UserId user = 1 + rng() % 3000;
      by_shard[static_cast<size_t>(batched.ShardOf(user))].push_back(user);
    }
    for (int shard = 0; shard < 4; ++shard) {
      batched.Deliver(shard, entry, by_shard[static_cast<size_t>(shard)]);
      for (UserId user : by_shard[static_cast<size_t>(shard)]) single.Insert(user, entry);
    }
  }
  for (UserId user = 1; user <= 3000; ++user) {
    auto a = batched.Read(user, 0, 0, 100);
    auto b = single.Read(user, 0, 0, 100);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(Ids(a->entries), Ids(b->entries)) << user;
  }
}

TEST(HomeTimelinesPullTest, PulledTweetsMergeIntoReadsWithinTheCap) {
  FakeSource source;
  HomeTimelines timelines(HomeTimelinesOptions{1, 5}, &source);
  constexpr UserId kReader = 1, kFriend = 2, kStar = 9;
  ASSERT_TRUE(timelines.Read(kReader, 0, 0, 10).ok());
  for (TweetId id : {10, 20, 30}) timelines.Insert(kReader, {id, kFriend, 0});
  // The star's first pulled tweet is pushed, marking the reader; the rest are pulled.
  timelines.Deliver(0, {5, kStar, 0}, std::vector<UserId>{kReader}, /*mark_pulled=*/true);
  timelines.Pull({5, kStar, 0});
  for (TweetId id : {15, 25, 35, 45}) timelines.Pull({id, kStar, 0});
  EXPECT_EQ(timelines.pulled_author_count(), 1u);

  const auto ids = [&](TweetId max_id, TweetId since_id) {
    auto read = timelines.Read(kReader, max_id, since_id, 10);
    EXPECT_TRUE(read.ok());
    return Ids(read->entries);
  };
  // As if every tweet had been pushed: the newest 5 of all of them.
  EXPECT_THAT(ids(0, 0), ElementsAre(45, 35, 30, 25, 20));
  EXPECT_THAT(ids(30, 0), ElementsAre(25, 20));
  EXPECT_THAT(ids(0, 25), ElementsAre(45, 35, 30));
  ASSERT_TRUE(timelines.Unpull(kStar, 45).ok());
  EXPECT_THAT(ids(0, 0), ElementsAre(35, 30, 25, 20, 15));
  // Unfollowing the star drops the pushed entry and the pulled ones.
  timelines.RemoveAuthor(kReader, kStar);
  EXPECT_THAT(ids(0, 0), ElementsAre(30, 20, 10));
  // A follow's merge marks the star again.
  source.Follow(kReader, kStar);
  source.Post(kStar, 35);
  ASSERT_TRUE(timelines.ShowAuthor(kReader, kStar).ok());
  EXPECT_THAT(ids(0, 0), ElementsAre(35, 30, 25, 20, 15));

  // A rebuilt timeline of a follower is marked from the followee list.
  constexpr UserId kOther = 3;
  source.Follow(kOther, kStar);
  EXPECT_THAT(ids(0, 0).size(), 5u);
  auto rebuilt = timelines.Read(kOther, 0, 0, 10);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_TRUE(rebuilt->rebuilt);
  EXPECT_THAT(Ids(rebuilt->entries), ElementsAre(35, 25, 15, 5));
}

TEST(HomeTimelinesPullTest, APageBelowTheFirstCutReadsTheWholeLists) {
  FakeSource source;
  HomeTimelines timelines(HomeTimelinesOptions{1, 100}, &source);
  constexpr UserId kReader = 1, kFriend = 2, kOther = 3, kStar = 9;
  ASSERT_TRUE(timelines.Read(kReader, 0, 0, 10).ok());
  timelines.Insert(kReader, {5, kOther, 0});
  for (TweetId id = 10; id < 40; ++id) timelines.Insert(kReader, {id, kFriend, 0});
  timelines.Deliver(0, {100, kStar, 0}, std::vector<UserId>{kReader}, /*mark_pulled=*/true);
  for (TweetId id = 100; id < 130; ++id) timelines.Pull({id, kStar, 0});
  // A first page of 40 reads the newest 88 of each list, the whole of them.
  auto read = timelines.Read(kReader, 0, 0, 40);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->entries.size(), 40u);
  EXPECT_EQ(read->entries[29].id, 100u);
  EXPECT_EQ(read->entries[30].id, 39u);
  // A first page of 3 reads the newest 14, all the star's.
  read = timelines.Read(kReader, 0, 0, 3);
  ASSERT_TRUE(read.ok());
  EXPECT_THAT(Ids(read->entries), ElementsAre(129, 128, 127));
  // Below max_id, the whole lists.
  read = timelines.Read(kReader, 11, 0, 10);
  ASSERT_TRUE(read.ok());
  EXPECT_THAT(Ids(read->entries), ElementsAre(10, 5));
}

TEST_F(HomeTimelinesTest, ReadOfMissingTimelineRebuildsNewestFirstAndCapped) {
  source_.Follow(1, 2);
  source_.Follow(1, 3);
  source_.Follow(9, 1);  // the other direction does not count
  for (TweetId id : {10, 40, 70}) source_.Post(1, id);
  for (TweetId id : {20, 50, 80}) source_.Post(2, id);
  for (TweetId id : {30, 60}) source_.Post(3, id);
  source_.Post(4, 90);  // not followed

  ASSERT_FALSE(timelines_.IsMaterialized(1));
  const ReadResult first = ReadOk(1);
  EXPECT_TRUE(first.rebuilt);
  EXPECT_THAT(Ids(first.entries), ElementsAre(80, 70, 60, 50, 40));  // cap 5
  EXPECT_EQ(first.entries[0], (Entry{80, 2, 0}));
  EXPECT_TRUE(timelines_.IsMaterialized(1));
  EXPECT_EQ(timelines_.materialized_count(), 1u);
  EXPECT_EQ(timelines_.entry_count(), 5u);

  const ReadResult second = ReadOk(1);
  EXPECT_FALSE(second.rebuilt);
  EXPECT_EQ(Ids(second.entries), Ids(first.entries));
  EXPECT_EQ(source_.followees_calls(), 1);
}

TEST_F(HomeTimelinesTest, WriterCallsOnUnmaterializedUsersAreNoOps) {
  source_.Post(2, 10);
  source_.Follow(1, 2);
  timelines_.Insert(1, {99, 2, 0});
  timelines_.RemoveTweet(1, 10);
  timelines_.RemoveAuthor(1, 2);
  timelines_.HideAuthor(1, 2);
  EXPECT_TRUE(timelines_.ShowAuthor(1, 2).ok());
  EXPECT_FALSE(timelines_.IsMaterialized(1));
  EXPECT_EQ(timelines_.materialized_count(), 0u);
  EXPECT_EQ(timelines_.entry_count(), 0u);
  // The rebuild sees only the source: the dropped insert of 99 left no trace.
  EXPECT_THAT(Ids(ReadOk(1).entries), ElementsAre(10));
}

TEST_F(HomeTimelinesTest, WriterCallsApplyToMaterializedTimelines) {
  source_.Follow(1, 2);
  source_.Follow(1, 3);
  source_.Post(2, 10);
  source_.Post(3, 20);
  ReadOk(1);
  timelines_.Insert(1, {30, 2, 0});
  EXPECT_THAT(Ids(ReadOk(1).entries), ElementsAre(30, 20, 10));
  timelines_.RemoveTweet(1, 20);
  EXPECT_THAT(Ids(ReadOk(1).entries), ElementsAre(30, 10));
  timelines_.RemoveAuthor(1, 2);
  EXPECT_THAT(ReadOk(1).entries, IsEmpty());
  source_.Follow(1, 4);
  source_.Post(4, 15);
  ASSERT_TRUE(timelines_.ShowAuthor(1, 4).ok());
  EXPECT_THAT(Ids(ReadOk(1).entries), ElementsAre(15));
}

TEST_F(HomeTimelinesTest, RemoveTweetDuringRebuildIsNotUndone) {
  source_.Follow(1, 2);
  for (TweetId id : {10, 20, 30}) source_.Post(2, id);
  // The delete reaches the timeline after the rebuild has read tweet 20.
  source_.OnRecentTweets(2, [this] { timelines_.RemoveTweet(1, 20); });
  const ReadResult result = ReadOk(1);
  EXPECT_TRUE(result.rebuilt);
  EXPECT_THAT(Ids(result.entries), ElementsAre(30, 10));
  EXPECT_THAT(Ids(ReadOk(1).entries), ElementsAre(30, 10));
}

TEST_F(HomeTimelinesTest, RemoveAuthorDuringRebuildIsNotUndone) {
  source_.Follow(1, 2);
  source_.Follow(1, 3);
  source_.Post(2, 10);
  source_.Post(3, 20);
  source_.Post(1, 5);
  // Authors are read in id order, so the unfollow of 2 lands after 2's tweets were
  // read (and were it read later, the source would still answer them).
  source_.OnRecentTweets(3, [this] { timelines_.RemoveAuthor(1, 2); });
  EXPECT_THAT(Ids(ReadOk(1).entries), ElementsAre(20, 5));
}

TEST_F(HomeTimelinesTest, InsertDuringRebuildIsKept) {
  source_.Follow(1, 2);
  source_.Post(2, 10);
  // A fanout insert of a tweet the source read missed.
  source_.OnRecentTweets(2, [this] { timelines_.Insert(1, {15, 3, kRetweet}); });
  const ReadResult result = ReadOk(1);
  ASSERT_THAT(Ids(result.entries), ElementsAre(15, 10));
  EXPECT_EQ(result.entries[0], (Entry{15, 3, kRetweet}));
}

TEST_F(HomeTimelinesTest, UnfollowThenRefollowDuringRebuildKeepsTheAuthor) {
  source_.Follow(1, 2);
  source_.Post(2, 10);
  source_.Post(2, 20);
  source_.OnRecentTweets(2, [this] {
    timelines_.RemoveAuthor(1, 2);
    ASSERT_TRUE(timelines_.ShowAuthor(1, 2).ok());
  });
  EXPECT_THAT(Ids(ReadOk(1).entries), ElementsAre(20, 10));
}

TEST_F(HomeTimelinesTest, FolloweesErrorPropagatesAndLeavesNothingMaterialized) {
  source_.Post(1, 10);
  source_.FailFollowees(true);
  auto result = timelines_.Read(1, 0, 0, 10);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(timelines_.IsMaterialized(1));
  EXPECT_EQ(timelines_.materialized_count(), 0u);
  EXPECT_EQ(timelines_.entry_count(), 0u);
  // A later insert is dropped, and the next read rebuilds.
  timelines_.Insert(1, {99, 1, 0});
  source_.FailFollowees(false);
  const ReadResult retry = ReadOk(1);
  EXPECT_TRUE(retry.rebuilt);
  EXPECT_THAT(Ids(retry.entries), ElementsAre(10));
}

TEST_F(HomeTimelinesTest, RecentTweetsErrorDropsInsertsMadeDuringTheBuild) {
  source_.Follow(1, 2);
  source_.Follow(1, 3);
  source_.Post(2, 10);
  source_.OnRecentTweets(2, [this] {
    timelines_.Insert(1, {15, 2, 0});
    source_.FailRecentTweets(true);  // author 3's read fails
  });
  auto result = timelines_.Read(1, 0, 0, 10);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(timelines_.IsMaterialized(1));
  EXPECT_EQ(timelines_.entry_count(), 0u);
}

TEST_F(HomeTimelinesTest, ShowAuthorErrorPropagates) {
  ReadOk(1);
  source_.Follow(1, 2);
  source_.FailRecentTweets(true);
  EXPECT_EQ(timelines_.ShowAuthor(1, 2).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(timelines_.IsMaterialized(1));
}

class LargeHomeTimelinesTest : public HomeTimelinesTest {
 protected:
  LargeHomeTimelinesTest() : HomeTimelinesTest(/*max_entries=*/50) {}
};

TEST_F(LargeHomeTimelinesTest, PagingARebuiltTimelineNeverRepeatsOrSkips) {
  std::vector<TweetId> expected;
  for (UserId author = 2; author <= 5; ++author) source_.Follow(1, author);
  for (TweetId id = 1; id <= 70; ++id) {
    source_.Post(2 + id % 5, id);  // author 6 is not followed
    if (2 + id % 5 != 6) expected.push_back(id);
  }
  std::sort(expected.rbegin(), expected.rend());
  expected.resize(50);

  std::vector<TweetId> seen;
  TweetId max_id = 0;
  bool first = true;
  while (true) {
    const ReadResult page = ReadOk(1, max_id, /*limit=*/7);
    EXPECT_EQ(page.rebuilt, first);
    first = false;
    if (page.entries.empty()) break;
    for (const Entry& e : page.entries) seen.push_back(e.id);
    max_id = page.entries.back().id;
  }
  EXPECT_THAT(seen, ElementsAreArray(expected));
}

// Timing decides whether the readers overlap, so this cannot prove the sharing every
// run; it does make overlap likely (a build reading 200 authors, readers released
// together), and with the waiting policy the assertions hold under any interleaving.
TEST_F(HomeTimelinesTest, ConcurrentReadersOfAColdTimelineShareOneRebuild) {
  for (UserId author = 2; author < 202; ++author) {
    source_.Follow(1, author);
    for (TweetId i = 0; i < 20; ++i) source_.Post(author, author * 1000 + i);
  }
  const std::vector<TweetId> expected = {201019, 201018, 201017, 201016, 201015};
  std::atomic<bool> go{false};
  std::vector<std::thread> readers;
  std::vector<std::vector<TweetId>> results(8);
  for (int i = 0; i < 8; ++i) {
    readers.emplace_back([this, &go, &results, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = Ids(ReadOk(1).entries);
    });
  }
  go = true;
  for (std::thread& t : readers) t.join();
  for (const auto& ids : results) EXPECT_EQ(ids, expected);
  EXPECT_EQ(source_.followees_calls(), 1);
}

}  // namespace
}  // namespace roost::timelines
