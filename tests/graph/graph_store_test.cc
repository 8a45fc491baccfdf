// Single-threaded behavior of GraphStore: writes, last-write-wins, positions, paging,
// counts, mass updates, persistence and verification.
#include <filesystem>
#include <optional>
#include <random>
#include <set>

#include "graph/count_merge_operator.h"
#include "graph/graph_keys.h"
#include "graph/graph_store.h"
#include "rocksdb/db.h"
#include "tests/graph/graph_test_util.h"

namespace roost::graph::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(GraphStoreTest, AddedEdgeIsVisibleForwardAndBackward) {
  std::vector<EdgeChange> changes = Apply({Follow(1, 2, 100)});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].before.has_value());
  const Edge expected{kFollows, 1, 2, 100, EdgeState::kNormal, 100};
  EXPECT_EQ(changes[0].after, expected);

  EXPECT_THAT(Ids(1, kForward), ElementsAre(2));
  EXPECT_THAT(Ids(2, kBackward), ElementsAre(1));
  EXPECT_THAT(Ids(2, kForward), IsEmpty());
  EXPECT_THAT(Ids(1, kBackward), IsEmpty());
  EXPECT_THAT(Ids(1, kForward, kNormalOnly, kBlocks), IsEmpty());
  EXPECT_EQ(Must(store_->GetEdge(kFollows, 1, 2)), expected);
  EXPECT_FALSE(Must(store_->GetEdge(kFollows, 2, 1)).has_value());
}

TEST_F(GraphStoreTest, SelectRangeStopsAtTheMinimumPositionAndPagesWithinIt) {
  Apply({Follow(10, 1, 100), Follow(20, 1, 200), Follow(30, 1, 300), Follow(40, 1, 400),
         Follow(50, 1, 500)});
  // [200, 400]: the cursor 401 is the range's end, min_position its start.
  Page first = Must(store_->SelectRange(kFollows, 1, kBackward, kNormalOnly, 401, 2, 200));
  EXPECT_THAT(first.ids, ElementsAre(40, 30));
  ASSERT_EQ(first.next_cursor, 300);
  Page second =
      Must(store_->SelectRange(kFollows, 1, kBackward, kNormalOnly, first.next_cursor, 2, 200));
  EXPECT_THAT(second.ids, ElementsAre(20));
  EXPECT_EQ(second.next_cursor, 0) << "the next edge is below the range";
  // A page that ends exactly at the range's start has no further page either.
  Page exact = Must(store_->SelectRange(kFollows, 1, kBackward, kNormalOnly, 401, 3, 200));
  EXPECT_THAT(exact.ids, ElementsAre(40, 30, 20));
  EXPECT_EQ(exact.next_cursor, 0);
  EXPECT_THAT(Must(store_->SelectRange(kFollows, 1, kBackward, kNormalOnly, 0, 10, 501)).ids,
              IsEmpty());
  EXPECT_EQ(Must(store_->SelectRange(kFollows, 1, kBackward, kNormalOnly, 0, 10, 0)).ids.size(),
            5u);
}

TEST_F(GraphStoreTest, CompactKeepsEveryEdgeAndCount) {
  Apply({Follow(1, 2, 100), Follow(3, 2, 101), Write(1, 2, EdgeState::kRemoved, 102, 102)});
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_THAT(Ids(2, kBackward), ElementsAre(3));
  EXPECT_EQ(Must(store_->Count(kFollows, 2, kBackward, kNormalOnly)), 1u);
  EXPECT_EQ(Must(store_->VerifyCounts()), 0u);
  EXPECT_EQ(Must(store_->VerifyIndexes()), 0u);
}

TEST_F(GraphStoreTest, ContainsAnswersABatchAndOnlyForNormalEdges) {
  Apply({Follow(1, 2, 10), Follow(1, 3, 11), Follow(1, 4, 12), Follow(5, 6, 13),
         Write(1, 4, EdgeState::kRemoved, 20, 20), Write(1, 7, EdgeState::kArchived, 21, 21)});
  const std::vector<UserId> query = {2, 3, 4, 5, 6, 7, 2};
  EXPECT_THAT(Must(store_->Contains(kFollows, 1, query)),
              ElementsAre(true, true, false, false, false, false, true));
  EXPECT_THAT(Must(store_->Contains(kFollows, 1, {})), IsEmpty());
  EXPECT_THAT(Must(store_->Contains(kBlocks, 1, query)), ::testing::Each(false));
}

TEST_F(GraphStoreTest, SourcesContainAnswersForEachSourceOnlyNormalEdges) {
  Apply({Follow(1, 9, 10), Follow(2, 9, 11), Follow(3, 9, 12), Follow(4, 8, 13),
         Write(3, 9, EdgeState::kRemoved, 20, 20), Write(5, 9, EdgeState::kArchived, 21, 21)});
  const std::vector<UserId> sources = {1, 2, 3, 4, 5, 6, 1};
  EXPECT_THAT(Must(store_->SourcesContain(kFollows, sources, 9)),
              ElementsAre(true, true, false, false, false, false, true));
  EXPECT_THAT(Must(store_->SourcesContain(kFollows, {}, 9)), IsEmpty());
  EXPECT_THAT(Must(store_->SourcesContain(kMutes, sources, 9)), ::testing::Each(false));
}

// Users 1..300 follow 1000 (a long list), 1001 (a short one) and 1002 (nearly all of
// them) at random, some of the follows then removed or archived.
std::vector<EdgeWrite> RandomFollows(std::mt19937_64& random) {
  std::vector<EdgeWrite> writes;
  uint64_t time = 10;
  for (UserId source = 1; source <= 300; ++source) {
    for (UserId destination : {UserId{1000}, UserId{1001}, UserId{1002}}) {
      const uint64_t one_in = destination == 1000 ? 2 : destination == 1001 ? 9 : 1;
      if (random() % one_in != 0) continue;
      writes.push_back(Follow(source, destination, ++time));
      const uint64_t change = random() % 6;
      const uint64_t followed = time;
      if (change == 0) {
        writes.push_back(Write(source, destination, EdgeState::kRemoved, ++time, followed));
      } else if (change == 1) {
        writes.push_back(Write(source, destination, EdgeState::kArchived, ++time, followed));
      }
    }
  }
  return writes;
}

// SourcesContain against GetEdge for each pair, for source sets of several sizes.
void ExpectSourcesContainAgreesWithTheEdges(GraphStore& store, std::mt19937_64& random) {
  for (size_t n : {size_t{1}, size_t{7}, size_t{8}, size_t{40}, size_t{300}}) {
    for (UserId destination : {UserId{1000}, UserId{1001}, UserId{1002}, UserId{1003}}) {
      std::vector<UserId> sources;
      for (size_t i = 0; i < n; ++i) sources.push_back(1 + random() % 310);
      std::vector<bool> expected;
      for (UserId source : sources) {
        const std::optional<Edge> edge = Must(store.GetEdge(kFollows, source, destination));
        expected.push_back(edge.has_value() && edge->state == EdgeState::kNormal);
      }
      EXPECT_EQ(Must(store.SourcesContain(kFollows, sources, destination)), expected)
          << n << " sources, destination " << destination;
    }
  }
}

// Many sources are answered from the destination's list (from RocksDB or from the
// follower cache), few, or a list much longer than the sources, by a lookup each: every
// plan gives the answers of the edges.
TEST_F(GraphStoreTest, SourcesContainAgreesWithTheEdgesForAnyNumberOfSources) {
  std::mt19937_64 random(7);
  const std::vector<EdgeWrite> writes = RandomFollows(random);
  Apply(writes);
  ExpectSourcesContainAgreesWithTheEdges(*store_, random);

  GraphStoreOptions cached;
  cached.block_cache_bytes = size_t{1} << 20;
  cached.follower_cache_min_followers = 1;
  const std::string path = FreshDir("cached");
  {
    absl::StatusOr<std::unique_ptr<GraphStore>> store = GraphStore::Open(path, cached);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Apply(writes).ok());
    ExpectSourcesContainAgreesWithTheEdges(**store, random);  // loads the lists
    EXPECT_GT((*store)->FollowerCacheStats().lists, 0u);
    ExpectSourcesContainAgreesWithTheEdges(**store, random);  // answered from them
  }
  std::filesystem::remove_all(path);
}

TEST_F(GraphStoreTest, CountsPerStateAndMask) {
  Apply({Follow(1, 2, 10), Follow(1, 3, 11), Follow(1, 4, 12), Follow(5, 2, 13),
         Write(1, 5, EdgeState::kArchived, 14, 14), Write(1, 6, EdgeState::kRemoved, 15, 15),
         Write(1, 7, EdgeState::kNegative, 16, 16), Write(1, 3, EdgeState::kRemoved, 17, 17)});
  EXPECT_EQ(CountOf(1, kForward), 2u);
  EXPECT_EQ(CountOf(1, kForward, kArchivedOnly), 1u);
  EXPECT_EQ(CountOf(1, kForward, kRemovedOnly), 2u);
  EXPECT_EQ(CountOf(1, kForward, StateBit(EdgeState::kNegative)), 1u);
  EXPECT_EQ(CountOf(1, kForward, kNormalOnly | kArchivedOnly), 3u);
  EXPECT_EQ(CountOf(1, kForward, 0x0f), 6u);
  EXPECT_EQ(CountOf(1, kForward, 0), 0u);
  EXPECT_EQ(CountOf(2, kBackward), 2u);
  EXPECT_EQ(CountOf(3, kBackward), 0u);
  EXPECT_EQ(CountOf(3, kBackward, kRemovedOnly), 1u);
  EXPECT_EQ(CountOf(9, kForward, 0x0f), 0u);
  EXPECT_EQ(store_->Count(kFollows, 1, kForward, 0x10).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(GraphStoreTest, RemoveThenReAddStartsANewPosition) {
  Apply({Follow(1, 2, 10), Follow(1, 3, 20)});
  EXPECT_THAT(Ids(1, kForward), ElementsAre(3, 2));
  std::vector<EdgeChange> removed = Apply({Write(1, 2, EdgeState::kRemoved, 30, 30)});
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].before->state, EdgeState::kNormal);
  EXPECT_EQ(removed[0].after.position, 10u);  // a removal keeps the position
  EXPECT_THAT(Ids(1, kForward), ElementsAre(3));
  EXPECT_THAT(Ids(1, kForward, kRemovedOnly), ElementsAre(2));

  std::vector<EdgeChange> readded = Apply({Follow(1, 2, 40)});
  ASSERT_EQ(readded.size(), 1u);
  EXPECT_EQ(readded[0].after.position, 40u);
  EXPECT_THAT(Ids(1, kForward), ElementsAre(2, 3));
  EXPECT_THAT(Ids(2, kBackward), ElementsAre(1));
  EXPECT_EQ(CountOf(1, kForward), 2u);
  EXPECT_EQ(CountOf(1, kForward, kRemovedOnly), 0u);
  EXPECT_EQ(Must(store_->VerifyCounts()), 0u);
  EXPECT_EQ(Must(store_->VerifyIndexes()), 0u);
}

TEST_F(GraphStoreTest, RefollowOfANormalEdgeKeepsItsPosition) {
  Apply({Follow(1, 2, 10), Follow(1, 3, 20)});
  std::vector<EdgeChange> changes = Apply({Follow(1, 2, 30)});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].after.position, 10u);
  EXPECT_EQ(changes[0].after.updated_at, 30u);
  EXPECT_THAT(Ids(1, kForward), ElementsAre(3, 2));
  EXPECT_EQ(CountOf(1, kForward), 2u);
}

TEST_F(GraphStoreTest, ArchiveThenUnarchiveRestoresPositionsAndCounts) {
  Apply({Follow(1, 2, 10), Follow(1, 3, 20), Follow(1, 4, 30), Follow(5, 1, 40),
         Write(1, 6, EdgeState::kRemoved, 50, 50)});
  const std::vector<UserId> followees = Ids(1, kForward);
  ASSERT_THAT(followees, ElementsAre(4, 3, 2));

  std::vector<EdgeChange> archived =
      Must(store_->MassUpdate(kFollows, 1, kNormalOnly, EdgeState::kArchived, 100));
  EXPECT_EQ(archived.size(), 4u);  // three forward, one backward; the REMOVED edge stays
  EXPECT_THAT(Ids(1, kForward), IsEmpty());
  EXPECT_THAT(Ids(1, kForward, kArchivedOnly), ElementsAre(4, 3, 2));
  EXPECT_THAT(Ids(1, kBackward, kArchivedOnly), ElementsAre(5));
  EXPECT_THAT(Ids(3, kBackward), IsEmpty());
  EXPECT_EQ(CountOf(1, kForward), 0u);
  EXPECT_EQ(CountOf(1, kForward, kArchivedOnly), 3u);
  EXPECT_EQ(CountOf(1, kForward, kRemovedOnly), 1u);
  EXPECT_EQ(CountOf(5, kForward, kArchivedOnly), 1u);
  EXPECT_THAT(Must(store_->Contains(kFollows, 1, {2, 3, 4})), ::testing::Each(false));

  std::vector<EdgeChange> restored =
      Must(store_->MassUpdate(kFollows, 1, kArchivedOnly, EdgeState::kNormal, 200));
  EXPECT_EQ(restored.size(), 4u);
  EXPECT_EQ(Ids(1, kForward), followees);
  EXPECT_THAT(Ids(1, kBackward), ElementsAre(5));
  EXPECT_EQ(Must(store_->GetEdge(kFollows, 1, 2))->position, 10u);
  EXPECT_EQ(Must(store_->GetEdge(kFollows, 5, 1))->position, 40u);
  EXPECT_EQ(Must(store_->GetEdge(kFollows, 1, 6))->state, EdgeState::kRemoved);
  EXPECT_EQ(CountOf(1, kForward), 3u);
  EXPECT_EQ(CountOf(1, kForward, kArchivedOnly), 0u);
  EXPECT_EQ(CountOf(3, kBackward), 1u);
  EXPECT_EQ(Must(store_->VerifyCounts()), 0u);
  EXPECT_EQ(Must(store_->VerifyIndexes()), 0u);
}

TEST_F(GraphStoreTest, MassUpdateLeavesEdgesWrittenAfterIt) {
  Apply({Follow(1, 2, 10), Follow(1, 3, 500)});
  std::vector<EdgeChange> changes =
      Must(store_->MassUpdate(kFollows, 1, kNormalOnly, EdgeState::kRemoved, 100));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].after.destination, 2u);
  EXPECT_THAT(Ids(1, kForward), ElementsAre(3));
}

TEST_F(GraphStoreTest, StaleWriteIsIgnored) {
  Apply({Follow(1, 2, 20)});
  EXPECT_THAT(Apply({Write(1, 2, EdgeState::kRemoved, 10, 10)}), IsEmpty());
  EXPECT_EQ(Must(store_->GetEdge(kFollows, 1, 2))->state, EdgeState::kNormal);
  EXPECT_EQ(CountOf(1, kForward), 1u);
  EXPECT_EQ(CountOf(1, kForward, kRemovedOnly), 0u);
}

TEST_F(GraphStoreTest, RepeatedWriteChangesNothing) {
  ASSERT_EQ(Apply({Follow(1, 2, 20)}).size(), 1u);
  EXPECT_THAT(Apply({Follow(1, 2, 20)}), IsEmpty());
  EXPECT_THAT(Apply({Follow(1, 2, 20), Follow(1, 2, 20)}), IsEmpty());
  EXPECT_EQ(CountOf(1, kForward), 1u);
  EXPECT_EQ(CountOf(2, kBackward), 1u);
}

TEST_F(GraphStoreTest, TieInUpdatedAtIsWonByTheHigherState) {
  Apply({Follow(1, 2, 10)});
  std::vector<EdgeChange> changes = Apply({Write(1, 2, EdgeState::kRemoved, 10, 10)});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_THAT(Apply({Follow(1, 2, 10)}), IsEmpty());
  EXPECT_EQ(Must(store_->GetEdge(kFollows, 1, 2))->state, EdgeState::kRemoved);

  // The other order reaches the same state.
  Apply({Write(3, 4, EdgeState::kRemoved, 10, 10)});
  EXPECT_THAT(Apply({Follow(3, 4, 10)}), IsEmpty());
  EXPECT_EQ(Must(store_->GetEdge(kFollows, 3, 4))->state, EdgeState::kRemoved);
}

TEST_F(GraphStoreTest, WritesToOnePairInOneBatchApplyInOrder) {
  std::vector<EdgeChange> changes =
      Apply({Follow(1, 2, 10), Write(1, 2, EdgeState::kRemoved, 20, 20), Follow(1, 2, 30),
             Write(1, 2, EdgeState::kRemoved, 15, 15)});
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[2].before->state, EdgeState::kRemoved);
  const Edge expected{kFollows, 1, 2, 30, EdgeState::kNormal, 30};
  EXPECT_EQ(Must(store_->GetEdge(kFollows, 1, 2)), expected);
  EXPECT_EQ(CountOf(1, kForward), 1u);
  EXPECT_EQ(CountOf(1, kForward, kRemovedOnly), 0u);
  EXPECT_EQ(Must(store_->VerifyCounts()), 0u);
  EXPECT_EQ(Must(store_->VerifyIndexes()), 0u);
}

TEST_F(GraphStoreTest, InvalidWriteRejectsTheWholeBatch) {
  const auto result = store_->Apply({Follow(1, 2, 10), Write(1, 3, EdgeState::kNormal, 5, 0)});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Apply({Follow(0, 2, 10)}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Ids(1, kForward), IsEmpty());
}

TEST_F(GraphStoreTest, SelfEdgeIsListedInBothDirections) {
  Apply({Follow(1, 1, 10)});
  EXPECT_THAT(Ids(1, kForward), ElementsAre(1));
  EXPECT_THAT(Ids(1, kBackward), ElementsAre(1));
  EXPECT_EQ(Must(store_->MassUpdate(kFollows, 1, kNormalOnly, EdgeState::kArchived, 20)).size(),
            1u);
  EXPECT_EQ(CountOf(1, kForward, kArchivedOnly), 1u);
  EXPECT_EQ(CountOf(1, kBackward, kArchivedOnly), 1u);
  EXPECT_EQ(Must(store_->VerifyCounts()), 0u);
}

TEST_F(GraphStoreTest, SelectPagesNeverRepeatOrSkip) {
  std::vector<EdgeWrite> writes;
  std::vector<UserId> newest_first;
  for (UserId d = 1; d <= 20; ++d) {
    writes.push_back(Follow(100, d, 1000 + d));
    newest_first.insert(newest_first.begin(), d);
  }
  Apply(writes);
  EXPECT_EQ(SelectByPages(*store_, kFollows, 100, kForward, kNormalOnly, 3), newest_first);
  EXPECT_EQ(SelectByPages(*store_, kFollows, 100, kForward, kNormalOnly, 20), newest_first);
  EXPECT_EQ(SelectByPages(*store_, kFollows, 100, kForward, kNormalOnly, 21), newest_first);

  Page last = Must(store_->Select(kFollows, 100, kForward, kNormalOnly, 1003, 3));
  EXPECT_THAT(last.ids, ElementsAre(2, 1));
  EXPECT_EQ(last.next_cursor, 0);
  Page exact = Must(store_->Select(kFollows, 100, kForward, kNormalOnly, 1004, 3));
  EXPECT_THAT(exact.ids, ElementsAre(3, 2, 1));
  EXPECT_EQ(exact.next_cursor, 0);  // nothing follows a page that ends the list
}

TEST_F(GraphStoreTest, SelectPagesAreStableUnderInsertsBetweenPages) {
  std::vector<EdgeWrite> writes;
  std::vector<UserId> newest_first;
  for (UserId d = 1; d <= 20; ++d) {
    writes.push_back(Follow(100, d, 1000 + 10 * d));
    newest_first.insert(newest_first.begin(), d);
  }
  Apply(writes);
  std::vector<UserId> seen;
  int64_t cursor = 0;
  UserId next_new = 500;
  bool inserted_late = false;
  do {
    Page page = Must(store_->Select(kFollows, 100, kForward, kNormalOnly, cursor, 3));
    seen.insert(seen.end(), page.ids.begin(), page.ids.end());
    cursor = page.next_cursor;
    // New follows arrive with newer positions: they belong before the cursor.
    Apply({Follow(100, next_new, 5000 + next_new)});
    ++next_new;
    if (!inserted_late && cursor != 0 && cursor < 1100) {
      // A late write with an older position (not yet paged past) shows up once.
      Apply({Follow(100, 999, 1015)});
      inserted_late = true;
    }
  } while (cursor != 0);
  ASSERT_TRUE(inserted_late);
  std::vector<UserId> expected = newest_first;
  expected.insert(expected.end() - 1, 999);  // between users 2 (1020) and 1 (1010)
  EXPECT_EQ(seen, expected);
}

TEST_F(GraphStoreTest, SelectMergesTheStatesOfTheMaskByPosition) {
  Apply({Follow(1, 2, 10), Write(1, 3, EdgeState::kArchived, 20, 20), Follow(1, 4, 30),
         Write(1, 5, EdgeState::kArchived, 40, 40), Write(1, 6, EdgeState::kRemoved, 50, 50)});
  EXPECT_EQ(SelectByPages(*store_, kFollows, 1, kForward, kNormalOnly | kArchivedOnly, 2),
            std::vector<UserId>({5, 4, 3, 2}));
  EXPECT_THAT(Ids(1, kForward, 0x0f), ElementsAre(6, 5, 4, 3, 2));
  EXPECT_THAT(Ids(1, kForward, 0), IsEmpty());
}

TEST_F(GraphStoreTest, SelectRejectsBadArguments) {
  EXPECT_EQ(store_->Select(kFollows, 1, kForward, kNormalOnly, -1, 3).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Select(kFollows, 1, kForward, kNormalOnly, 0, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Select(kFollows, 1, kForward, 0x20, 0, 3).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(GraphStoreTest, CommittedOffsetAndEdgesPersistAcrossReopen) {
  EXPECT_EQ(Must(store_->CommittedOffset()), 0u);
  Apply({Follow(1, 2, 10)});
  ASSERT_TRUE(store_->SetCommittedOffset(42).ok());
  EXPECT_EQ(Must(store_->CommittedOffset()), 42u);
  Reopen();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Must(store_->CommittedOffset()), 42u);
  EXPECT_THAT(Ids(1, kForward), ElementsAre(2));
  EXPECT_EQ(CountOf(2, kBackward), 1u);
}

// The checks must be able to fail: damage the store behind its back.
TEST_F(GraphStoreTest, VerifyFindsDamagedCountsAndIndexes) {
  Apply({Follow(1, 2, 10), Follow(1, 3, 20)});
  ASSERT_EQ(Must(store_->VerifyCounts()), 0u);
  ASSERT_EQ(Must(store_->VerifyIndexes()), 0u);
  store_.reset();
  {
    std::unique_ptr<rocksdb::DB> db = OpenRaw();
    ASSERT_NE(db, nullptr);
    const Edge edge{kFollows, 1, 2, 10, EdgeState::kNormal, 10};
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), keys::BackwardListKey(edge)).ok());
    ASSERT_TRUE(db->Merge(rocksdb::WriteOptions(),
                          keys::CountKey(kFollows, kForward, 7, EdgeState::kNormal),
                          keys::EncodeCount(1))
                    .ok());
  }
  Reopen();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Must(store_->VerifyCounts()), 2u);   // user 2's backward count, user 7's count
  EXPECT_EQ(Must(store_->VerifyIndexes()), 2u);  // a missing list key; lists != elements
}

}  // namespace
}  // namespace roost::graph::testing
