#include "timelines/timeline.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace roost::timelines {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<TweetId> Ids(absl::Span<const Entry> entries) {
  std::vector<TweetId> ids;
  for (const Entry& e : entries) ids.push_back(e.id);
  return ids;
}

std::vector<TweetId> PageIds(const Timeline& t, TweetId max_id, TweetId since_id,
                             size_t limit, const AuthorSet* exclude = nullptr) {
  std::vector<Entry> out;
  t.Page(max_id, since_id, limit, exclude, &out);
  return Ids(out);
}

TEST(TimelineTest, OutOfOrderInsertsEndSorted) {
  Timeline t(10);
  for (TweetId id : {5, 1, 9, 3, 7}) EXPECT_TRUE(t.Insert({id, id * 10, 0}));
  EXPECT_THAT(Ids(t.entries()), ElementsAre(9, 7, 5, 3, 1));
  EXPECT_EQ(t.entries()[0], (Entry{9, 90, 0}));
}

TEST(TimelineTest, DuplicateInsertChangesNothing) {
  Timeline t(10);
  EXPECT_TRUE(t.Insert({5, 1, kReply}));
  EXPECT_FALSE(t.Insert({5, 2, 0}));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.entries()[0], (Entry{5, 1, kReply}));
}

TEST(TimelineTest, CapTrimsOldestAndRefusesTooOldWhenFull) {
  Timeline t(3);
  for (TweetId id : {10, 20, 30}) t.Insert({id, 1, 0});
  EXPECT_TRUE(t.Insert({25, 1, 0}));
  EXPECT_THAT(Ids(t.entries()), ElementsAre(30, 25, 20));
  EXPECT_FALSE(t.Insert({5, 1, 0}));  // older than everything in a full timeline
  EXPECT_THAT(Ids(t.entries()), ElementsAre(30, 25, 20));
  EXPECT_TRUE(t.Insert({40, 1, 0}));
  EXPECT_THAT(Ids(t.entries()), ElementsAre(40, 30, 25));
}

TEST(TimelineTest, MergeSortsDedupsAndTrims) {
  Timeline t(6);
  t.Insert({50, 1, 0});
  t.Insert({30, 1, kRetweet});
  std::vector<Entry> many;
  for (TweetId id : {10, 60, 30, 40, 20, 60, 70, 45, 15, 5}) many.push_back({id, 2, 0});
  t.Merge(many);
  EXPECT_THAT(Ids(t.entries()), ElementsAre(70, 60, 50, 45, 40, 30));
  // On a duplicate id the entry already present wins, as with Insert.
  EXPECT_EQ(t.entries()[5], (Entry{30, 1, kRetweet}));

  t.Merge(std::vector<Entry>{{55, 3, 0}, {50, 3, 0}});  // the small path
  EXPECT_THAT(Ids(t.entries()), ElementsAre(70, 60, 55, 50, 45, 40));
  EXPECT_EQ(t.entries()[3].author, 1u);
}

TEST(TimelineTest, RemoveTweetAndAuthor) {
  Timeline t(10);
  for (TweetId id : {1, 2, 3, 4, 5, 6}) t.Insert({id, id % 2 == 0 ? 100u : 200u, 0});
  EXPECT_EQ(t.RemoveTweet(4), 1u);
  EXPECT_EQ(t.RemoveTweet(4), 0u);
  EXPECT_EQ(t.RemoveTweet(99), 0u);
  EXPECT_THAT(Ids(t.entries()), ElementsAre(6, 5, 3, 2, 1));
  EXPECT_EQ(t.RemoveAuthor(200), 3u);
  EXPECT_THAT(Ids(t.entries()), ElementsAre(6, 2));
  EXPECT_EQ(t.RemoveAuthor(200), 0u);
}

TEST(TimelineTest, PageHonoursExclusiveBoundsAndLimit) {
  Timeline t(100);
  for (TweetId id = 10; id <= 100; id += 10) t.Insert({id, 1, 0});
  EXPECT_THAT(PageIds(t, 0, 0, 3), ElementsAre(100, 90, 80));
  EXPECT_THAT(PageIds(t, 80, 0, 3), ElementsAre(70, 60, 50));
  EXPECT_THAT(PageIds(t, 85, 0, 2), ElementsAre(80, 70));
  EXPECT_THAT(PageIds(t, 0, 70, 10), ElementsAre(100, 90, 80));
  EXPECT_THAT(PageIds(t, 0, 65, 10), ElementsAre(100, 90, 80, 70));
  EXPECT_THAT(PageIds(t, 50, 20, 10), ElementsAre(40, 30));
  EXPECT_THAT(PageIds(t, 50, 40, 10), IsEmpty());
  EXPECT_THAT(PageIds(t, 10, 0, 10), IsEmpty());
  EXPECT_THAT(PageIds(t, 0, 0, 0), IsEmpty());
}

TEST(TimelineTest, PageExcludesBeforeCountingSoThePageStaysFull) {
  Timeline t(100);
  for (TweetId id = 1; id <= 8; ++id) t.Insert({id, id % 2 == 0 ? 7u : 8u, 0});
  const AuthorSet muted = {7};
  EXPECT_THAT(PageIds(t, 0, 0, 3, &muted), ElementsAre(7, 5, 3));
  EXPECT_THAT(PageIds(t, 3, 0, 3, &muted), ElementsAre(1));
  const AuthorSet everyone = {7, 8};
  EXPECT_THAT(PageIds(t, 0, 0, 3, &everyone), IsEmpty());
}

TEST(TimelineTest, PageAppendsToOutput) {
  Timeline t(10);
  t.Insert({1, 1, 0});
  std::vector<Entry> out = {{99, 9, 0}};
  t.Page(0, 0, 10, nullptr, &out);
  EXPECT_THAT(Ids(out), ElementsAre(99, 1));
}

}  // namespace
}  // namespace roost::timelines
