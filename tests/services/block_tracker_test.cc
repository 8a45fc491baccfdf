#include "services/block_tracker.h"

#include <vector>

#include "gtest/gtest.h"

namespace roost::services {
namespace {

TEST(BlockTrackerTest, UntrackedUsersAreSettledAtNothing) {
  BlockTracker tracker;
  const BlockTracker::Snapshot s = tracker.Of(1, 2);
  EXPECT_EQ(s.sequence, 0u);
  EXPECT_EQ(s.position, 0u);
  EXPECT_TRUE(s.settled);
}

TEST(BlockTrackerTest, ABlockBeingAppendedUnsettlesBothUsersUntilItIsDurable) {
  BlockTracker tracker;
  const std::vector<UserId> users = {1, 2};
  tracker.Appending(users);
  EXPECT_FALSE(tracker.Of(1, 3).settled);
  EXPECT_FALSE(tracker.Of(3, 2).settled);
  EXPECT_TRUE(tracker.Of(3, 4).settled);
  int ready = 0;
  tracker.WhenSettled(2, 3, [&] { ++ready; });
  EXPECT_EQ(ready, 0);
  tracker.Appended(users, 17);
  EXPECT_EQ(ready, 1);
  const BlockTracker::Snapshot s = tracker.Of(1, 3);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.position, 17u);
  EXPECT_GT(s.sequence, 0u);
  tracker.WhenSettled(1, 2, [&] { ++ready; });  // settled: at once
  EXPECT_EQ(ready, 2);
}

TEST(BlockTrackerTest, EveryNewBlockChangesTheSnapshotOfItsUsers) {
  BlockTracker tracker;
  const BlockTracker::Snapshot before = tracker.Of(1, 2);
  tracker.Appending(std::vector<UserId>{2});  // a mass change of 2's blocks
  tracker.Appended(std::vector<UserId>{2}, 5);
  EXPECT_NE(tracker.Of(1, 2).sequence, before.sequence);
  const BlockTracker::Snapshot after = tracker.Of(1, 2);
  tracker.Appending(std::vector<UserId>{7, 8});
  tracker.Appended(std::vector<UserId>{7, 8}, 6);
  EXPECT_EQ(tracker.Of(1, 2).sequence, after.sequence);  // others' blocks do not count
}

TEST(BlockTrackerTest, ForgettingUsersNeverMakesASnapshotMatchAgain) {
  BlockTracker tracker;
  // A follow of 1 by 2 checked the store with nothing tracked...
  const BlockTracker::Snapshot seen = tracker.Of(2, 1);
  // ...then 1 blocks 2, and it is applied, along with enough others to be pruned.
  tracker.Appending(std::vector<UserId>{1, 2});
  tracker.Appended(std::vector<UserId>{1, 2}, 1);
  for (UserId user = 10; user < 20; ++user) {
    tracker.Appending(std::vector<UserId>{user});
    tracker.Appended(std::vector<UserId>{user}, user);
  }
  tracker.Prune(/*applied=*/100, /*keep=*/4);
  EXPECT_NE(tracker.Of(2, 1).sequence, seen.sequence);
}

TEST(BlockTrackerTest, PruneKeepsWhatIsBeingAppendedOrNotYetApplied) {
  BlockTracker tracker;
  tracker.Appending(std::vector<UserId>{1});  // in flight
  tracker.Appending(std::vector<UserId>{2});
  tracker.Appended(std::vector<UserId>{2}, 50);  // durable, not applied
  for (UserId user = 10; user < 20; ++user) {
    tracker.Appending(std::vector<UserId>{user});
    tracker.Appended(std::vector<UserId>{user}, 5);
  }
  tracker.Prune(/*applied=*/10, /*keep=*/4);
  EXPECT_FALSE(tracker.Of(1, 3).settled);
  EXPECT_EQ(tracker.Of(2, 3).position, 50u);
}

}  // namespace
}  // namespace roost::services
