// Mass updates carried out in slices, their per-pair form, the records of pending
// mass jobs, and the store's on-disk format stamp.
#include <filesystem>

#include "graph/count_merge_operator.h"
#include "graph/graph_keys.h"
#include "graph/graph_store.h"
#include "rocksdb/db.h"
#include "tests/graph/graph_test_util.h"

namespace roost::graph::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr UserId kUser = 1;

// kUser follows 2..(1 + following) and is followed by 1000.. (followers of them).
void BuildUser(GraphStore& store, int following, int followers) {
  std::vector<EdgeWrite> writes;
  uint64_t event = 10;
  for (int i = 0; i < following; ++i) writes.push_back(Follow(kUser, 2 + i, event++));
  for (int i = 0; i < followers; ++i) writes.push_back(Follow(1000 + i, kUser, event++));
  ASSERT_TRUE(store.Apply(writes).ok());
}

TEST_F(GraphStoreTest, ASlicedMassUpdateEqualsTheWholeOneAndResumesAcrossLists) {
  BuildUser(*store_, 700, 1300);
  const MassSpec archive{kFollows, kUser, kNormalOnly, EdgeState::kArchived, 50000};
  MassCursor cursor;
  size_t changed = 0;
  int slices = 0;
  for (bool done = false; !done; ++slices) {
    ASSERT_LT(slices, 100) << "the cursor does not advance";
    done =
        Must(store_->MassUpdateSlice(archive, nullptr, 128, &cursor,
                                     [&](absl::Span<const EdgeChange> c) { changed += c.size(); }));
  }
  EXPECT_EQ(slices, 16);  // 2000 entries, 128 a slice, the last one finds the end
  EXPECT_EQ(changed, 2000u);
  EXPECT_EQ(CountOf(kUser, kForward), 0u);
  EXPECT_EQ(CountOf(kUser, kBackward), 0u);
  EXPECT_EQ(CountOf(kUser, kForward, kArchivedOnly), 700u);
  EXPECT_EQ(CountOf(kUser, kBackward, kArchivedOnly), 1300u);
  EXPECT_EQ(CountOf(1000, kForward, kArchivedOnly), 1u);
  EXPECT_EQ(Must(store_->VerifyCounts()), 0u);
  EXPECT_EQ(Must(store_->VerifyIndexes()), 0u);

  // A finished cursor stays finished and changes nothing.
  EXPECT_TRUE(Must(store_->MassUpdateSlice(archive, nullptr, 128, &cursor, nullptr)));
}

TEST_F(GraphStoreTest, AWriteBetweenSlicesWinsWhenNewerAndPositionsAreKept) {
  BuildUser(*store_, 0, 300);
  const MassSpec archive{kFollows, kUser, kNormalOnly, EdgeState::kArchived, 50000};
  MassCursor cursor;
  ASSERT_FALSE(Must(store_->MassUpdateSlice(archive, nullptr, 100, &cursor, nullptr)));
  // The newest 100 followers (1299..1200) are archived. Now a newer write unfollows
  // follower 1000 (not yet reached) and an older one tries to revive 1299.
  Apply({Write(1000, kUser, EdgeState::kRemoved, 60000, 60000),
         Write(1299, kUser, EdgeState::kNormal, 40000, 40000)});
  while (!Must(store_->MassUpdateSlice(archive, nullptr, 100, &cursor, nullptr))) {
  }
  EXPECT_EQ(CountOf(kUser, kBackward, kArchivedOnly), 299u);
  EXPECT_EQ(CountOf(kUser, kBackward, kRemovedOnly), 1u) << "the newer unfollow stays";
  // Unarchive restores the original order: positions were kept.
  ASSERT_TRUE(
      Must(store_->MassUpdate(kFollows, kUser, kArchivedOnly, EdgeState::kNormal, 70000)).size() ==
      299u);
  const std::vector<UserId> ids = Ids(kUser, kBackward);
  ASSERT_EQ(ids.size(), 299u);
  EXPECT_EQ(ids.front(), 1299u);
  EXPECT_EQ(ids.back(), 1001u);
}

TEST_F(GraphStoreTest, MassUpdatePairsMovesOnlyThoseEdgesInTheFromStates) {
  Apply({Follow(kUser, 2, 10), Follow(kUser, 3, 11), Follow(4, kUser, 12),
         Write(kUser, 5, EdgeState::kRemoved, 13, 13)});
  const MassSpec archive{kFollows, kUser, kNormalOnly, EdgeState::kArchived, 100};
  const std::vector<std::pair<UserId, UserId>> pairs = {{kUser, 2}, {4, kUser}, {kUser, 5}};
  const std::vector<EdgeChange> changes = Must(store_->MassUpdatePairs(archive, pairs));
  ASSERT_EQ(changes.size(), 2u) << "the REMOVED edge is not in the from states";
  EXPECT_EQ(changes[0].after.state, EdgeState::kArchived);
  EXPECT_EQ(changes[0].after.position, 10u);
  EXPECT_THAT(Ids(kUser, kForward), ElementsAre(3));
  EXPECT_THAT(Ids(kUser, kBackward), IsEmpty());
  // Applied again: nothing is newer, nothing changes.
  EXPECT_THAT(Must(store_->MassUpdatePairs(archive, pairs)), IsEmpty());

  const std::vector<std::pair<UserId, UserId>> unrelated = {{kUser, 2}, {7, 8}};
  EXPECT_EQ(store_->MassUpdatePairs(archive, unrelated).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store_->MassUpdatePairs(MassSpec{kFollows, 0, kNormalOnly, EdgeState::kArchived, 1}, pairs)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Must(store_->VerifyCounts()), 0u);
}

TEST_F(GraphStoreTest, MassJobsAreRecordedInOffsetOrderAndSurviveAReopen) {
  const MassJob late{{kFollows, 7, kNormalOnly, EdgeState::kArchived, 900}, 90, 3};
  const MassJob early{{kBlocks, 8, kArchivedOnly, EdgeState::kNormal, 500}, 50, 1};
  ASSERT_TRUE(store_->RecordMassJob(late).ok());
  ASSERT_TRUE(store_->RecordMassJob(early).ok());
  ASSERT_TRUE(store_->RecordMassJob(early).ok());  // idempotent
  EXPECT_EQ(store_->RecordMassJob(MassJob{{kFollows, 0, 1, EdgeState::kNormal, 1}, 1, 0}).code(),
            absl::StatusCode::kInvalidArgument);
  Reopen();
  ASSERT_NE(store_, nullptr);
  std::vector<MassJob> jobs = Must(store_->PendingMassJobs());
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].offset, 50u);
  EXPECT_EQ(jobs[0].owner, 1u);
  EXPECT_EQ(jobs[0].spec.graph, kBlocks);
  EXPECT_EQ(jobs[0].spec.user, 8u);
  EXPECT_EQ(jobs[0].spec.from, kArchivedOnly);
  EXPECT_EQ(jobs[0].spec.to, EdgeState::kNormal);
  EXPECT_EQ(jobs[0].spec.updated_at, 500u);
  EXPECT_EQ(jobs[1].offset, 90u);
  ASSERT_TRUE(store_->FinishMassJob(early).ok());
  jobs = Must(store_->PendingMassJobs());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].offset, 90u);
  // Job records are not edges: verification ignores them.
  EXPECT_EQ(Must(store_->VerifyCounts()), 0u);
  EXPECT_EQ(Must(store_->VerifyIndexes()), 0u);
}

// A store written by an older build (format 1: no stamp, an element entry per
// direction) would be misread; it is refused with the remedy.
TEST_F(GraphStoreTest, AStoreInAnotherFormatIsRefusedWithTheRemedy) {
  Apply({Follow(1, 2, 10)});
  store_.reset();
  {
    std::unique_ptr<rocksdb::DB> db = OpenRaw();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), keys::FormatKey()).ok());
  }
  absl::StatusOr<std::unique_ptr<GraphStore>> opened = GraphStore::Open(path_, {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(opened.status().message()), ::testing::HasSubstr("--rebuild"));

  // A new store is stamped, so it reopens.
  std::filesystem::remove_all(path_);
  Reopen();
  ASSERT_NE(store_, nullptr);
  store_.reset();
  Reopen();
  ASSERT_NE(store_, nullptr);
}

}  // namespace
}  // namespace roost::graph::testing
