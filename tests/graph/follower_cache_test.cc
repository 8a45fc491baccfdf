// The follower cache through the store: it must serve exactly what the store holds,
// under any writes, concurrent ones during a load included, and within its budget.
#include <filesystem>
#include <random>
#include <thread>

#include "graph/follower_cache.h"
#include "graph/graph_store.h"
#include "tests/graph/graph_test_util.h"

namespace roost::graph::testing {
namespace {

std::unique_ptr<GraphStore> OpenWithCache(const std::string& path, size_t bytes,
                                          uint64_t min_followers) {
  GraphStoreOptions options;
  options.follower_cache_bytes = bytes;
  options.follower_cache_min_followers = min_followers;
  absl::StatusOr<std::unique_ptr<GraphStore>> store = GraphStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Every page of `user`'s NORMAL followers at `limit`, with the cursor each page gave.
std::vector<std::pair<std::vector<UserId>, int64_t>> Pages(GraphStore& store, UserId user,
                                                           size_t limit, uint64_t min_position) {
  std::vector<std::pair<std::vector<UserId>, int64_t>> pages;
  int64_t cursor = 0;
  do {
    Page page = Must(
        store.SelectRange(kFollows, user, kBackward, kNormalOnly, cursor, limit, min_position));
    pages.emplace_back(page.ids, page.next_cursor);
    cursor = page.next_cursor;
  } while (cursor != 0 && pages.size() < 10'000);
  return pages;
}

// The same random writes and mass updates go to a store with the cache and one
// without; whatever the cache serves must equal the uncached store's answer.
TEST(FollowerCacheTest, ServesExactlyWhatTheStoreHoldsUnderRandomWrites) {
  const std::string cached_path = FreshDir("cached"), plain_path = FreshDir("plain");
  std::unique_ptr<GraphStore> cached = OpenWithCache(cached_path, size_t{64} << 20, 50);
  std::unique_ptr<GraphStore> plain = OpenWithCache(plain_path, 0, 0);
  ASSERT_NE(cached, nullptr);
  ASSERT_NE(plain, nullptr);
  constexpr UserId kPopular[] = {1, 2, 3};
  std::mt19937_64 rng(11);
  uint64_t event = 1;
  auto both = [&](const std::vector<EdgeWrite>& writes) {
    ASSERT_TRUE(cached->Apply(writes).ok());
    ASSERT_TRUE(plain->Apply(writes).ok());
  };
  std::vector<EdgeWrite> start;
  for (UserId u : kPopular) {
    for (UserId f = 100; f < 400; ++f) start.push_back(Follow(f, u, event++));
  }
  both(start);
  for (int round = 0; round < 40; ++round) {
    std::vector<EdgeWrite> writes;
    for (int i = 0; i < 50; ++i) {
      const UserId u = kPopular[rng() % 3];
      const UserId f = 100 + rng() % 400;
      const auto state = static_cast<EdgeState>(rng() % 3 == 0 ? rng() % kNumEdgeStates : 0);
      writes.push_back(Write(f, u, state, event, event));
      ++event;
    }
    both(writes);
    if (round % 7 == 3) {
      const UserId u = kPopular[rng() % 3];
      const StateMask from = rng() % 2 == 0 ? kNormalOnly : kArchivedOnly;
      const EdgeState to = from == kNormalOnly ? EdgeState::kArchived : EdgeState::kNormal;
      ASSERT_TRUE(cached->MassUpdate(kFollows, u, from, to, event).ok());
      ASSERT_TRUE(plain->MassUpdate(kFollows, u, from, to, event).ok());
      ++event;
    }
    for (UserId u : kPopular) {
      SCOPED_TRACE(::testing::Message() << "round " << round << " user " << u);
      ASSERT_EQ(Must(cached->SelectAll(kFollows, u, kBackward, kNormalOnly)),
                Must(plain->SelectAll(kFollows, u, kBackward, kNormalOnly)));
      const uint64_t min_position = rng() % 2 == 0 ? 0 : rng() % event;
      for (size_t limit : {1, 7, 100}) {
        ASSERT_EQ(Pages(*cached, u, limit, min_position), Pages(*plain, u, limit, min_position));
      }
    }
  }
  // The lists came from the cache (all three users have >= 50 followers).
  EXPECT_EQ(cached->FollowerCacheStats().lists, 3u);
  EXPECT_EQ(plain->FollowerCacheStats().lists, 0u);
  cached.reset();
  plain.reset();
  std::filesystem::remove_all(cached_path);
  std::filesystem::remove_all(plain_path);
}

// Two lists alternately evict each other (the budget holds one), so every read
// reloads while writers change both: no change may fall between a load's scan and
// its installation.
TEST(FollowerCacheTest, LoadsRacingWritesLoseNoChange) {
  const std::string path = FreshDir("race");
  constexpr size_t kFollowers = 20000;  // a load's scan takes milliseconds
  std::unique_ptr<GraphStore> store =
      OpenWithCache(path, kFollowers * 3 / 2 * 24 /* FollowerCache::kBytesPerEntry */, 1);
  ASSERT_NE(store, nullptr);
  constexpr UserId kUsers[] = {1, 2};
  std::vector<EdgeWrite> start;
  for (UserId u : kUsers) {
    for (UserId f = 100; f < 100 + kFollowers; ++f) start.push_back(Follow(f, u, f));
  }
  ASSERT_TRUE(store->Apply(start).ok());

  std::atomic<uint64_t> event{1'000'000};
  std::atomic<bool> reading{true};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937_64 rng(w);
      // Writes for as long as the reads (and so the loads) go on.
      for (int i = 0; reading.load() && i < 1'000'000; ++i) {
        const uint64_t t = event.fetch_add(1);
        const UserId f = 100 + rng() % (kFollowers + 500);
        const EdgeState state = rng() % 2 == 0 ? EdgeState::kNormal : EdgeState::kRemoved;
        ASSERT_TRUE(store->Apply({Write(f, kUsers[rng() % 2], state, t, t)}).ok());
      }
    });
  }
  for (int reads = 0; reads < 60; ++reads) {
    EXPECT_TRUE(store->SelectAll(kFollows, kUsers[reads % 2], kBackward, kNormalOnly).ok());
  }
  reading.store(false);
  for (std::thread& t : writers) t.join();

  // The list read last is the one cached, loaded while the writers ran: check it
  // first (reading the other reloads it and evicts this one).
  for (UserId u : {kUsers[1], kUsers[0]}) {
    SCOPED_TRACE(u);
    const std::vector<UserId> ids = Must(store->SelectAll(kFollows, u, kBackward, kNormalOnly));
    EXPECT_EQ(ids.size(), Must(store->Count(kFollows, u, kBackward, kNormalOnly)));
    uint64_t previous = UINT64_MAX;
    for (UserId f : ids) {
      std::optional<Edge> edge = Must(store->GetEdge(kFollows, f, u));
      ASSERT_TRUE(edge.has_value());
      EXPECT_EQ(edge->state, EdgeState::kNormal) << "follower " << f;
      EXPECT_LT(edge->position, previous) << "newest first";
      previous = edge->position;
    }
  }
  EXPECT_LE(store->FollowerCacheStats().lists, 1u) << "the budget holds one list";
  store.reset();
  std::filesystem::remove_all(path);
}

// The cache on its own: a change committed after the load's snapshot reaches the
// cache only through the queue; one in the scan and queued as well replays harmlessly.
TEST(FollowerCacheTest, ChangesQueuedDuringALoadAreReplayedInOrder) {
  FollowerCache cache(size_t{1} << 20);
  auto follow = [](UserId source, uint64_t position, EdgeState state) {
    return Edge{kFollows, source, /*destination=*/1, position, state, position};
  };
  std::shared_ptr<FollowerCache::List> loading = cache.BeginLoad(1);
  ASSERT_NE(loading, nullptr);
  EXPECT_EQ(cache.BeginLoad(1), nullptr) << "one load at a time";
  EXPECT_FALSE(cache.All(1).has_value()) << "not served while loading";
  // Follower 10 unfollows after the snapshot; 20 follows after it; 30 follows before
  // the snapshot (so it is in the scan too) and then unfollows after it.
  cache.OnChange({follow(10, 5, EdgeState::kNormal), follow(10, 5, EdgeState::kRemoved), 0});
  cache.OnChange({std::nullopt, follow(20, 9, EdgeState::kNormal), 0});
  cache.OnChange({std::nullopt, follow(30, 7, EdgeState::kNormal), 0});
  cache.OnChange({follow(30, 7, EdgeState::kNormal), follow(30, 7, EdgeState::kRemoved), 0});
  // Not a FOLLOWS change: ignored.
  cache.OnChange({std::nullopt, Edge{kBlocks, 40, 1, 8, EdgeState::kNormal, 8}, 0});
  cache.FinishLoad(1, loading, {{~uint64_t{7}, 30}, {~uint64_t{5}, 10}, {~uint64_t{3}, 11}});
  EXPECT_THAT(*cache.All(1), ::testing::ElementsAre(20, 11));
  // Installed: changes now apply at once, and pages work by cursor.
  cache.OnChange({std::nullopt, follow(12, 4, EdgeState::kNormal), 0});
  EXPECT_THAT(*cache.All(1), ::testing::ElementsAre(20, 12, 11));
  std::optional<Page> page = cache.Select(1, 0, 2, 0);
  ASSERT_TRUE(page.has_value());
  EXPECT_THAT(page->ids, ::testing::ElementsAre(20, 12));
  EXPECT_EQ(page->next_cursor, 4);
  page = cache.Select(1, 4, 2, 0);
  EXPECT_THAT(page->ids, ::testing::ElementsAre(11));
  EXPECT_EQ(page->next_cursor, 0);
  EXPECT_FALSE(cache.All(2).has_value());
}

// A loading list is never evicted; and a load whose registration is gone (aborted)
// installs nothing, even when another load has registered the user again since: that
// one's queue, not the first's, holds the changes made after.
TEST(FollowerCacheTest, ALoadWhoseRegistrationIsGoneInstallsNothing) {
  FollowerCache cache(/*max_bytes=*/2 * FollowerCache::kBytesPerEntry);
  std::shared_ptr<FollowerCache::List> first = cache.BeginLoad(1);
  ASSERT_NE(first, nullptr);
  // User 2's list fills the budget; a third evicts the least recently used installed
  // one. User 1's loading list is not installed, so it is not a candidate.
  std::shared_ptr<FollowerCache::List> other = cache.BeginLoad(2);
  cache.FinishLoad(2, other, {{~uint64_t{9}, 50}, {~uint64_t{8}, 51}});
  std::shared_ptr<FollowerCache::List> third = cache.BeginLoad(3);
  cache.FinishLoad(3, third, {{~uint64_t{9}, 60}, {~uint64_t{8}, 61}});
  EXPECT_FALSE(cache.All(2).has_value()) << "evicted";
  EXPECT_TRUE(cache.All(3).has_value());
  EXPECT_EQ(cache.lists(), 2u) << "user 1's loading list stays";
  cache.AbortLoad(1, first);
  std::shared_ptr<FollowerCache::List> second = cache.BeginLoad(1);
  ASSERT_NE(second, nullptr);
  cache.FinishLoad(1, first, {{~uint64_t{5}, 10}});  // stale: ignored
  EXPECT_FALSE(cache.All(1).has_value()) << "still loading: the second load's";
  cache.FinishLoad(1, second, {{~uint64_t{6}, 11}});
  EXPECT_THAT(*cache.All(1), ::testing::ElementsAre(11));
}

TEST(FollowerCacheTest, SmallListsAreNotCached) {
  const std::string path = FreshDir("small");
  std::unique_ptr<GraphStore> store = OpenWithCache(path, size_t{1} << 20, 10);
  ASSERT_NE(store, nullptr);
  std::vector<EdgeWrite> writes;
  for (UserId f = 100; f < 109; ++f) writes.push_back(Follow(f, 1, f));
  ASSERT_TRUE(store->Apply(writes).ok());
  EXPECT_EQ(Must(store->SelectAll(kFollows, 1, kBackward, kNormalOnly)).size(), 9u);
  EXPECT_EQ(store->FollowerCacheStats().lists, 0u);
  ASSERT_TRUE(store->Apply({Follow(200, 1, 200)}).ok());
  EXPECT_EQ(Must(store->SelectAll(kFollows, 1, kBackward, kNormalOnly)).size(), 10u);
  EXPECT_EQ(store->FollowerCacheStats().lists, 1u);
  EXPECT_GT(store->FollowerCacheStats().bytes, 0u);
  store.reset();
  std::filesystem::remove_all(path);
}

}  // namespace
}  // namespace roost::graph::testing
