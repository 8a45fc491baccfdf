// The pipeline in process: a real log, real RocksDB stores, real topology.
#include "ingest/pipeline.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/pipeline_timeline_source.h"
#include "roost/v1/events.pb.h"
#include "tests/common/test_dir.h"
#include "tests/log/log_test_util.h"

namespace roost::ingest {
namespace {

using ::testing::ElementsAre;
namespace v1 = ::roost::v1;
namespace events = ::roost::v1::events;

constexpr UserId kAlice = 1, kBob = 2, kCarol = 3;

// Everything a pipeline feeds, opened on one directory; Reopen simulates a restart.
class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = roost::testing::FreshTestDir("pipeline_test");
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  void Open(const PipelineOptions& options = {}) {
    log_ = log::testing::OpenUnsyncedLog(dir_ + "/log");
    tweets_ = *tweetstore::TweetStore::Open(dir_ + "/tweets", {});
    graph_ = *graph::GraphStore::Open(dir_ + "/graph", {});
    source_ = std::make_unique<StoreTimelineSource>(graph_.get(), tweets_.get());
    timelines_ = std::make_unique<timelines::HomeTimelines>(timelines::HomeTimelinesOptions{},
                                                            source_.get());
    metrics_ = std::make_unique<MetricsRegistry>();
    auto pipeline = Pipeline::Start(
        {log_.get(), tweets_.get(), graph_.get(), timelines_.get(), metrics_.get()}, options);
    ASSERT_TRUE(pipeline.ok()) << pipeline.status();
    pipeline_ = *std::move(pipeline);
  }
  void Close() {
    pipeline_.reset();
    timelines_.reset();
    source_.reset();
    graph_.reset();
    tweets_.reset();
    log_.reset();
  }

  LogOffset Append(const events::Event& event) {
    absl::StatusOr<LogOffset> offset = log_->Append(event.SerializeAsString());
    EXPECT_TRUE(offset.ok()) << offset.status();
    return *offset;
  }
  LogOffset Post(TweetId id, UserId author) {
    events::Event event;
    event.set_event_id(id);
    event.mutable_tweet_posted()->set_tweet_id(id);
    event.mutable_tweet_posted()->set_author_id(author);
    event.mutable_tweet_posted()->set_text("tweet " + std::to_string(id));
    return Append(event);
  }
  LogOffset Edge(uint64_t time, v1::GraphKind g, UserId source, UserId destination,
                 v1::EdgeState state = v1::NORMAL) {
    events::Event event;
    event.set_event_id(time);
    events::EdgeChanged* edge = event.mutable_edge_changed();
    edge->set_graph(g);
    edge->set_source_id(source);
    edge->set_destination_id(destination);
    edge->set_state(state);
    return Append(event);
  }
  void WaitApplied(LogOffset offset) {
    ASSERT_TRUE(pipeline_->WaitForApplied(offset, absl::Now() + absl::Seconds(30)))
        << "applied " << pipeline_->applied_offset() << " of " << offset;
  }
  std::vector<TweetId> Home(UserId user) {
    absl::StatusOr<timelines::ReadResult> read = timelines_->Read(user, 0, 0, 100);
    EXPECT_TRUE(read.ok()) << read.status();
    std::vector<TweetId> ids;
    for (const timelines::Entry& e : read->entries) ids.push_back(e.id);
    return ids;
  }

  std::string dir_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<tweetstore::TweetStore> tweets_;
  std::unique_ptr<graph::GraphStore> graph_;
  std::unique_ptr<StoreTimelineSource> source_;
  std::unique_ptr<timelines::HomeTimelines> timelines_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, AppliesPostsAndFollowsToEveryStore) {
  Edge(10, v1::FOLLOWS, kAlice, kBob);
  Post(100, kBob);
  WaitApplied(Post(101, kAlice));
  EXPECT_THAT(Home(kAlice), ElementsAre(101, 100));  // rebuilt from the stores

  // Now materialized, so later posts arrive by fanout.
  WaitApplied(Post(102, kBob));
  EXPECT_THAT(Home(kAlice), ElementsAre(102, 101, 100));
  auto stored = tweets_->Get(102);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->author, kBob);
  EXPECT_GT(metrics_->Snapshot()["pipeline.fanout.deliveries"], 0);
}

TEST_F(PipelineTest, UnfollowAndDeleteLeaveMaterializedTimelines) {
  Edge(10, v1::FOLLOWS, kAlice, kBob);
  Edge(11, v1::FOLLOWS, kAlice, kCarol);
  Post(100, kBob);
  WaitApplied(Post(101, kCarol));
  EXPECT_THAT(Home(kAlice), ElementsAre(101, 100));

  events::Event del;
  del.set_event_id(200);
  del.mutable_tweet_deleted()->set_tweet_id(100);
  del.mutable_tweet_deleted()->set_author_id(kBob);
  WaitApplied(Append(del));
  EXPECT_THAT(Home(kAlice), ElementsAre(101));

  WaitApplied(Edge(201, v1::FOLLOWS, kAlice, kCarol, v1::REMOVED));
  EXPECT_THAT(Home(kAlice), ElementsAre());
}

TEST_F(PipelineTest, BlockEndsFollowsBothWays) {
  Edge(10, v1::FOLLOWS, kAlice, kBob);
  Edge(11, v1::FOLLOWS, kBob, kAlice);
  WaitApplied(Edge(12, v1::BLOCKS, kAlice, kBob));
  auto forward = graph_->GetEdge(graph::kFollows, kAlice, kBob);
  auto backward = graph_->GetEdge(graph::kFollows, kBob, kAlice);
  ASSERT_TRUE(forward.ok() && forward->has_value());
  ASSERT_TRUE(backward.ok() && backward->has_value());
  EXPECT_EQ((*forward)->state, graph::EdgeState::kRemoved);
  EXPECT_EQ((*backward)->state, graph::EdgeState::kRemoved);
  auto blocks = graph_->Contains(graph::kBlocks, kAlice, std::vector<UserId>{kBob});
  ASSERT_TRUE(blocks.ok());
  EXPECT_THAT(*blocks, ElementsAre(true));
}

// A mass change runs in the background (GraphBolt), but a read that waits for its
// position sees it whole: the graph, and the home timelines of the followers.
TEST_F(PipelineTest, AppliedOffsetCoversAMassChangeWholeTimelinesIncluded) {
  constexpr int kFollowers = 20000;  // 200 slices
  constexpr UserId kCeleb = 7;
  uint64_t time = 1;
  for (UserId f = 1000; f < 1000 + kFollowers; ++f) Edge(time++, v1::FOLLOWS, f, kCeleb);
  WaitApplied(Post(time++, kCeleb));
  const std::vector<UserId> readers = {1000, 5000, 1000 + kFollowers - 1};
  for (UserId f : readers) ASSERT_EQ(Home(f).size(), 1u) << "materialized, holding the post";

  events::Event archive;
  archive.set_event_id(time++);
  events::EdgesMassChanged* mass = archive.mutable_edges_mass_changed();
  mass->set_graph(v1::FOLLOWS);
  mass->set_user_id(kCeleb);
  mass->add_from_states(v1::NORMAL);
  mass->set_to_state(v1::ARCHIVED);
  WaitApplied(Append(archive));
  EXPECT_EQ(*graph_->Count(graph::kFollows, kCeleb, graph::Direction::kBackward,
                           graph::StateBit(graph::EdgeState::kArchived)),
            uint64_t{kFollowers});
  EXPECT_EQ(pipeline_->mass_jobs_pending(), 0u);
  EXPECT_EQ(pipeline_->processed_offset(), pipeline_->applied_offset());
  for (UserId f : readers) EXPECT_THAT(Home(f), ::testing::IsEmpty()) << "follower " << f;
  EXPECT_EQ(metrics_->Snapshot()["pipeline.graph.mass_jobs_pending"], 0);
}

TEST_F(PipelineTest, RestartResumesFromTheCommittedOffsetAndLosesNothing) {
  Edge(10, v1::FOLLOWS, kAlice, kBob);
  const LogOffset last = Post(100, kBob);
  WaitApplied(last);
  pipeline_->Stop();  // persists the committed offset
  auto committed = tweets_->CommittedOffset();
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(*committed, last);

  Close();
  Open();
  EXPECT_EQ(pipeline_->applied_offset(), last);
  WaitApplied(Post(101, kBob));
  EXPECT_THAT(Home(kAlice), ElementsAre(101, 100));
  // Only the new event went through the tweet writers after the restart.
  EXPECT_EQ(metrics_->Snapshot()["topology.tweets.executed"], 1);
}

TEST_F(PipelineTest, PersistAppliedSavesTheOffsetWithoutWaitingForTheInterval) {
  Close();
  PipelineOptions options;
  options.commit_interval = absl::Hours(1);  // only PersistApplied and Stop persist
  Open(options);
  const LogOffset last = Post(100, kBob);
  WaitApplied(last);
  EXPECT_EQ(*tweets_->CommittedOffset(), 0u);
  pipeline_->PersistApplied();
  EXPECT_EQ(*tweets_->CommittedOffset(), last);
  EXPECT_EQ(*graph_->CommittedOffset(), last);
}

TEST_F(PipelineTest, PositionWaitsEndAtTheirDeadlineOrOnRelease) {
  WaitApplied(Post(100, kBob));
  const LogOffset applied = pipeline_->applied_offset();
  EXPECT_TRUE(pipeline_->WaitForApplied(applied, absl::InfinitePast()));

  // A position nothing has been appended at is never reached: the wait ends at its
  // deadline with false.
  absl::Notification timed_out;
  bool reached = true;
  pipeline_->WhenApplied(applied + 5, absl::Now() + absl::Milliseconds(50), [&](bool r) {
    reached = r;
    timed_out.Notify();
  });
  ASSERT_TRUE(timed_out.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_FALSE(reached);

  // Released waits end at once, however far their deadline.
  absl::Notification released;
  pipeline_->WhenApplied(applied + 5, absl::InfiniteFuture(), [&](bool r) {
    reached = r;
    released.Notify();
  });
  pipeline_->ReleaseWaiters();
  ASSERT_TRUE(released.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_FALSE(reached);
}

TEST_F(PipelineTest, AnEventAStoreCannotApplyIsNeverCommittedPast) {
  const LogOffset good = Post(100, kBob);
  // The graph store rejects user id 0 (the handlers never append such an event).
  const LogOffset bad = Edge(101, v1::FOLLOWS, 0, kBob);
  const LogOffset after = Post(102, kBob);
  WaitApplied(good);
  // The engine retries, then dead-letters the event; the pipeline then reports it.
  for (int i = 0; i < 600 && pipeline_->status().ok(); ++i) {
    pipeline_->WaitForApplied(after, absl::Now() + absl::Milliseconds(50));
  }
  const absl::Status status = pipeline_->status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("log offset " + std::to_string(bad)));
  // Later events still reach the stores, but nothing from the failed one on counts as
  // applied, so a restart replays it rather than losing it.
  EXPECT_EQ(pipeline_->applied_offset(), good);
  EXPECT_FALSE(pipeline_->WaitForApplied(after, absl::Now() + absl::Milliseconds(100)));
  pipeline_->Stop();
  auto committed = tweets_->CommittedOffset();
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(*committed, good);
}

}  // namespace
}  // namespace roost::ingest
