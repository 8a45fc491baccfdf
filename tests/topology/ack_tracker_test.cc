// AckTracker: the committed offset as roots complete in and out of order.
#include "topology/ack_tracker.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace roost::topology {
namespace {

using ::testing::ElementsAre;

class AckTrackerTest : public ::testing::Test {
 protected:
  // A root of spout `spout` holding offsets first..last, still held by its spout.
  Root* Batch(int spout, LogOffset first, LogOffset last) {
    Root* root = tracker_.Open(spout, first);
    root->last_offset = last;
    return root;
  }

  std::vector<LogOffset> commits_;
  AckTracker tracker_{2, [this](LogOffset offset) { commits_.push_back(offset); }};
};

TEST_F(AckTrackerTest, CommitsABatchWhenItsHoldIsReleased) {
  Root* root = Batch(0, 1, 3);
  EXPECT_EQ(tracker_.committed(), 0u);
  tracker_.Done(root, 1);
  EXPECT_EQ(tracker_.committed(), 3u);
  EXPECT_THAT(commits_, ElementsAre(3));
  EXPECT_EQ(tracker_.open_roots(), 0u);
}

TEST_F(AckTrackerTest, WaitsForDescendants) {
  Root* root = Batch(0, 1, 1);
  AckTracker::Add(root, 2);  // two tuples in flight
  tracker_.Done(root, 1);    // the spout returned
  tracker_.Done(root, 1);
  EXPECT_EQ(tracker_.committed(), 0u);
  tracker_.Done(root, 1);
  EXPECT_EQ(tracker_.committed(), 1u);
}

TEST_F(AckTrackerTest, ALaterBatchDoesNotCommitPastAnOpenOne) {
  Root* first = Batch(0, 1, 2);
  Root* second = Batch(0, 3, 4);
  tracker_.Done(second, 1);
  EXPECT_EQ(tracker_.committed(), 0u);
  tracker_.Done(first, 1);
  EXPECT_EQ(tracker_.committed(), 4u);
  EXPECT_THAT(commits_, ElementsAre(4));
}

TEST_F(AckTrackerTest, AnOffsetSharedByTwoBatchesWaitsForBoth) {
  Root* first = Batch(0, 1, 5);
  Root* second = Batch(0, 5, 6);
  tracker_.Done(first, 1);
  EXPECT_EQ(tracker_.committed(), 4u);
  tracker_.Done(second, 1);
  EXPECT_EQ(tracker_.committed(), 6u);
  EXPECT_THAT(commits_, ElementsAre(4, 6));
}

TEST_F(AckTrackerTest, AnOpenBatchOfAnotherSpoutBoundsTheCommit) {
  Root* a = Batch(0, 1, 10);
  Root* b = Batch(1, 5, 5);
  tracker_.Done(a, 1);
  EXPECT_EQ(tracker_.committed(), 4u);
  tracker_.Done(b, 1);
  EXPECT_EQ(tracker_.committed(), 10u);
}

TEST_F(AckTrackerTest, WaitForCommittedWakesWhenReached) {
  Root* root = Batch(0, 7, 7);
  EXPECT_FALSE(tracker_.WaitForCommitted(7, absl::Now() + absl::Milliseconds(10)));
  std::thread completer([&] { tracker_.Done(root, 1); });
  EXPECT_TRUE(tracker_.WaitForCommitted(7, absl::Now() + absl::Seconds(30)));
  completer.join();
}

}  // namespace
}  // namespace roost::topology
