#include "timelines/timeline.h"

#include <algorithm>
#include <random>
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

std::vector<TweetId> PageIds(const Timeline& t, TweetId max_id, TweetId since_id, size_t limit) {
  std::vector<Entry> out;
  t.Page(max_id, since_id, limit, &out);
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

TEST(TimelineTest, PageAppendsToOutput) {
  Timeline t(10);
  t.Insert({1, 1, 0});
  std::vector<Entry> out = {{99, 9, 0}};
  t.Page(0, 0, 10, &out);
  EXPECT_THAT(Ids(out), ElementsAre(99, 1));
}

TEST(TimelineTest, ZeroIsNotATweetId) {
  Timeline t(10);
  EXPECT_FALSE(t.Insert({0, 1, 0}));
  EXPECT_EQ(t.size(), 0u);
}

TEST(TimelineTest, FlagsBeyondRetweetAndReplyAreNotKept) {
  Timeline t(10);
  t.Insert({5, 1, kRetweet | kReply | 8});
  EXPECT_EQ(t.entries()[0].flags, kRetweet | kReply);
}

TEST(TimelineTest, SnowflakeIdsTakeAFewBytesEach) {
  // 800 tweets a second apart from 50 authors, as a Snowflake node 1 would number them.
  Timeline t(800);
  for (uint64_t i = 0; i < 800; ++i) {
    const uint64_t ms = 200'000'000'000 + i * 1000;
    t.Insert({(ms << 22) | (1 << 12) | (i % 3), 1000 + i % 50, 0});
  }
  EXPECT_EQ(t.size(), 800u);
  // Records: 1 byte of sequence xor, 2 of ms delta, 1 of author index. Then the
  // dictionary (50 authors, 12 bytes each, by capacity) and the buffer's spare capacity.
  EXPECT_LE(t.heap_bytes(), 800u * 6);
  EXPECT_GE(t.heap_bytes(), 800u * 4);
}

TEST(TimelineTest, AChurnOfAuthorsDoesNotGrowTheDictionary) {
  // Every entry by a new author: the authors of trimmed entries must make room.
  Timeline t(10);
  size_t most = 0;
  for (TweetId id = 1; id <= 20'000; ++id) {
    ASSERT_TRUE(t.Insert({id << 22, 1'000'000 + id, 0}));
    if (id > 100) most = std::max(most, t.heap_bytes());
  }
  EXPECT_LE(most, 600u);  // about 12 live authors' slots, doubled, and the records
  EXPECT_EQ(t.entries().size(), 10u);
  EXPECT_EQ(t.entries()[0].author, 1'020'000u);
  EXPECT_EQ(t.RemoveAuthor(1'019'995), 1u);
  EXPECT_EQ(t.RemoveAuthor(1'000'001), 0u);  // long gone
}

TEST(TimelineTest, RemovingLeavesTrimmedEntriesTrimmed) {
  Timeline t(4);
  EXPECT_EQ(t.cut(), 0u);
  for (TweetId id = 1; id <= 6; ++id) t.Insert({id, 1, 0});  // 1 and 2 are trimmed
  EXPECT_EQ(t.cut(), 2u);
  EXPECT_FALSE(t.short_of_cap());
  EXPECT_EQ(t.RemoveTweet(5), 1u);
  EXPECT_THAT(Ids(t.entries()), ElementsAre(6, 4, 3));
  EXPECT_TRUE(t.short_of_cap());
  EXPECT_EQ(t.RemoveTweet(2), 0u);
  EXPECT_FALSE(t.Insert({2, 1, 0}));  // at the cut: it would hide that 1 is missing
  EXPECT_THAT(Ids(t.entries()), ElementsAre(6, 4, 3));
  EXPECT_EQ(t.RemoveAuthor(1), 3u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.cut(), 2u);
  EXPECT_FALSE(t.Insert({1, 2, 0}));
  EXPECT_TRUE(t.Insert({7, 2, 0}));
  EXPECT_THAT(Ids(t.entries()), ElementsAre(7));
}

TEST(TimelineTest, AFullTimelineThatRefusesAnOlderEntryCutsAboveIt) {
  Timeline t(3);
  for (TweetId id : {10, 20, 30, 40}) t.Insert({id, 1, 0});
  EXPECT_EQ(t.cut(), 10u);
  EXPECT_FALSE(t.Insert({15, 1, 0}));  // older than a full timeline holds
  EXPECT_EQ(t.cut(), 15u);
  t.RemoveTweet(30);
  EXPECT_FALSE(t.Insert({15, 1, 0}));
  EXPECT_THAT(Ids(t.entries()), ElementsAre(40, 20));
}

TEST(TimelineTest, MergeWithACutDropsWhatIsBelowIt) {
  Timeline t(10);
  for (TweetId id : {5, 10, 15}) t.Insert({id, 1, 0});
  // An author's newest tweets, 12 and 8, and it has older ones below 7.
  t.Merge(std::vector<Entry>{{12, 2, 0}, {8, 2, 0}}, /*cut=*/7);
  EXPECT_THAT(Ids(t.entries()), ElementsAre(15, 12, 10, 8));
  EXPECT_EQ(t.cut(), 7u);
  EXPECT_FALSE(t.Insert({6, 1, 0}));
  EXPECT_TRUE(t.Insert({9, 1, 0}));
}

TEST(TimelineTest, ExtendFillsAShortTimelineFromBelowItsCut) {
  Timeline t(4);
  for (TweetId id = 1; id <= 8; ++id) t.Insert({id, id % 2 == 0 ? 1u : 2u, 0});
  EXPECT_THAT(Ids(t.entries()), ElementsAre(8, 7, 6, 5));
  t.RemoveAuthor(2);
  EXPECT_TRUE(t.short_of_cap());
  EXPECT_EQ(t.cut(), 4u);
  // The owner's next older entries of author 1, down to the new cut (2 is the first
  // left out).
  t.Extend(std::vector<Entry>{{4, 1, 0}}, /*new_cut=*/2);
  EXPECT_THAT(Ids(t.entries()), ElementsAre(8, 6, 4));
  EXPECT_EQ(t.cut(), 2u);
  t.Extend(std::vector<Entry>{{2, 1, 0}, {1, 3, 0}}, /*new_cut=*/0);
  EXPECT_THAT(Ids(t.entries()), ElementsAre(8, 6, 4, 2));
  EXPECT_EQ(t.cut(), 1u);  // the cap cut what did not fit
  EXPECT_FALSE(t.short_of_cap());
}

// The obvious implementation: a sorted vector trimmed on every insert, and the highest
// id it ever dropped.
class ModelTimeline {
 public:
  explicit ModelTimeline(size_t max) : max_(max) {}
  bool Insert(const Entry& e) {
    if (e.id <= cut_) return false;
    const auto pos = std::lower_bound(v_.begin(), v_.end(), e,
                                      [](const Entry& a, const Entry& b) { return a.id > b.id; });
    if (pos != v_.end() && pos->id == e.id) return false;
    if (v_.size() >= max_ && pos == v_.end()) {
      cut_ = e.id;
      return false;
    }
    v_.insert(pos, Entry{e.id, e.author, e.flags & kFlagMask});
    if (v_.size() > max_) {
      cut_ = v_.back().id;
      v_.pop_back();
    }
    return true;
  }
  void Extend(std::vector<Entry> older, TweetId new_cut) {
    cut_ = new_cut;
    std::sort(older.begin(), older.end(),
              [](const Entry& a, const Entry& b) { return a.id > b.id; });
    for (const Entry& e : older) Insert(e);
  }
  TweetId cut() const { return cut_; }
  size_t RemoveTweet(TweetId id) {
    return std::erase_if(v_, [id](const Entry& e) { return e.id == id; });
  }
  size_t RemoveAuthor(UserId a) {
    return std::erase_if(v_, [a](const Entry& e) { return e.author == a; });
  }
  const std::vector<Entry>& entries() const { return v_; }

 private:
  size_t max_;
  std::vector<Entry> v_;
  TweetId cut_ = 0;
};

TEST(TimelineTest, MatchesTheObviousImplementationUnderRandomOperations) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    const size_t max = 1 + rng() % 60;
    Timeline t(max);
    ModelTimeline model(max);
    // Snowflake-like ids over a short span, so neighbours share milliseconds.
    const uint64_t base_ms = 100'000'000'000 + rng() % 1000;
    const auto random_id = [&] {
      return ((base_ms + rng() % 400) << 22) | ((rng() % 4) << 12) | (rng() % 5);
    };
    std::vector<TweetId> used;
    for (int step = 0; step < 2000; ++step) {
      const int op = static_cast<int>(rng() % 100);
      if (op < 70) {
        const Entry e{random_id(), 1 + rng() % 12, static_cast<uint32_t>(rng() % 8)};
        used.push_back(e.id);
        ASSERT_EQ(t.Insert(e), model.Insert(e)) << "seed " << seed << " step " << step;
      } else if (op < 85 && !used.empty()) {
        const TweetId id = used[rng() % used.size()];
        ASSERT_EQ(t.RemoveTweet(id), model.RemoveTweet(id)) << "seed " << seed;
      } else if (op < 88) {
        const UserId a = 1 + rng() % 12;
        ASSERT_EQ(t.RemoveAuthor(a), model.RemoveAuthor(a)) << "seed " << seed;
      } else if (op < 91) {
        std::vector<Entry> batch;
        const size_t n = rng() % 20;
        for (size_t i = 0; i < n; ++i) batch.push_back({random_id(), 1 + rng() % 12, 0});
        t.Merge(batch);
        // Merge is Insert of each, newest first (what a present entry wins on is the same).
        std::sort(batch.begin(), batch.end(),
                  [](const Entry& a, const Entry& b) { return a.id > b.id; });
        for (const Entry& e : batch) model.Insert(e);
      } else if (op < 94 && t.cut() != 0) {
        // The owner's entries below the cut: some of what was dropped, and older ones.
        std::vector<Entry> older;
        const TweetId cut = t.cut();
        const TweetId new_cut =
            rng() % 3 == 0 ? 0 : cut - std::min<TweetId>(cut, rng() % (50 << 22));
        for (size_t i = rng() % 10; i > 0; --i) {
          const TweetId id = random_id();
          if (id <= cut && id > new_cut) older.push_back({id, 1 + rng() % 12, 0});
        }
        t.Extend(older, new_cut);
        model.Extend(older, new_cut);
      } else {
        const TweetId max_id = rng() % 3 == 0 ? 0 : random_id();
        const TweetId since_id = rng() % 2 == 0 ? 0 : random_id();
        const size_t limit = rng() % 30;
        std::vector<Entry> got;
        t.Page(max_id, since_id, limit, &got);
        std::vector<Entry> want;
        for (const Entry& e : model.entries()) {
          if (want.size() == limit || e.id <= since_id) break;
          if (max_id != 0 && e.id >= max_id) continue;
          want.push_back(e);
        }
        ASSERT_EQ(got, want) << "seed " << seed << " step " << step;
      }
      ASSERT_EQ(t.entries(), model.entries()) << "seed " << seed << " step " << step;
      ASSERT_EQ(t.cut(), model.cut()) << "seed " << seed << " step " << step;
    }
  }
}

}  // namespace
}  // namespace roost::timelines
