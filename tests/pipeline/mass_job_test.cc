// Mass changes as background jobs of the graph writers: GraphBolt driven by hand, so
// that every slice is deterministic, and what its slices emit to fanout
// (mass_job_queue_test covers the jobs' lifecycle, pipeline_test the whole pipeline).
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/pipeline_graph_bolt.h"
#include "ingest/pipeline_tuples.h"
#include "roost/v1/events.pb.h"
#include "tests/pipeline/followers_fixture.h"

namespace roost::ingest {
namespace {

namespace v1 = ::roost::v1;
namespace events = ::roost::v1::events;

constexpr UserId kCeleb = 7;
constexpr int kFollowers = 5000;

class CollectingEmitter : public topology::Emitter {
 public:
  void Emit(topology::StreamId stream, std::any value) override {
    work.push_back(kFanoutWork.Get(topology::Tuple{0, stream, std::move(value)}));
  }
  std::vector<FanoutWork> work;
};

class CountingListener : public MassJobListener {
 public:
  void MassJobStarted(LogOffset offset) override { started.push_back(offset); }
  void MassJobFinished(LogOffset offset) override { finished.push_back(offset); }
  void MassWorkEmitted(LogOffset offset) override { ++emitted; }
  void MassWorkDone(LogOffset offset) override {}
  std::vector<LogOffset> started, finished;
  int64_t emitted = 0;
};

EventPtr MassEvent(uint64_t time, UserId user, v1::EdgeState from, v1::EdgeState to) {
  auto event = std::make_shared<events::Event>();
  event->set_event_id(time);
  events::EdgesMassChanged* mass = event->mutable_edges_mass_changed();
  mass->set_graph(v1::FOLLOWS);
  mass->set_user_id(user);
  mass->add_from_states(from);
  mass->set_to_state(to);
  return event;
}

class GraphBoltTest : public testing::FollowersTest {
 protected:
  GraphBoltTest() : FollowersTest(kFollowers, {kCeleb}) {}
  void TearDown() override {
    bolt_.reset();
    FollowersTest::TearDown();
  }
  void NewBolt(int index = 0, int parallelism = 1) {
    bolt_ = std::make_unique<GraphBolt>(graph_.get(), /*tweets=*/nullptr, /*copies=*/nullptr,
                                        &listener_);
    ASSERT_TRUE(bolt_->Prepare({"graph", index, parallelism}).ok());
  }
  void Execute(LogOffset offset, GraphTask task) {
    topology::Tuple tuple{offset, kGraphEvents.id(), std::move(task)};
    ASSERT_TRUE(bolt_->Execute(tuple, out_).ok());
  }
  uint64_t Count(graph::EdgeState state) { return FollowersTest::Count(kCeleb, state); }
  // Background calls until the bolt has nothing left (bounded).
  int RunBackground() {
    int calls = 0;
    while (calls < 1000) {
      ++calls;
      if (!bolt_->Background(out_)) break;
    }
    return calls;
  }

  CountingListener listener_;
  CollectingEmitter out_;
  std::unique_ptr<GraphBolt> bolt_;
};

TEST_F(GraphBoltTest, AMassChangeIsRecordedThenCarriedOutInSlices) {
  NewBolt();
  Execute(100, GraphTask{kCeleb, MassEvent(50000, kCeleb, v1::NORMAL, v1::ARCHIVED), {}});
  EXPECT_EQ(Count(graph::EdgeState::kNormal), uint64_t{kFollowers}) << "Execute defers the work";
  EXPECT_THAT(listener_.started, ::testing::ElementsAre(100));
  ASSERT_EQ(graph_->PendingMassJobs()->size(), 1u);

  // kMassSliceEdges entries a call; the call that handles the last finds the end.
  EXPECT_EQ(RunBackground(),
            (kFollowers + GraphBolt::kMassSliceEdges - 1) / GraphBolt::kMassSliceEdges);
  EXPECT_EQ(Count(graph::EdgeState::kArchived), uint64_t{kFollowers});
  EXPECT_THAT(listener_.finished, ::testing::ElementsAre(100));
  EXPECT_TRUE(graph_->PendingMassJobs()->empty());
  ASSERT_EQ(out_.work.size(), size_t{kFollowers});
  EXPECT_EQ(listener_.emitted, kFollowers);
  for (const FanoutWork& w : out_.work) {
    EXPECT_EQ(w.kind, FanoutWork::Kind::kUnfollow);
    EXPECT_EQ(w.mass_job, 100u);
  }
  EXPECT_FALSE(bolt_->Background(out_));
}

// Follower 1000, the oldest (the job reaches it last), re-follows right after a
// remove-all: in log order the remove-all ends the edge first, so the re-follow is a
// new edge at the new position, not the old edge revived.
TEST_F(GraphBoltTest, AWriteToAPairAPendingJobWillReachAppliesTheJobFirst) {
  NewBolt();
  Execute(100, GraphTask{kCeleb, MassEvent(50000, kCeleb, v1::NORMAL, v1::REMOVED), {}});
  auto refollow = std::make_shared<events::Event>();
  refollow->set_event_id(60000);
  Execute(101,
          GraphTask{1000,
                    refollow,
                    {{graph::kFollows, 1000, kCeleb, graph::EdgeState::kNormal, 60000, 60000}}});
  RunBackground();
  auto edge = graph_->GetEdge(graph::kFollows, 1000, kCeleb);
  ASSERT_TRUE(edge.ok() && edge->has_value());
  EXPECT_EQ((*edge)->state, graph::EdgeState::kNormal);
  EXPECT_EQ((*edge)->position, 60000u) << "revived at its old position: the job came second";
  EXPECT_EQ(Count(graph::EdgeState::kNormal), 1u);
  EXPECT_EQ(Count(graph::EdgeState::kRemoved), uint64_t{kFollowers - 1});
}

}  // namespace
}  // namespace roost::ingest
