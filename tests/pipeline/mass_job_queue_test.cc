// MassJobQueue on a real graph store: jobs recorded, carried out in slices oldest
// first, applied ahead of the writes they reach, and resumed (or split anew) by the
// writers of a restarted pipeline.
#include "ingest/pipeline_mass_jobs.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/pipeline/followers_fixture.h"
#include "topology/grouping.h"

namespace roost::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr UserId kCeleb = 7;
constexpr UserId kOther = 8;
constexpr int kFollowers = 500;

class Listener : public MassJobListener {
 public:
  void MassJobStarted(LogOffset offset) override { started.push_back(offset); }
  void MassJobFinished(LogOffset offset) override { finished.push_back(offset); }
  void MassWorkEmitted(LogOffset) override {}
  void MassWorkDone(LogOffset) override {}
  std::vector<LogOffset> started, finished;
};

graph::MassSpec Archive(UserId user, uint64_t time) {
  return graph::MassSpec{graph::kFollows, user, graph::kNormalOnly, graph::EdgeState::kArchived,
                         time};
}

class MassJobQueueTest : public testing::FollowersTest {
 protected:
  MassJobQueueTest() : FollowersTest(kFollowers, {kCeleb, kOther}) {}

  std::unique_ptr<MassJobQueue> Writer(int index, int parallelism) {
    auto queue = std::make_unique<MassJobQueue>(graph_.get(), &listener_);
    EXPECT_TRUE(queue
                    ->Resume(index, parallelism,
                             [index, parallelism](UserId s) {
                               return topology::FieldsInstance(s, parallelism) == index;
                             })
                    .ok());
    return queue;
  }
  // Steps until the queue is empty (bounded); returns the changes by job offset.
  std::vector<LogOffset> Drain(MassJobQueue& queue, size_t slice = 64) {
    std::vector<LogOffset> jobs;
    for (int i = 0; i < 1000; ++i) {
      if (!queue.Step(slice,
                      [&](const graph::EdgeChange&, LogOffset job) { jobs.push_back(job); })) {
        break;
      }
    }
    return jobs;
  }
  uint64_t Archived(UserId user) { return Count(user, graph::EdgeState::kArchived); }

  Listener listener_;
};

TEST_F(MassJobQueueTest, JobsAreRecordedThenCarriedOutInSlicesOldestFirst) {
  std::unique_ptr<MassJobQueue> queue = Writer(0, 1);
  ASSERT_TRUE(queue->Record(Archive(kCeleb, 50000), 100).ok());
  ASSERT_TRUE(queue->Record(Archive(kOther, 50001), 101).ok());
  ASSERT_TRUE(queue->Record(Archive(kCeleb, 50000), 100).ok());  // a replay: no second job
  EXPECT_THAT(queue->offsets(), ElementsAre(100, 101));
  EXPECT_EQ(graph_->PendingMassJobs()->size(), 2u);
  EXPECT_EQ(Archived(kCeleb), 0u) << "recording changes no edge";

  // One slice changes at most its bound, and only the oldest job.
  std::vector<LogOffset> first;
  EXPECT_TRUE(
      queue->Step(64, [&](const graph::EdgeChange&, LogOffset job) { first.push_back(job); }));
  EXPECT_EQ(first.size(), 64u);
  EXPECT_EQ(Archived(kCeleb), 64u);
  EXPECT_EQ(Archived(kOther), 0u);

  const std::vector<LogOffset> rest = Drain(*queue);
  EXPECT_EQ(rest.size(), size_t{2 * kFollowers - 64});
  EXPECT_TRUE(std::is_sorted(rest.begin(), rest.end())) << "101's changes only after 100's";
  EXPECT_EQ(Archived(kCeleb), uint64_t{kFollowers});
  EXPECT_EQ(Archived(kOther), uint64_t{kFollowers});
  EXPECT_THAT(listener_.started, ElementsAre(100, 101));
  EXPECT_THAT(listener_.finished, ElementsAre(100, 101));
  EXPECT_TRUE(queue->empty());
  EXPECT_THAT(*graph_->PendingMassJobs(), IsEmpty());
}

TEST_F(MassJobQueueTest, AJobReachesTheWritesAfterItBeforeTheyApply) {
  std::unique_ptr<MassJobQueue> queue = Writer(0, 1);
  ASSERT_TRUE(queue->Record(Archive(kCeleb, 50000), 100).ok());
  const std::vector<graph::EdgeWrite> writes = {
      {graph::kFollows, 1001, kCeleb, graph::EdgeState::kNormal, 40000, 40000},  // older
      {graph::kFollows, 1002, kCeleb, graph::EdgeState::kNormal, 60000, 60000},  // newer
      {graph::kFollows, 1003, kOther, graph::EdgeState::kNormal, 60000, 60000},  // untouched
  };
  std::vector<size_t> reached;
  ASSERT_TRUE(queue
                  ->ApplyToWrites(writes, {99, 101, 101},
                                  [&](const graph::EdgeChange& change, size_t write) {
                                    EXPECT_EQ(change.after.state, graph::EdgeState::kArchived);
                                    reached.push_back(write);
                                  })
                  .ok());
  EXPECT_THAT(reached, ElementsAre(1));
  auto edge = graph_->GetEdge(graph::kFollows, 1002, kCeleb);
  ASSERT_TRUE(edge.ok() && edge->has_value());
  EXPECT_EQ((*edge)->state, graph::EdgeState::kArchived);
  EXPECT_EQ(Archived(kCeleb), 1u);
}

TEST_F(MassJobQueueTest, TheWriterThatRecordedAJobResumesIt) {
  std::unique_ptr<MassJobQueue> queue = Writer(1, 2);
  ASSERT_TRUE(queue->Record(Archive(kCeleb, 50000), 100).ok());
  ASSERT_TRUE(queue->Step(16, [](const graph::EdgeChange&, LogOffset) {}));
  queue.reset();  // the process stops mid-job

  listener_ = Listener();
  EXPECT_TRUE(Writer(0, 2)->empty()) << "not writer 0's job";
  std::unique_ptr<MassJobQueue> resumed = Writer(1, 2);
  EXPECT_THAT(resumed->offsets(), ElementsAre(100));
  Drain(*resumed);
  EXPECT_THAT(listener_.finished, ElementsAre(100));
  // Writer 1 of 2 owns only the sources the fields grouping sends it.
  EXPECT_GT(Archived(kCeleb), 16u);
  EXPECT_LT(Archived(kCeleb), uint64_t{kFollowers});
  EXPECT_THAT(*graph_->PendingMassJobs(), IsEmpty());
}

TEST_F(MassJobQueueTest, AJobOfAnotherNumberOfWritersIsSplitAnewAndDoneOnce) {
  ASSERT_TRUE(Writer(1, 3)->Record(Archive(kCeleb, 50000), 100).ok());
  listener_ = Listener();
  std::unique_ptr<MassJobQueue> first = Writer(0, 2);
  std::unique_ptr<MassJobQueue> second = Writer(1, 2);
  EXPECT_THAT(listener_.started, ElementsAre(100, 100));
  EXPECT_EQ(graph_->PendingMassJobs()->size(), 3u) << "the old record and two shares";
  const size_t changed = Drain(*first).size();
  EXPECT_EQ(graph_->PendingMassJobs()->size(), 1u) << "the second share's record";
  EXPECT_EQ(changed + Drain(*second).size(), size_t{kFollowers});
  EXPECT_EQ(Archived(kCeleb), uint64_t{kFollowers});
  EXPECT_THAT(*graph_->PendingMassJobs(), IsEmpty());
}

}  // namespace
}  // namespace roost::ingest
